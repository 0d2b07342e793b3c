using System.Security.Cryptography.X509Certificates;

namespace Pharos.Security;

/// <summary>
/// The role a node certificate grants, `cloud` or `edge`: `pharos certs issue --role` writes it as the subject's
/// organizational unit <c>pharos-&lt;role&gt;</c>, which only the cluster's CA can sign. A node may hold only the role its
/// certificate names, and a cloud node downs a member that claims another.
/// </summary>
public static class ClusterRoles
{
    public const string Cloud = "cloud";
    public const string Edge = "edge";
    public static readonly IReadOnlyList<string> All = [Cloud, Edge];

    private const string UnitPrefix = "pharos-";
    private const string OrganizationalUnitOid = "2.5.4.11";

    /// <summary>The organizational unit that names <paramref name="role"/> in a certificate.</summary>
    public static string Unit(string role) => All.Contains(role)
        ? UnitPrefix + role
        : throw new ArgumentException($"'{role}' is not a node role ({string.Join(", ", All)}).", nameof(role));

    /// <summary>The role <paramref name="certificate"/> grants; null when it names none, or more than one.</summary>
    public static string? Of(X509Certificate2 certificate)
    {
        var roles = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(rdn => !rdn.HasMultipleElements && rdn.GetSingleElementType().Value == OrganizationalUnitOid)
            .Select(rdn => rdn.GetSingleElementValue())
            .Where(unit => unit is not null && unit.StartsWith(UnitPrefix, StringComparison.Ordinal))
            .Select(unit => unit![UnitPrefix.Length..])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return roles is [var role] && All.Contains(role) ? role : null;
    }

    /// <summary>
    /// Null when a node whose certificate grants <paramref name="granted"/> may claim <paramref name="claimed"/> (its
    /// cluster roles; Akka's own data-centre role <c>dc-…</c> aside); otherwise why not.
    /// </summary>
    public static string? Refusal(string? granted, IEnumerable<string> claimed)
    {
        var roles = claimed.Where(role => !role.StartsWith("dc-", StringComparison.Ordinal)).ToList();
        if (granted is null) return "its certificate names no role (issue it with `pharos certs issue --role cloud|edge`)";
        var other = roles.FirstOrDefault(role => role != granted);
        return other is null ? null : $"it claims the role '{other}', and its certificate grants '{granted}' only";
    }
}
