using System.Security.Cryptography;
using System.Text;
using Pharos.Security;

namespace Pharos.Cli.Commands;

/// <summary>
/// `pharos token new [--name] [--scopes] [--requests-per-minute] [--private-repos] [--max-queued]`: a new random token and
/// its line for PHAROS_TOKENS_FILE.
/// </summary>
internal static class TokenCommand
{
    public static readonly string[] KnownScopes = ["ingest", "read", "admin"];
    public const int MaxNameLength = 100;

    public static Command Build()
    {
        var name = new Option<string?>("--name") { Description = "The token's name in logs and job records (default: token-<first 8 hex of its SHA-256>)." };
        var scopes = new Option<string>("--scopes")
        {
            Description = "Comma-separated scopes among ingest, read, admin.",
            DefaultValueFactory = _ => "ingest,read",
        };
        var perMinute = new Option<int?>("--requests-per-minute")
        {
            Description = "Requests the token may make in any minute before the cloud node answers 429 (default: not limited).",
        };
        perMinute.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1) result.AddError("--requests-per-minute must be at least 1 (leave it out for no limit).");
        });
        var privateRepos = new Option<bool>("--private-repos")
        {
            Description = "Edges clone the token's tasks with their git credentials (PHAROS_GIT_TOKEN), so it may submit private repositories those can read (default: anonymous clones).",
        };
        var maxQueued = new Option<int?>("--max-queued")
        {
            Description = "Tasks the token may have queued at once, its share of the queue's cap (default: the whole cap with the admin scope, half of it otherwise).",
        };
        maxQueued.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1) result.AddError("--max-queued must be at least 1 (leave it out for the default share).");
        });
        var create = new Command("new", "Print a new random token (32 bytes, base64url) and the JSON entry for PHAROS_TOKENS_FILE.")
        {
            name, scopes, perMinute, privateRepos, maxQueued,
        };
        create.SetAction((result, _) =>
        {
            var context = ParseResultContext.From(result);
            return CliErrors.Guard(context, () => Task.FromResult(Create(result.GetValue(name), result.GetValue(scopes)!, result.GetValue(perMinute),
                result.GetValue(privateRepos), result.GetValue(maxQueued), context)));
        });
        return new Command("token", "Bearer tokens for the cloud node.") { create };
    }

    private static int Create(string? name, string scopeList, int? perMinute, bool privateRepos, int? maxQueued, ParseResultContext context)
    {
        var scopes = scopeList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToLowerInvariant()).Distinct().ToArray();
        if (scopes.Length == 0) throw new CliException("--scopes must name at least one of ingest, read, admin.");
        if (scopes.FirstOrDefault(s => !KnownScopes.Contains(s)) is { } unknown)
            throw new CliException($"unknown scope '{unknown}'; scopes are ingest, read, admin.");

        var token = Secrets.NewToken();
        var sha256 = Sha256Hex(token);
        name = string.IsNullOrWhiteSpace(name) ? $"token-{sha256[..8]}" : name.Trim();
        if (name.Length > MaxNameLength || name.Any(char.IsControl))
            throw new CliException($"--name must be at most {MaxNameLength} characters with no control characters.");
        if (name.Equals("admin", StringComparison.OrdinalIgnoreCase))
            throw new CliException("the name 'admin' is reserved for PHAROS_ADMIN_TOKEN; choose another --name.");

        // The token and the line go to standard output (one each, for scripts); the advice to standard error.
        context.Output.WriteLine(token);
        context.Output.WriteLine(EntryLine(name, sha256, scopes, perMinute, privateRepos, maxQueued));
        context.Error.WriteLine("pharos: the first line is the token: give it to its user now, it is not kept anywhere.");
        context.Error.WriteLine("pharos: add the second line to the JSON array in PHAROS_TOKENS_FILE and restart the cloud node.");
        return 0;
    }

    /// <summary>Lowercase hex of the SHA-256 of the token's UTF-8 bytes, as the cloud node compares it.</summary>
    internal static string Sha256Hex(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    internal static string EntryLine(string name, string sha256, IReadOnlyList<string> scopes, int? perMinute = null,
        bool privateRepos = false, int? maxQueued = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["name"] = name,
            ["sha256"] = sha256,
            ["scopes"] = scopes,
            ["requests_per_minute"] = perMinute,
            ["private_repos"] = privateRepos,
            // null: the cloud node gives the token its default share of the cap.
            ["max_queued"] = maxQueued,
        });
}
