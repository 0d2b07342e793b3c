using Akka.Hosting;
using Microsoft.Extensions.Configuration.Memory;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;
using Pharos.CloudNode.Api;
using Pharos.CloudNode.Persistence;
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
        await app.RunAsync();
        return 0;
    }

    /// <param name="overrides">Settings that win over the environment (tests, embedding).</param>
    /// <param name="configure">Last say over the builder, before the settings are read (tests add log sinks).</param>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        // Lowest-priority defaults, so appsettings and Logging__* variables still win. Per-request logs of ASP.NET
        // stay off: a flood of refused requests must not become a flood of log lines.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            },
        });
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        configure?.Invoke(builder);
        var settings = PharosSettings.From(builder.Configuration);

        builder.WebHost.UseUrls(settings.HttpUrls.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        builder.Services.AddPharosCloudServices(settings);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(options => PharosJson.Configure(options.SerializerOptions));
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka
            .WithPharosNode(settings, PharosAkkaHosting.CloudRole)
            .WithEmbeddedJournal(settings)
            .WithQueueSingleton(settings)
            .WithCloudActors(settings));

        var app = builder.Build();
        app.MapOpenApi();
        app.MapPharosApi(settings);
        return app;
    }
}
