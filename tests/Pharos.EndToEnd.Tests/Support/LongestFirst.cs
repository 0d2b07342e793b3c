using System.Reflection;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("Pharos.EndToEnd.Tests.Support.LongestFirst", "Pharos.EndToEnd.Tests")]
[assembly: TestFramework("Pharos.EndToEnd.Tests.Support.InOrderTestFramework", "Pharos.EndToEnd.Tests")]

namespace Pharos.EndToEnd.Tests.Support;

/// <summary>
/// Orders the test classes (a collection each) longest first. xunit runs three at a time (xunit.runner.json) and starts
/// the next one when one ends; in its own order (a hash of the assembly's path and the class's name, so another order in
/// every checkout) a class that takes minutes could start last and run alone at the end while two threads idle. Longest
/// first, the short classes fill the end instead. <see cref="PublishedNodeTests"/> comes first whatever its time: its
/// `dotnet publish` has the whole run to finish beside the others. <see cref="InOrderTestFramework"/> starts them in
/// this order.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    /// <summary>A class missing from <see cref="Seconds"/>: after the long ones, before the short ones.</summary>
    private const int Unknown = 20;

    /// <summary>
    /// Roughly how many seconds each class takes in a run of the whole project on a 2-core machine (the durations in a
    /// trx, its fixture included); only the order matters.
    /// </summary>
    private static readonly Dictionary<string, int> Seconds = new(StringComparer.Ordinal)
    {
        [nameof(PublishedNodeTests)] = 1_000,
        [nameof(Chaos.SingletonTakeoverTests)] = 100,
        [nameof(Chaos.EdgeScaleTests)] = 80,
        [nameof(MutualTlsTests)] = 80,
        [nameof(HostileRepositoryTests)] = 60,
        [nameof(OriginalClientContractTests)] = 45,
        [nameof(RejoinTests)] = 40,
        [nameof(EdgeLossTests)] = 35,
        [nameof(JobCompletionTests)] = 35,
        [nameof(StaleTaskTests)] = 30,
        [nameof(ResultsTests)] = 30,
        [nameof(OutboxDeliveryTests)] = 25,
        [nameof(ResultLimitTests)] = 20,
        [nameof(RedisResultsTests)] = 15,
        [nameof(CancellationTests)] = 13,
        [nameof(Chaos.CloudKillTests)] = 12,
        [nameof(ClusterPortTests)] = 8,
        [nameof(StandaloneTests)] = 8,
        [nameof(WorkerStatusTests)] = 7,
        [nameof(Chaos.RedisOutageTests)] = 7,
        [nameof(DeployFilesTests)] = 1,
    };

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(c => Seconds.GetValueOrDefault(ClassName(c), Unknown))
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    /// <summary>"Test collection for Pharos.EndToEnd.Tests.ResultsTests" → ResultsTests.</summary>
    private static string ClassName(ITestCollection collection) =>
        collection.DisplayName[(collection.DisplayName.LastIndexOf('.') + 1)..];
}

/// <summary>
/// xunit's own framework, except that parallel collections start in the collection orderer's order. xunit (2.9,
/// conservative) hands every collection to the thread pool at once and lets each wait for one of its max-parallel-threads
/// slots, so they take the slots in whatever order the pool runs them: a long class could still start last. Here the
/// next collection starts when a slot is free, in order; as many at a time as xunit.runner.json says.
/// </summary>
public sealed class InOrderTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformation, IMessageSink diagnostics)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformation, diagnostics)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink,
            ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    private sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnostics,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnostics, executionMessageSink, executionOptions)
    {
        protected override async Task<RunSummary> RunTestCollectionsAsync(IMessageBus messageBus, CancellationTokenSource cancellation)
        {
            var slots = ExecutionOptions.MaxParallelThreadsOrDefault();
            // Not in parallel, or without a bound: xunit's own way.
            if (ExecutionOptions.DisableParallelizationOrDefault() || slots < 1)
                return await base.RunTestCollectionsAsync(messageBus, cancellation);

            using var free = new SemaphoreSlim(slots);
            var running = new List<Task<RunSummary>>();
            foreach (var (collection, cases) in OrderTestCollections())
            {
                try
                {
                    await free.WaitAsync(cancellation.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        return await RunTestCollectionAsync(messageBus, collection, cases, cancellation);
                    }
                    finally
                    {
                        free.Release();
                    }
                }));
            }
            var summaries = await Task.WhenAll(running);
            return new RunSummary
            {
                Total = summaries.Sum(s => s.Total),
                Failed = summaries.Sum(s => s.Failed),
                Skipped = summaries.Sum(s => s.Skipped),
            };
        }
    }
}
