using System.Text.Json;
using Pharos.Messages.Serialization;

namespace Pharos.Messages.Tests;

/// <summary>
/// The vocabulary's strings are in journals already written: every string ever written must stay a member (an
/// unknown one would stop recovery), and each member must keep its string. Add a member here when you add one.
/// </summary>
public sealed class VocabularyTests
{
    [Fact]
    public void Every_string_ever_written_is_still_a_member_with_the_same_name()
    {
        Pinned<JobStatus>("queued", "running", "completed", "failed", "skipped", "cancelled", "requeued");
        Pinned<JobStage>("cloning", "parsing", "training", "storing", "uploading");
        Pinned<JobReason>("ttl_expired", "cancelled_by_user", "worker_lost", "clone_failed", "training_failed", "result_too_large",
            "analysis_crashed", "memory_limit", "timeout", "repository_too_large", "ref_not_found");
        Pinned<LeaseEndReason>("lease_expired", "worker_terminated", "worker_restarted", "cancelled");
        Pinned<WorkerState>("idle", "busy", "error", "offline");
        Pinned<Priority>("low", "normal", "high");
    }

    [Fact]
    public void Members_are_written_as_their_names_with_or_without_Pharos_options()
    {
        Assert.Equal("\"cancelled_by_user\"", JsonSerializer.Serialize(JobReason.CancelledByUser, PharosJson.Options));
        Assert.Equal("\"cancelled_by_user\"", JsonSerializer.Serialize(JobReason.CancelledByUser));
        Assert.Equal(LeaseEndReason.WorkerRestarted, JsonSerializer.Deserialize<LeaseEndReason>("\"worker_restarted\""));
    }

    [Fact]
    public void An_unknown_string_is_refused_not_mapped()
    {
        Assert.False(WireNames.TryParse("requeue", out JobStatus _));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobReason>("\"no_such_reason\"", PharosJson.Options));
    }

    [Fact]
    public void Only_the_states_a_job_can_be_in_are_listed_for_filtering()
    {
        Assert.Equal(["queued", "running", "completed", "failed", "skipped", "cancelled"], JobStatuses.States.Select(s => s.ToName()));
        JobStatus[] final = [JobStatus.Completed, JobStatus.Failed, JobStatus.Skipped, JobStatus.Cancelled];
        Assert.All(JobStatuses.States.Where(s => s.IsFinal()), s => Assert.Contains(s, final));
    }

    [Fact]
    public void A_submitted_priority_is_read_leniently()
    {
        Assert.True(PriorityNames.TryParse(null, out var p) && p == Priority.Normal);
        Assert.True(PriorityNames.TryParse(" HIGH ", out p) && p == Priority.High);
        Assert.False(PriorityNames.TryParse("urgent", out _));
    }

    private static void Pinned<TEnum>(params string[] names) where TEnum : struct, Enum
    {
        Assert.Equal(names, WireNames.Of<TEnum>());
        foreach (var name in names)
        {
            var value = JsonSerializer.Deserialize<TEnum>($"\"{name}\"", PharosJson.Options);
            Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(value, PharosJson.Options));
            Assert.True(WireNames.TryParse(name, out TEnum parsed) && parsed.Equals(value));
        }
    }
}
