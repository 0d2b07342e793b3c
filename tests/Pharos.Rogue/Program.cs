using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;
using Pharos.Api.Contracts;
using Pharos.Messages.Commands;

// pharos-rogue ROLE [CLOUD_ADDRESS CANCEL_TASK_ID STOLEN_WORKER_ID]: joins through PHAROS_SEEDS with the PHAROS_TLS_*
// certificate, claiming ROLE whatever the certificate grants (a node never does: it checks its own). With the three
// arguments, once Up it sends that cloud node's queue an EnqueueTask, a CancelJob of that task and a RegisterWorker with
// that worker's id, and its cluster daemon a Down of it; every line it prints starts with "rogue:". Exits 3 once removed.
var role = args[0];
var settings = PharosSettings.From(Host.CreateApplicationBuilder(NodeHostArguments.ReadSettingsOnce([])).Configuration);
var builder = Host.CreateApplicationBuilder(NodeHostArguments.ReadSettingsOnce([]));
builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka.WithPharosNode(settings, role));
using var host = builder.Build();
await host.StartAsync();
var system = host.Services.GetRequiredService<ActorSystem>();
var cluster = Cluster.Get(system);
var up = new TaskCompletionSource();
var removed = new TaskCompletionSource();
cluster.RegisterOnMemberUp(() => up.TrySetResult());
cluster.RegisterOnMemberRemoved(() => removed.TrySetResult());
await Task.WhenAny(up.Task, removed.Task);
Console.WriteLine(up.Task.IsCompleted ? $"rogue: up as {cluster.SelfAddress} claiming {role}" : "rogue: removed before up");

if (up.Task.IsCompleted && args.Length == 4)
{
    var cloud = Address.Parse(args[1]);
    var replies = system.ActorOf(Props.Empty, "rogue-replies");
    var queue = system.ActorSelection($"{cloud}/user/pharos-queue/pharos-queue");
    queue.Tell(new EnqueueTask("https://github.com/rogue/enqueued", Priority.High, "rogue"), replies);
    queue.Tell(new CancelJob(args[2], "rogue"), replies);
    queue.Tell(new RegisterWorker(args[3], cluster.SelfAddress.ToString(), Challenge: "rogue"), replies);
    // Akka's own Down command is internal to Akka.Cluster; a rogue builds it anyway.
    var down = Type.GetType("Akka.Cluster.ClusterUserAction+Down, Akka.Cluster", throwOnError: true)!;
    var command = Activator.CreateInstance(down, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public |
                                                 System.Reflection.BindingFlags.NonPublic, null, [cloud], null)!;
    system.ActorSelection($"{cloud}/system/cluster/core/daemon").Tell(command, replies);
    Console.WriteLine($"rogue: attacked {cloud}");
}

await removed.Task;
Console.WriteLine("rogue: removed from the cluster");
await host.StopAsync();
return 3;
