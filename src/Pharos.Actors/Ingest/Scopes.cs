using System.Collections.Frozen;

namespace Pharos.Actors.Ingest;

/// <summary>The authorisation scopes a bearer token can carry (the README's HTTP API table).</summary>
public static class Scopes
{
    public const string Ingest = "ingest";
    public const string Read = "read";
    /// <summary>Cluster control; a token with this scope is also granted every other scope.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlySet<string> All = new[] { Ingest, Read, Admin }.ToFrozenSet(StringComparer.Ordinal);
}
