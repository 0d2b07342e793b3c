using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration.Memory;
using Pharos.Actors.Hosting;
using Pharos.Actors.Queue;
using Pharos.Actors.Results;
using Pharos.CloudNode.Api;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Health;
using Pharos.CloudNode.Live;
using Pharos.CloudNode.Metrics;
using Pharos.CloudNode.Persistence;
using Pharos.CloudNode.ResultStorage;
using Pharos.Messages.Serialization;

namespace Pharos.CloudNode;

/// <summary>Builds and runs the cloud node; tests build it the same way with their own settings.</summary>
public static class CloudApp
{
    public const int ExitBadSettings = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync($"pharos cloud: {e.Message}");
            return ExitBadSettings;
        }
        // RunAsync, with the actor system kept to say why it stopped: Akka stops the node on its own too (downed, or an
        // outgoing TLS handshake failed), and a supervisor must see that as a failure to restart it.
        await using (app)
        {
            // The result store opens its file or its Redis connection while the actor system starts, instead of after it
            // on the start's path (the result intake, started last, is the first to need it).
            var storeOpening = Task.Run(() => app.Services.GetRequiredService<IResultStore>());
            await app.StartAsync();
            await storeOpening;
            var system = app.Services.GetRequiredService<ActorSystem>();
            await PharosAkkaHosting.WaitForShutdownAsync(app, app.Lifetime, system);
            var code = PharosAkkaHosting.ExitCode(system);
            if (code != 0) await Console.Error.WriteLineAsync($"pharos cloud: stopped: {CoordinatedShutdown.Get(system).ShutdownReason}");
            return code;
        }
    }

    /// <param name="overrides">Settings that win over the environment (tests, embedding).</param>
    /// <param name="configure">Last say over the builder, before the settings are read (tests add log sinks).</param>
    public const string StandaloneFlag = "--standalone";

    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        // `--standalone` is a switch, not a key=value the configuration's command-line source understands.
        var standalone = args.Contains(StandaloneFlag, StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder(NodeHostArguments.ReadSettingsOnce(args.Where(a => a != StandaloneFlag)));
        // Lowest-priority defaults, so appsettings and Logging__* variables still win. Per-request logs of ASP.NET
        // stay off: a flood of refused requests must not become a flood of log lines.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                // Hosting starts an Activity and a log scope for every request while its logger is on at any level;
                // Pharos records no traces, and Kestrel itself logs a request that throws.
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
            },
        });
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        if (standalone) builder.Configuration.AddInMemoryCollection([new("PHAROS_STANDALONE", "true")]);
        configure?.Invoke(builder);
        var settings = PharosSettings.From(builder.Configuration);
        settings.Cluster.RequireRole(PharosAkkaHosting.CloudRole);
        if (settings is { Node.Standalone: true, Auth: { AdminToken: null, TokensFile: null } })
        {
            // The one-command set-up: a token made once and kept beside the journal, never printed.
            var token = AdminTokenFile.LoadOrCreate(settings.Storage.DataDir, out var path, out var created);
            Console.WriteLine(created
                ? $"pharos: a new admin token is in {path} (send it as: Authorization: Bearer $(cat {path}))"
                : $"pharos: the admin token is in {path}");
            settings = settings with { Auth = settings.Auth with { AdminToken = token } };
        }

        builder.WebHost.UseUrls(settings.Node.HttpUrls.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        // Under systemd (deploy/systemd): ready is told with sd_notify, and log lines carry journald's levels. Before
        // the JSON choice, which wins when both apply.
        builder.Services.AddSystemd();
        // One line of JSON per entry for log collectors (Loki, CloudWatch...); plain text is easier to read by eye.
        if (settings.Node.LogFormat == NodeSettings.LogFormatJson) builder.Logging.AddJsonConsole();
        AddCloudServices(builder.Services, settings);
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => ConfigureAkka(akka, settings));

        var app = builder.Build();
        // First, so that the rate limiter and the logs see the client behind a trusted proxy, not the proxy.
        if (settings.Auth.TrustedProxies.Count > 0) app.UseForwardedHeaders(ForwardedFor(settings.Auth.TrustedProxies));
        // Who is asking, then the rate limits by who it is, then the routes' scopes: a flood past its failure limit is
        // refused 429 before it is challenged.
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = LiveFeeds.KeepAliveInterval });
        app.MapOpenApi();
        app.MapPharosApi(settings);
        app.MapDashboard(settings.Auth.RequireReadToken);
        return app;
    }

    /// <summary>The services the cloud's actors and routes resolve (the wiring tests register the same).</summary>
    public static IServiceCollection AddCloudServices(IServiceCollection services, PharosSettings settings)
    {
        // Before the shared services: the queue measures into these instead of nowhere.
        services.AddSingleton<PharosMetrics>();
        services.AddSingleton<IQueueMetrics>(provider => provider.GetRequiredService<PharosMetrics>());
        services.AddPharosCloudServices(settings);
        services.AddPharosAuth(settings);
        services.AddProblemDetails();
        services.AddPharosRateLimits(settings);
        services.AddSingleton<StatusBroadcast>();
        services.AddSingleton<LiveConnectionLimits>();
        services.AddSingleton<ActorSystemTermination>();
        services.AddJournalHealthChecks(settings);
        services.AddResultStore(settings);
        services.AddOpenApi(options => options.DescribeHealthRoutes());
        services.ConfigureHttpJsonOptions(options => PharosJson.Configure(options.SerializerOptions));
        return services;
    }

    /// <summary>Role `cloud`: the journal, the queue singleton, the gateway and status read model, the metrics.</summary>
    public static AkkaConfigurationBuilder ConfigureAkka(AkkaConfigurationBuilder akka, PharosSettings settings) => akka
        .WithPharosNode(settings, PharosAkkaHosting.CloudRole)
        .WithJournal(settings)
        .WithNodeHealthChecks()
        .WithLeaseArbiter(settings)
        .WithQueueSingleton(settings)
        .WithCloudActors(settings)
        .WithResultIntake(settings)
        .WithMetricsObserver()
        .WithStatusBroadcaster()
        // Standalone: an edge worker in this process too, pulling from the same queue over the same protocol.
        .WithEdgeWorkersIf(settings.Node.Standalone, settings);

    private static ForwardedHeadersOptions ForwardedFor(IEnumerable<System.Net.IPAddress> proxies)
    {
        // One hop: the last X-Forwarded-For entry is the one the trusted proxy wrote; earlier ones are the client's word.
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies) options.KnownProxies.Add(proxy);
        return options;
    }
}
