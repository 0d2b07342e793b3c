using Pharos.Actors.Downing;

namespace Pharos.Actors.Tests.Downing;

/// <summary>Which side of a partition keeps running, counted over the cloud nodes only.</summary>
public sealed class CloudQuorumTests
{
    [Theory]
    // One cloud node: an edge that is cut off never takes the cloud down; edges without a cloud down themselves.
    [InlineData(1, 1, QuorumSide.Majority)]
    [InlineData(1, 0, QuorumSide.Minority)]
    // Two cloud nodes, one gone: one against one, nothing inside the cluster can tell a crash from a partition.
    [InlineData(2, 1, QuorumSide.Tie)]
    [InlineData(2, 2, QuorumSide.Majority)]
    [InlineData(2, 0, QuorumSide.Minority)]
    [InlineData(3, 2, QuorumSide.Majority)]
    [InlineData(3, 1, QuorumSide.Minority)]
    [InlineData(4, 2, QuorumSide.Tie)]
    [InlineData(0, 0, QuorumSide.Minority)]
    public void A_side_is_kept_by_a_strict_majority_of_cloud_nodes_and_a_tie_goes_to_the_arbiter(int clouds, int reachable,
        QuorumSide expected) =>
        Assert.Equal(expected, CloudQuorum.Of(clouds, reachable));

    [Fact]
    public void Two_sides_of_one_partition_never_both_survive_without_the_arbiter()
    {
        for (var clouds = 1; clouds <= 9; clouds++)
            for (var reachable = 0; reachable <= clouds; reachable++)
            {
                var here = CloudQuorum.Of(clouds, reachable);
                var there = CloudQuorum.Of(clouds, clouds - reachable);
                Assert.False(here == QuorumSide.Majority && there == QuorumSide.Majority, $"{reachable} and {clouds - reachable} of {clouds}");
                Assert.Equal(here == QuorumSide.Tie, there == QuorumSide.Tie);
            }
    }
}
