using Pharos.Messages.Status;

namespace Pharos.Actors.Queue;

/// <summary>
/// What the queue measures, for the node to export (the cloud node turns it into Prometheus metrics): the actor
/// stays free of any metrics library. Called on the actor's thread, so implementations must be quick.
/// </summary>
public interface IQueueMetrics
{
    /// <summary>One group commit is durable: <paramref name="elapsed"/> from the write to the journal's answer.</summary>
    void BatchWritten(TimeSpan elapsed, int events);

    /// <summary>A task's completion is durable; its stages as the worker measured them.</summary>
    void TaskCompleted(StageSeconds stages);
}

public sealed class NoQueueMetrics : IQueueMetrics
{
    public static readonly NoQueueMetrics Instance = new();

    public void BatchWritten(TimeSpan elapsed, int events) { }

    public void TaskCompleted(StageSeconds stages) { }
}
