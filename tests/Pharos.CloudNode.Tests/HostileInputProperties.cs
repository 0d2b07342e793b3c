using System.Text;

namespace Pharos.CloudNode.Tests;

/// <summary>A node with an empty queue that hostile requests must leave empty.</summary>
public sealed class EmptyQueueNode : IAsyncLifetime
{
    public CloudNodeHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await CloudNodeHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Hostile input with a valid token: malformed bodies and repository URLs of every refused class answer 4xx as
/// problem+json, queue nothing, and leave the node answering.
/// </summary>
public sealed class HostileInputProperties(EmptyQueueNode node) : IClassFixture<EmptyQueueNode>
{
    private static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>Bodies that are not one object with a string repo_url (and an optional string priority).</summary>
    private static readonly Gen<string> HostileBodies = Gen.OneOf(
        // Deep nesting, past the parser's limit.
        Gen.Choose(9, 5_000).Select(depth => new string('[', depth) + new string(']', depth)),
        Gen.Choose(9, 2_000).Select(depth => string.Concat(Enumerable.Repeat("{\"repo_url\":", depth)) + "\"x\"" + new string('}', depth)),
        // Wrong types.
        Gen.Elements("{\"repo_url\": 5}", "{\"repo_url\": []}", "{\"repo_url\": {}}", "{\"repo_url\": true}",
            "{\"repo_url\": null}", "{\"repo_url\": \"https://github.com/a/b\", \"priority\": 3}",
            "{\"repo_url\": \"https://github.com/a/b\", \"priority\": [\"high\"]}", "[]", "\"https://github.com/a/b\"", "42", "null",
            "{}", "", " ", "{", "{\"repo_url\": \"https://github.com/a/b\"", "{'repo_url': 'https://github.com/a/b'}"),
        // The same key twice: which one would count is not the client's to guess.
        Gen.Elements("{\"repo_url\": \"https://github.com/a/b\", \"repo_url\": \"https://github.com/c/d\"}",
            "{\"repo_url\": \"https://github.com/a/b\", \"priority\": \"low\", \"priority\": \"high\"}"),
        // Huge strings: past the 16 KiB body limit, or a URL past 2048 characters.
        Gen.Choose(16_400, 200_000).Select(n => "{\"repo_url\": \"https://github.com/a/" + new string('b', n) + "\"}"),
        Gen.Choose(2_100, 15_000).Select(n => "{\"repo_url\": \"https://github.com/a/" + new string('b', n) + "\"}"),
        // An unknown priority (surrounding white space is trimmed, and a blank one means the default, as an absent one does).
        Gen.Elements("urgent", "HIGHEST", "0", "high;drop", "nor mal").Select(p => "{\"repo_url\": \"https://github.com/a/b\", \"priority\": " + Json(p) + "}"));

    /// <summary>Repository URLs of every class the validator refuses: internal addresses in any notation, schemes, tricks.</summary>
    private static readonly Gen<string> HostileUrls = Gen.OneOf(
        Gen.Elements(
            "http://127.0.0.1/a/b", "https://127.1/a/b", "https://0x7f000001/a/b", "https://2130706433/a/b", "https://017700000001/a/b",
            "https://[::1]/a/b", "https://[::ffff:127.0.0.1]/a/b", "https://[fe80::1]/a/b", "https://[fd00::1]/a/b",
            "https://10.0.0.1/a/b", "https://192.168.1.1/a/b", "https://169.254.169.254/latest/meta-data", "https://100.64.0.1/a/b",
            "https://localhost/a/b", "https://localhost./a/b", "https://LOCALHOST/a/b",
            "file:///etc/passwd", "javascript:alert(1)", "data:text/plain,x", "ftp://github.com/a/b", "/etc/passwd",
            "https://user:pass@github.com/a/b", "https://github.com/a/../../etc", "https://github.com/a/%2e%2e/b",
            "https://github.com/a/b%00", "https://github.com/a/b;rm -rf /", "https://github.com/a/$(id)", "https://github.com/a/`id`",
            "https://evil.example/a/b", "https://github.com.evil.example/a/b", "https://gіthub.com/a/b", "https://github.com\\@evil/a",
            "ssh://-oProxyCommand=id@github.com/a", "git@github.com:-oProxyCommand=id", "https://github.com/a/b\r\nX: y"),
        Gen.Elements('\0', '\n', '\r', '\t', '"', '\'', '<', '>', '|', '&', ';', '`', '$', '\\', ' ', 'é')
            .SelectMany(c => Gen.Choose(8, 24), (c, at) => "https://github.com/owner/repo"[..at] + c + "https://github.com/owner/repo"[at..]));

    private bool Refused(HttpResponseMessage response) =>
        (int)response.StatusCode is >= 400 and < 500
        && response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        && response.Content.Headers.ContentType?.MediaType == "application/problem+json";

    private HttpResponseMessage Post(string body)
    {
        var request = node.Host.Request(HttpMethod.Post, "/ingest");
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return node.Host.Client.SendAsync(request).GetAwaiter().GetResult();
    }

    private bool NothingQueuedAndAlive() =>
        node.Host.JobCountAsync().GetAwaiter().GetResult() == 0
        && node.Host.Client.GetAsync("/healthz").GetAwaiter().GetResult().IsSuccessStatusCode;

    [Property(MaxTest = 150)]
    public Property Malformed_bodies_answer_4xx_problem_json_and_queue_nothing() =>
        Prop.ForAll(HostileBodies.ToArbitrary(), body =>
        {
            var response = Post(body);
            return Refused(response).Label($"status {(int)response.StatusCode} for {body[..Math.Min(80, body.Length)]}")
                .And(NothingQueuedAndAlive()).Label("nothing queued, node alive");
        });

    [Property(MaxTest = 200)]
    public Property Hostile_repository_urls_answer_400_and_queue_nothing() =>
        Prop.ForAll(HostileUrls.ToArbitrary(), url =>
        {
            var response = Post("{\"repo_url\": " + Json(url) + "}");
            return (response.StatusCode == HttpStatusCode.BadRequest && Refused(response)).Label($"status {(int)response.StatusCode} for {url}")
                .And(NothingQueuedAndAlive()).Label("nothing queued, node alive");
        });
}
