using Pharos.Cli.Commands;

namespace Pharos.Cli.Remote;

/// <summary>Where the cloud is and which token to present, resolved from options, the environment and ./data.</summary>
internal sealed record RemoteSettings(Uri BaseUri, string? Token, string TokenSource)
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string AdminTokenFile = "data/admin-token";

    public string BaseUrl => BaseUri.ToString().TrimEnd('/');

    public string TokenSourceHint => TokenSource switch
    {
        "none" => "no token was given: pass --token or set PHAROS_TOKEN",
        _ => $"the token came from {TokenSource}",
    };

    /// <summary>
    /// --url, else PHAROS_URL, else the default; --token, else PHAROS_TOKEN, else ./data/admin-token (the file
    /// `./run.sh` makes), and then a note on <paramref name="notes"/> says so.
    /// </summary>
    public static RemoteSettings Resolve(string? url, string? token, Func<string, string?> environment, string workingDirectory,
        TextWriter notes)
    {
        url = Blank(url) ?? Blank(environment("PHAROS_URL")) ?? DefaultUrl;
        if (!url.Contains("://", StringComparison.Ordinal)) url = "http://" + url;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliException($"'{url}' is not an http(s) URL of a Pharos cloud (--url or PHAROS_URL).");
        if (!uri.AbsolutePath.EndsWith('/')) uri = new Uri(uri + "/");

        if (Blank(token) is { } given) return new RemoteSettings(uri, given, "--token");
        if (Blank(environment("PHAROS_TOKEN")) is { } fromEnvironment) return new RemoteSettings(uri, fromEnvironment, "PHAROS_TOKEN");
        var file = Path.Combine(workingDirectory, AdminTokenFile);
        if (File.Exists(file))
        {
            string text;
            try { text = File.ReadAllText(file).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot read the admin token in {AdminTokenFile}: {e.Message}");
            }
            if (text.Length > 0)
            {
                notes.WriteLine($"pharos: using the admin token in ./{AdminTokenFile} (give --token or PHAROS_TOKEN to use another)");
                return new RemoteSettings(uri, text, $"./{AdminTokenFile}");
            }
        }
        return new RemoteSettings(uri, null, "none");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>The global options of the remote commands (one set per root command), and how a command gets its client.</summary>
internal sealed class RemoteOptions
{
    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"The Pharos cloud (default: PHAROS_URL, else {RemoteSettings.DefaultUrl}).",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token (default: PHAROS_TOKEN, else ./data/admin-token when it exists).",
        Recursive = true,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print the server's JSON as it is." };

    public PharosClient Client(ParseResult result, ParseResultContext context) => new(RemoteSettings.Resolve(
        result.GetValue(Url), result.GetValue(Token), Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory(),
        context.Error));

    /// <summary>The action of a remote command: a client for its run, and every failure as one line (exit 1).</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Action(Func<PharosClient, ParseResultContext, ParseResult, CancellationToken, Task<int>> body) =>
        (result, ct) =>
        {
            var context = ParseResultContext.From(result);
            return CliErrors.Guard(context, async () =>
            {
                using var client = Client(result, context);
                return await body(client, context, result, ct);
            });
        };
}
