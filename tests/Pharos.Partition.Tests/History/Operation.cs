namespace Pharos.Partition.Tests.History;

public enum OpKind { Submit, Cancel }

/// <summary>
/// One request of the workload and what came of it. <see cref="Status"/> is null when no answer came (refused,
/// reset, timed out): the request may or may not have taken effect, as Jepsen's "info" operations.
/// </summary>
/// <param name="Key">What the request named: the ref submitted, or the task id cancelled.</param>
/// <param name="Detail">The problem's detail, or the error when no answer came.</param>
public sealed record Operation(long Index, int Client, OpKind Kind, string Target, string Key, DateTimeOffset Invoked,
    DateTimeOffset Completed, int? Status, string? TaskId, string? Detail)
{
    /// <summary>
    /// The answer says nothing about whether the request took effect: none came, or a 503 that does not say nothing
    /// was accepted (the queue did not answer in time, or the store did not confirm the write).
    /// </summary>
    public bool Indeterminate => Status is null || (Status == 503 && Detail?.Contains(NothingAccepted, StringComparison.Ordinal) != true);

    /// <summary>How the cloud's 503 says for certain that the request took no effect.</summary>
    public const string NothingAccepted = "nothing was accepted";

    public override string ToString() =>
        $"#{Index} c{Client} {Kind} {Key} -> {Target}: {Status?.ToString() ?? "no answer"} {TaskId} {Detail}".TrimEnd();
}
