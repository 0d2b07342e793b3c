using System.Text.Json;
using Akka.Cluster;
using Pharos.Actors.Hosting;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Live;

namespace Pharos.CloudNode.Api;

/// <summary>
/// Cluster inspection and control for operators (the `pharos cluster ...` commands), admin scope only. Petabridge.Cmd
/// is not available here, so this is Pharos's own, over the authenticated HTTP API.
/// </summary>
public static class ClusterEndpoints
{
    public static void MapCluster(this IEndpointRouteBuilder app)
    {
        // Every cluster route is the admin's.
        var cluster = app.MapGroup("/cluster").RequireScope(ApiScope.Admin);

        cluster.MapGet("/members", (ActorSystem system, PharosSettings settings) =>
                Results.Ok(Members(Cluster.Get(system), settings.Cluster.Insecure)))
            .WithSummary("This node's view of the cluster: members with roles, status and reachability, the leader")
            .Produces<ClusterMembersDto>();

        cluster.MapPost("/leave", (HttpContext context, ActorSystem system) =>
                ActAsync(context, Cluster.Get(system), "leave", (cluster, address) => cluster.Leave(address)))
            .WithSummary("Ask a member to leave the cluster gracefully (its tasks are handed back)")
            .Produces<ClusterActionDto>(StatusCodes.Status202Accepted)
            .ProducesProblem(400).ProducesProblem(404);

        cluster.MapPost("/down", (HttpContext context, ActorSystem system) =>
                ActAsync(context, Cluster.Get(system), "down", (cluster, address) => cluster.Down(address)))
            .WithSummary("Mark a member down (it is removed without a handshake: for a node that is gone)")
            .Produces<ClusterActionDto>(StatusCodes.Status202Accepted)
            .ProducesProblem(400).ProducesProblem(404);

        cluster.MapGet("/events", (ActorSystem system, TimeProvider clock) =>
                ServerSentEvents.Of(LiveFeeds.ClusterEvents(Cluster.Get(system), clock), "member"))
            .WithSummary("Membership events as server-sent events (`event: member`), from now on");
    }

    internal static ClusterMembersDto Members(Cluster cluster, bool insecure)
    {
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        // Akka keeps a member's up number internal; its rank by age says the same: 1 is the oldest member (where the
        // singletons run), 0 a member that has not been up yet.
        var ranks = state.Members.Where(m => m.Status is not (MemberStatus.Joining or MemberStatus.WeaklyUp))
            .Order(Member.AgeOrdering)
            .Select((m, i) => (m.Address, Rank: i + 1))
            .ToDictionary(r => r.Address, r => r.Rank);
        var members = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new ClusterMemberDto(m.Address.ToString(), Roles(m),
                StatusName(m.Status), !unreachable.Contains(m.Address), ranks.GetValueOrDefault(m.Address)))
            .ToArray();
        return new ClusterMembersDto(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members,
            unreachable.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToArray(), insecure);
    }

    /// <summary>The member's Pharos roles; Akka's own data-center role (dc-default) says nothing here.</summary>
    internal static string[] Roles(Member member) =>
        member.Roles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    internal static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.Joining => "joining",
        MemberStatus.WeaklyUp => "weakly_up",
        MemberStatus.Up => "up",
        MemberStatus.Leaving => "leaving",
        MemberStatus.Exiting => "exiting",
        MemberStatus.Down => "down",
        MemberStatus.Removed => "removed",
        // A coordinated shutdown of the whole cluster: the member is on its way out.
        _ => "leaving",
    };

    private static async Task<IResult> ActAsync(HttpContext context, Cluster cluster, string action,
        Action<Cluster, Address> act)
    {
        var body = await RequestBody.ReadAsync(context);
        if (body is null) return ApiProblems.TooLarge(RequestBody.MaxBytes);
        var (address, error) = ParseAddress(body, cluster.SelfAddress.Protocol);
        if (address is null) return ApiProblems.BadRequest(error!);
        // The member list, not Akka: Leave and Down of an address that is no member are silently ignored.
        if (!cluster.State.Members.Any(m => m.Address.Equals(address)))
            return ApiProblems.NotFound($"{address} is not a member of this cluster (GET /cluster/members lists them).");
        act(cluster, address);
        return Results.Json(new ClusterActionDto(address.ToString(), action), statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// {"address": "akka.tcp://pharos@host:port"}: the address, or why it is not one. Members share this node's
    /// <paramref name="protocol"/> (akka.ssl.tcp with mutual TLS on), so no other is a member's address.
    /// </summary>
    internal static (Address? Address, string? Error) ParseAddress(byte[] body, string protocol)
    {
        var like = $"{protocol}://{PharosAkkaHosting.SystemName}@host:port";
        var expected = $"The body must be {{\"address\": \"{like}\"}}.";
        string? text;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("address", out var value) || value.ValueKind != JsonValueKind.String)
                return (null, expected);
            text = value.GetString();
        }
        catch (JsonException)
        {
            return (null, expected);
        }
        if (string.IsNullOrWhiteSpace(text)) return (null, expected);
        Address address;
        try
        {
            address = Address.Parse(text.Trim());
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            return (null, $"'{ApiProblems.Shorten(text)}' is not an address like {like}.");
        }
        if (address.Protocol != protocol || address.System != PharosAkkaHosting.SystemName
            || string.IsNullOrEmpty(address.Host) || address.Port is null or <= 0)
            return (null, $"'{ApiProblems.Shorten(text)}' is not an address like {like}.");
        return (address, null);
    }
}
