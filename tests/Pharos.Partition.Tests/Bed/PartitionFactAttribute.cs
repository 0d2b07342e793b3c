using Pharos.Partition.Tests.Network;

namespace Pharos.Partition.Tests.Bed;

/// <summary>A partition scenario: skipped, with the reason, where network namespaces cannot be made.</summary>
public sealed class PartitionFactAttribute : FactAttribute
{
    public PartitionFactAttribute()
    {
        if (TestNetwork.Unavailable.Value is { } reason) Skip = reason;
    }
}
