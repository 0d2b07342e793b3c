using Akka.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;

// The edge node joins the cloud's cluster with role `edge`. Its worker arrives with the edge issue; until then it
// is a member that the cloud sees come and go.
var builder = Host.CreateApplicationBuilder(args);
PharosSettings settings;
try
{
    settings = PharosSettings.From(builder.Configuration);
}
catch (SettingsException e)
{
    await Console.Error.WriteLineAsync($"pharos edge: {e.Message}");
    return 2;
}

builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka.WithPharosNode(settings, PharosAkkaHosting.EdgeRole));
await builder.Build().RunAsync();
return 0;
