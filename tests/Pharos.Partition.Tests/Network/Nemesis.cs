namespace Pharos.Partition.Tests.Network;

/// <summary>What the nemesis did and when, kept beside the clients' history.</summary>
public sealed record Fault(DateTimeOffset At, string What);

/// <summary>
/// Cuts and restores links of a <see cref="TestNetwork"/>. Every fault is a real one: a link taken down (the host
/// hears nothing and is heard by no one), or nftables rules that drop packets between two hosts (both ways) or in one
/// direction only. Packets are dropped, never refused, as on a real network that goes away: a TCP peer learns of it
/// only by its timeouts. Every fault is logged with its time; <see cref="HealAsync"/> undoes all of them.
/// </summary>
public sealed class Nemesis(TestNetwork network)
{
    private readonly List<Fault> _faults = [];
    private readonly HashSet<NetHost> _isolated = [];
    private readonly HashSet<NetHost> _filtered = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public IReadOnlyList<Fault> Faults { get { lock (_faults) return _faults.ToList(); } }

    /// <summary>When the last fault was undone (<see cref="HealAsync"/>), or null while one is in place or none was made.</summary>
    public DateTimeOffset? HealedAt { get; private set; }

    /// <summary>The host's link goes down: it hears no one and no one hears it.</summary>
    public Task IsolateAsync(NetHost host) => DoAsync($"isolate {host}", async () =>
    {
        await Shell.IpAsync("-n", network.Hub, "link", "set", host.HubLink, "down");
        _isolated.Add(host);
    });

    /// <summary>The host's link comes back up.</summary>
    public Task ReconnectAsync(NetHost host) => DoAsync($"reconnect {host}", async () =>
    {
        await Shell.IpAsync("-n", network.Hub, "link", "set", host.HubLink, "up");
        _isolated.Remove(host);
    });

    /// <summary>No packet passes between <paramref name="a"/> and <paramref name="b"/>; each still reaches every other host.</summary>
    public Task CutAsync(NetHost a, NetHost b) => DoAsync($"cut {a} from {b}", async () =>
    {
        await Shell.NftAsync(a.Namespace, $"""
            add rule inet pharos input ip saddr {b.Address} drop
            add rule inet pharos output ip daddr {b.Address} drop
            """);
        _filtered.Add(a);
    });

    /// <summary>Packets from <paramref name="from"/> never reach <paramref name="to"/>; the other way still works.</summary>
    public Task CutOneWayAsync(NetHost from, NetHost to) => DoAsync($"drop what {from} sends to {to}", async () =>
    {
        await Shell.NftAsync(to.Namespace, $"add rule inet pharos input ip saddr {from.Address} drop");
        _filtered.Add(to);
    });

    /// <summary>Every link up and every rule gone.</summary>
    public Task HealAsync() => DoAsync("heal", async () =>
    {
        foreach (var host in _isolated.ToList())
            await Shell.IpAsync("-n", network.Hub, "link", "set", host.HubLink, "up");
        foreach (var host in _filtered.ToList())
            await Shell.NftAsync(host.Namespace, "flush chain inet pharos input\nflush chain inet pharos output\n");
        _isolated.Clear();
        _filtered.Clear();
    }, healed: true);

    /// <summary>Cuts and restores <paramref name="host"/> every <paramref name="period"/> until <paramref name="duration"/> is over; ends restored.</summary>
    public async Task FlapAsync(NetHost host, TimeSpan period, TimeSpan duration)
    {
        var until = DateTimeOffset.UtcNow + duration;
        while (DateTimeOffset.UtcNow < until)
        {
            await IsolateAsync(host);
            await Task.Delay(period);
            await ReconnectAsync(host);
            await Task.Delay(period);
        }
        await HealAsync();
    }

    private async Task DoAsync(string what, Func<Task> action, bool healed = false)
    {
        await _gate.WaitAsync();
        try
        {
            await action();
            var now = DateTimeOffset.UtcNow;
            lock (_faults) _faults.Add(new Fault(now, what));
            HealedAt = healed || _isolated.Count + _filtered.Count == 0 ? now : null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
