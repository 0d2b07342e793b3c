namespace Pharos.Cli.Commands;

/// <summary>
/// `pharos cluster show|leave|down|down-unreachable|tail`: the cluster palette of Petabridge.Cmd, over the cloud's
/// admin routes.
/// </summary>
internal static class ClusterCommand
{
    public static Command Build(RemoteOptions remote)
    {
        var cluster = new Command("cluster", "Inspect and control the Akka cluster (admin token).");
        cluster.Subcommands.Add(Show(remote));
        cluster.Subcommands.Add(Remove(remote, "leave", "Ask a member to leave the cluster gracefully (POST /cluster/leave)."));
        cluster.Subcommands.Add(Remove(remote, "down", "Mark a member down: it is removed at once (POST /cluster/down)."));
        cluster.Subcommands.Add(DownUnreachable(remote));
        cluster.Subcommands.Add(Tail(remote));
        return cluster;
    }

    private static Command Show(RemoteOptions remote)
    {
        var json = RemoteOptions.Json();
        var command = new Command("show", "One line per member: address | [roles] | status, then the count (GET /cluster/members).") { json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var members = await client.GetAsync("cluster/members", ct);
            if (result.GetValue(json))
            {
                Format.Json(context.Output, members.Text);
                return 0;
            }
            var view = members.Read<ClusterMembersDto>();
            var unreachable = UnreachableAddresses(view).ToHashSet(StringComparer.Ordinal);
            var count = 0;
            foreach (var member in view.Members)
            {
                var notes = new List<string>();
                if (unreachable.Contains(member.Address)) notes.Add("(unreachable)");
                if (member.Address == view.Leader) notes.Add("(leader)");
                if (member.Address == view.Self) notes.Add("(self)");
                var suffix = notes.Count > 0 ? " " + string.Join(" ", notes) : "";
                context.Output.WriteLine($"{member.Address} | [{string.Join(", ", member.Roles)}] | {member.Status}{suffix}");
                count++;
            }
            context.Output.WriteLine($"Count: {count} {(count == 1 ? "node" : "nodes")}");
            return 0;
        }));
        return command;
    }

    private static Command Remove(RemoteOptions remote, string verb, string description)
    {
        var address = new Argument<string>("ADDRESS") { Description = "The member's address as `cluster show` prints it (akka.tcp://pharos@host:port, or akka.ssl.tcp://… with mutual TLS)." };
        var command = new Command(verb, description) { address };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var target = result.GetValue(address)!;
            await client.PostAsync($"cluster/{verb}", new Dictionary<string, string> { ["address"] = target }, ct);
            context.Output.WriteLine(verb == "leave" ? $"Asked {target} to leave the cluster." : $"Marked {target} down.");
            return 0;
        }));
        return command;
    }

    private static Command DownUnreachable(RemoteOptions remote)
    {
        var command = new Command("down-unreachable", "Mark every unreachable member down (GET /cluster/members, then POST /cluster/down each).");
        command.SetAction(remote.Action(async (client, context, _, ct) =>
        {
            var members = await client.GetAsync("cluster/members", ct);
            var targets = UnreachableAddresses(members.Read<ClusterMembersDto>()).Distinct(StringComparer.Ordinal).ToList();
            var downed = 0;
            foreach (var target in targets)
            {
                try
                {
                    await client.PostAsync("cluster/down", new Dictionary<string, string> { ["address"] = target }, ct);
                    context.Output.WriteLine($"Marked {target} down.");
                    downed++;
                }
                catch (ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound && e.Detail is not null)
                {
                    context.Output.WriteLine($"{target} is gone already.");
                }
            }
            context.Output.WriteLine(targets.Count == 0
                ? "No unreachable members."
                : $"Downed {downed} of {targets.Count} unreachable {(targets.Count == 1 ? "member" : "members")}.");
            return 0;
        }));
        return command;
    }

    private static Command Tail(RemoteOptions remote)
    {
        var json = RemoteOptions.Json();
        json.Description = "Print each event's JSON on a line of its own.";
        var command = new Command("tail", "Print membership events as they happen (GET /cluster/events) until Ctrl+C.") { json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            try
            {
                var stream = await client.OpenEventStreamAsync("cluster/events", ct)
                             ?? throw new CliException($"the Pharos cloud at {client.Settings.BaseUrl} has no route GET /cluster/events (is it an older version?)");
                context.Error.WriteLine($"pharos: following the cluster of {client.Settings.BaseUrl} (Ctrl+C to stop)");
                await foreach (var e in stream)
                {
                    if (e.Event != "member") continue;
                    if (result.GetValue(json))
                    {
                        context.Output.WriteLine(e.Data.ReplaceLineEndings(""));
                    }
                    else
                    {
                        var change = PharosClient.Read<ClusterEventDto>(e.Data);
                        var address = change.Address ?? "(none)"; // leader_changed to no leader
                        context.Output.WriteLine($"{Format.Time(change.At)}  {change.Type.ToName(),-12} {address}" +
                                                 (change.Roles.Count > 0 ? $" [{string.Join(", ", change.Roles)}]" : ""));
                    }
                    context.Output.Flush();
                }
                throw new CliException($"the Pharos cloud at {client.Settings.BaseUrl} closed the event stream.");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 0;
            }
        }));
        return command;
    }

    /// <summary>The addresses in `unreachable` and of members marked not reachable.</summary>
    private static IEnumerable<string> UnreachableAddresses(ClusterMembersDto members) =>
        members.Unreachable.Concat(members.Members.Where(m => !m.Reachable).Select(m => m.Address));
}
