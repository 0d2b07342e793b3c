using Microsoft.AspNetCore.Authentication;

namespace Pharos.CloudNode.Auth;

public static class AuthServices
{
    /// <summary>
    /// Bearer tokens for the cloud node's HTTP API: the token set (checked now, so a node without a token source or
    /// with a bad tokens file refuses to start), the WebSocket's one-time tickets, the failure log and its minute flush,
    /// the "Bearer" scheme and the scope policies.
    /// </summary>
    public static IServiceCollection AddPharosAuth(this IServiceCollection services, PharosSettings settings)
    {
        services.AddSingleton(TokenAuthenticator.FromSettings(settings));
        services.AddSingleton<AuthFailureLog>();
        services.AddSingleton<WebSocketTickets>();
        services.AddHostedService<AuthFailureLogFlush>();
        // Registered, so that each request's handler comes from the container's compiled factory rather than from
        // ActivatorUtilities' reflection (AuthenticationHandlerProvider asks the container first).
        services.AddTransient<BearerTokenHandler>();
        // The core only: AddAuthentication also brings data protection, whose key ring (XML files under the home folder)
        // is read at start and used by cookie schemes, never by bearer tokens.
        services.AddWebEncoders();
        services.AddAuthenticationCore(options =>
        {
            options.AddScheme<BearerTokenHandler>(BearerTokenHandler.SchemeName, displayName: null);
            options.DefaultScheme = BearerTokenHandler.SchemeName;
        });
        return services.AddScopePolicies();
    }
}

/// <summary>Writes the failure log's summary line once a minute.</summary>
internal sealed class AuthFailureLogFlush(AuthFailureLog log, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(AuthFailureLog.Window, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) log.Flush(clock.GetUtcNow());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
