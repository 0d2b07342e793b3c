using Akka.Configuration;

namespace Pharos.Persistence.Testing;

/// <summary>
/// Base of the persistence specs: an actor system whose default journal and snapshot store are the plugin's, on a
/// storage of the test's own (<typeparamref name="TStorage"/>). Mirrors the TCK's PluginSpec: <see cref="Pid"/>,
/// <see cref="WriterGuid"/>, <see cref="ActorInstanceId"/>, <see cref="Subscribe{T}"/>, publish-plugin-commands on, and
/// the test serializers bound.
/// </summary>
public abstract class PluginSpec<TStorage> : Akka.TestKit.Xunit2.TestKit
    where TStorage : PluginStorage
{
    private static int _counter;

    /// <param name="extraConfig">HOCON over the plugin's: a test's own settings.</param>
    /// <param name="captureAkkaLog">
    /// Sends Akka's log to the test output. Xunit2's TestKit then subscribes its logger to every level, DEBUG included,
    /// whatever akka.loglevel says, and Akka logs a DEBUG line per replayed event: a test that measures the plugin
    /// turns it off.
    /// </param>
    protected PluginSpec(TStorage storage, ITestOutputHelper output, string systemName, string? extraConfig = null,
        bool captureAkkaLog = true)
        : base(Configuration(storage, extraConfig), systemName, captureAkkaLog ? output : null)
    {
        Storage = storage;
        TestOutput = output;
        Pid = "p-" + Interlocked.Increment(ref _counter);
        WriterGuid = Guid.NewGuid().ToString();
    }

    protected TStorage Storage { get; }

    /// <summary>The test's output, also when Akka's log is not sent there.</summary>
    protected ITestOutputHelper TestOutput { get; }
    protected string Pid { get; }
    protected string WriterGuid { get; }
    protected int ActorInstanceId => 1;

    protected PersistenceExtension Extension => Akka.Persistence.Persistence.Instance.Apply(Sys);
    protected IActorRef Journal => Extension.JournalFor(null);
    protected IActorRef SnapshotStore => Extension.SnapshotStoreFor(null);

    protected void Subscribe<T>(IActorRef subscriber) => Sys.EventStream.Subscribe(subscriber, typeof(T));

    /// <summary>An <see cref="EventLogActor"/> for <paramref name="pid"/> in <paramref name="system"/> (the TestKit's by default), reporting to a new probe.</summary>
    protected (IActorRef Actor, Akka.TestKit.TestProbe Reporter) Start(string pid, ActorSystem? system = null)
    {
        system ??= Sys;
        var reporter = CreateTestProbe(system);
        var actor = system.ActorOf(EventLogActor.Props(pid, reporter.Ref));
        return (actor, reporter);
    }

    /// <summary>An event of <see cref="Pid"/> (or <paramref name="persistenceId"/>) by <see cref="WriterGuid"/>, as a persistent actor sends it.</summary>
    protected Persistent Event(object payload, long sequenceNr, string? persistenceId = null) =>
        new(payload, sequenceNr, persistenceId ?? Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid);

    /// <summary>What the storage holds for replay, read directly; see <see cref="PluginStorage.ReadEventsAsync"/>.</summary>
    protected Task<IReadOnlyList<IPersistentRepresentation>> ReadStoredEventsAsync(string persistenceId) =>
        Storage.ReadEventsAsync(persistenceId, Sys.Serialization);

    protected async Task<long[]> ReadStoredSequenceNrsAsync(string persistenceId) =>
        (await ReadStoredEventsAsync(persistenceId)).Select(e => e.SequenceNr).ToArray();

    /// <summary>
    /// Writes event "a-1" of <see cref="Pid"/> and a snapshot "s-1" after it, and waits until both are stored; the probe
    /// that asked is free for more.
    /// </summary>
    protected Akka.TestKit.TestProbe WriteOneEventAndOneSnapshot()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(new[] { new AtomicWrite(Event("a-1", 1)) }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 1, DateTime.MinValue), "s-1"), probe.Ref);
        probe.ExpectMsg<SaveSnapshotSuccess>();
        return probe;
    }

    /// <summary>What every spec runs with, under the plugin's own HOCON: the test serializers and the TCK's settings.</summary>
    public static Config CommonConfig { get; } = ConfigurationFactory.ParseString($$"""
        akka.loglevel = INFO
        akka.stdout-loglevel = INFO
        # ExpectMsg without a timeout: a spec's first reply includes the plugin opening its storage, which took over the
        # default 3 s on a loaded CI machine. Only the wait for a failure grows.
        akka.test.single-expect-default = 10s
        akka.actor.serializers {
          failing = "{{typeof(FailingSerializer).AssemblyQualifiedName}}"
          manifested = "{{typeof(ManifestedSerializer).AssemblyQualifiedName}}"
        }
        akka.actor.serialization-bindings {
          "{{typeof(Unserializable).AssemblyQualifiedName}}" = failing
          "{{typeof(ManifestedEvent).AssemblyQualifiedName}}" = manifested
        }
        # The TCK's: the plugins publish the commands they receive, so a test can see them arrive.
        akka.persistence.publish-plugin-commands = on
        """);

    private static Config Configuration(TStorage storage, string? extraConfig)
    {
        var config = storage.PluginConfig.WithFallback(CommonConfig);
        return extraConfig is null ? config : ConfigurationFactory.ParseString(extraConfig).WithFallback(config);
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            base.Dispose(disposing);
        }
        finally
        {
            // After the actor system: the plugin is done with the storage.
            if (disposing) Storage.Dispose();
        }
    }
}
