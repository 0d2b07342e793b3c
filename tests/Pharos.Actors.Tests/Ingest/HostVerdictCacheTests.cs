using System.Net;
using Pharos.Actors.Ingest;

namespace Pharos.Actors.Tests.Ingest;

public sealed class HostVerdictCacheTests
{
    [Fact]
    public async Task Ten_times_the_most_remembered_distinct_hosts_leave_at_most_that_many_remembered()
    {
        // Resolving is not what is tested: every name resolves at once to a public address.
        var cache = new HostVerdictCache((_, _) => Task.FromResult(new[] { IPAddress.Parse("140.82.112.3") }));
        for (var i = 0; i < 10 * HostVerdictCache.MaxRememberedHosts; i++)
        {
            Assert.Equal(HostVerdict.Public, await cache.VerdictAsync($"host-{i}.example.com"));
            Assert.InRange(cache.Count, 1, HostVerdictCache.MaxRememberedHosts);
        }
    }
}
