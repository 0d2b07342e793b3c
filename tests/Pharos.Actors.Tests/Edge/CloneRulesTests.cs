using System.Text.Json;
using FsCheck;
using Microsoft.Extensions.Configuration;
using Pharos.Actors.Edge.Git;

namespace Pharos.Actors.Tests.Edge;

/// <summary>The clone's rules on their own: where the token may go, which redirects are followed, what an error may show.</summary>
public sealed class CloneRulesTests
{
    private const string Token = "tok-9c1e-never-shown";

    private static CloneRequest Request(string url, params string[] tokenHosts) =>
        new(url, "/tmp/unused", 0, TimeSpan.FromMinutes(1), Token) { TokenHosts = tokenHosts };

    [Theory]
    [InlineData("https://github.com/o/r", true)]
    [InlineData("https://GitHub.com/o/r", true)]
    [InlineData("https://github.com:8443/o/r", true)]
    [InlineData("http://github.com/o/r", false)]        // https only
    [InlineData("https://api.github.com/o/r", false)]   // exact names: no subdomains
    [InlineData("https://github.com.evil.example/o/r", false)]
    [InlineData("https://gitlab.com/o/r", false)]
    public void The_token_goes_over_https_to_the_token_hosts_only(string url, bool sent)
    {
        Assert.Equal(sent, CredentialScope.MaySend(new Uri(url), Request(url, "github.com")));
    }

    [Fact]
    public void The_token_stays_home_without_the_grant_without_a_token_and_without_token_hosts()
    {
        var url = new Uri("https://github.com/o/r");
        Assert.False(CredentialScope.MaySend(url, Request(url.ToString(), "github.com") with { UseCredentials = false }));
        Assert.False(CredentialScope.MaySend(url, Request(url.ToString(), "github.com") with { HttpsToken = null }));
        Assert.False(CredentialScope.MaySend(url, Request(url.ToString())));
    }

    [Theory]
    [InlineData("http://localhost:8080/r", true, true)]
    [InlineData("http://127.0.0.1:8080/r", true, true)]
    [InlineData("http://localhost:8080/r", false, false)]   // plain http only while local repositories are allowed
    [InlineData("http://git.example.test/r", true, false)]  // and only to a loopback host
    public void Plain_http_carries_the_token_only_to_loopback_in_development(string url, bool allowInternal, bool sent)
    {
        var host = new Uri(url).Host;
        Assert.Equal(sent, CredentialScope.MaySend(new Uri(url),
            Request(url, host) with { AllowInternalAddresses = allowInternal }));
    }

    [Theory]
    [InlineData("https://github.com/o/r/info/refs", "https://github.com/o/renamed/info/refs", true)]
    [InlineData("https://github.com/o/r", "https://GITHUB.com/o/r2", true)]
    [InlineData("http://github.com/o/r", "https://github.com/o/r", true)]        // upgrade to https
    [InlineData("https://github.com/o/r", "http://github.com/o/r", false)]       // never down to http
    [InlineData("https://github.com/o/r", "https://codeload.github.com/o/r", false)]
    [InlineData("https://github.com/o/r", "https://169.254.169.254/latest", false)]
    [InlineData("https://github.com/o/r", "https://github.com:8443/o/r", false)] // another port is another server
    [InlineData("https://github.com/o/r", "file:///etc/passwd", false)]
    [InlineData("https://github.com/o/r", "git://github.com/o/r", false)]
    public void Redirects_are_followed_to_the_same_host_only(string from, string to, bool followed)
    {
        Assert.Equal(followed, GuardedHttpTransport.MayFollow(new Uri(from), new Uri(to)));
    }

    [Theory]
    [InlineData("connect to 127.0.0.1:9418 failed", "connect to <internal address>:9418 failed")]
    [InlineData("Connection refused (10.1.2.3:443).", "Connection refused (<internal address>:443).")]
    [InlineData("metadata at 169.254.169.254/latest", "metadata at <internal address>/latest")]
    [InlineData("http://[::1]:8080/r refused", "http://<internal address>:8080/r refused")]
    [InlineData("via fe80::1%eth0 and ::ffff:192.168.1.9", "via <internal address> and <internal address>")]
    [InlineData("fd12:3456::1 is private", "<internal address> is private")]
    [InlineData("public 8.8.8.8 and 2001:4860:4860::8888 stay", "public 8.8.8.8 and 2001:4860:4860::8888 stay")]
    [InlineData("at 12:30:45, version 1.2.3.4.5, std::vector", "at 12:30:45, version 1.2.3.4.5, std::vector")]
    public void Errors_show_no_internal_address(string raw, string shown)
    {
        Assert.Equal(shown, CloneErrors.Sanitize(raw, Token));
    }

    [Fact]
    public void Errors_show_no_control_characters_no_token_no_credentials_and_are_bounded()
    {
        var raw = $"remote: \u001b[31mdenied\u001b[0m\r\nfor https://user:{Token}@github.com/o/r\u202e.exe\0 " + new string('x', 2000);
        var shown = CloneErrors.Sanitize(raw, Token);
        Assert.DoesNotContain(shown, char.IsControl);
        Assert.DoesNotContain('\u202e', shown);
        Assert.DoesNotContain(Token, shown);
        Assert.DoesNotContain("user:", shown);
        Assert.StartsWith("remote: [31mdenied [0m for https://***@github.com/o/r", shown);
        Assert.Equal(CloneErrors.MaxLength, shown.Length);
    }

    private static readonly string[] InternalLiterals =
        ["127.0.0.1", "10.0.0.7", "192.168.0.1", "172.16.4.4", "169.254.169.254", "100.64.0.1", "::1", "[::1]",
         "fe80::1", "fd00::5", "::ffff:10.0.0.1", "0.0.0.0"];

    private static readonly Gen<string> Segments = Gen.Frequency(
        (4, ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "")),
        (2, Gen.Elements(InternalLiterals)),
        (1, Gen.Elements("\n", "\r", "\t", "\u001b[2J", "\0", "\u0085", "\u202e", "\u2028")),
        (1, Gen.Constant(Token)));

    /// <summary>Whatever text a server or a library puts in an error, what is shown keeps the rules.</summary>
    [Property(MaxTest = 300)]
    public Property Any_error_text_is_shown_without_control_characters_internal_addresses_or_the_token() =>
        Prop.ForAll(Segments.ListOf().Select(parts => string.Join(" ", parts)).ToArbitrary(), raw =>
        {
            var shown = CloneErrors.Sanitize(raw, Token);
            var tokens = shown.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return shown.Length <= CloneErrors.MaxLength
                   && !shown.Any(char.IsControl)
                   && !shown.Contains(Token, StringComparison.Ordinal)
                   && !tokens.Any(t => InternalLiterals.Contains(t));
        });

    [Fact]
    public void A_clone_request_travels_as_json_and_keeps_its_rules()
    {
        var request = new CloneRequest("https://github.com/o/r", "/work/x", 5, TimeSpan.FromSeconds(90), Token)
        {
            UseCredentials = false,
            TokenHosts = ["github.com", "git.example.org"],
            AllowInternalAddresses = true,
            MaxFiles = 12,
            MaxCheckoutBytes = 34,
            PinnedAddresses = new Dictionary<string, string> { ["git.example.org"] = "203.0.113.5" },
        };
        var json = JsonSerializer.Serialize(request, JsonSerializerOptions.Web);
        var back = JsonSerializer.Deserialize<CloneRequest>(json, JsonSerializerOptions.Web)!;

        Assert.Equal(request.ToString(), back.ToString());
        Assert.Equal(Token, back.HttpsToken);
        Assert.Equal(request.TokenHosts, back.TokenHosts);
        Assert.Equal("203.0.113.5", back.PinnedAddresses!["git.example.org"]);
        Assert.DoesNotContain(Token, request.ToString());
    }

    private static PharosSettings Read(params (string Key, string Value)[] values) =>
        PharosSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    [Fact]
    public void A_worker_clones_with_the_edge_settings()
    {
        var defaults = WorkerSettings.From(Read(), 1).CloneRequestFor("https://github.com/o/r", "/work/r");
        Assert.Equal(["github.com"], defaults.TokenHosts);
        Assert.Equal(100_000, defaults.MaxFiles);
        Assert.Equal(2048L * 1024 * 1024, defaults.MaxCheckoutBytes);
        Assert.Equal(1024L * 1024 * 1024, defaults.MaxBytes);
        Assert.False(defaults.AllowInternalAddresses);
        Assert.True(defaults.UseCredentials);

        var given = WorkerSettings.From(Read(
            ("PHAROS_GIT_TOKEN", Token), ("PHAROS_GIT_TOKEN_HOSTS", " GitHub.com , git.example.org "),
            ("PHAROS_MAX_FILES", "7"), ("PHAROS_MAX_CHECKOUT_MB", "3"), ("PHAROS_ALLOW_LOCAL_REPOS", "true")), 1)
            .CloneRequestFor("https://github.com/o/r", "/work/r");
        Assert.Equal(["github.com", "git.example.org"], given.TokenHosts);
        Assert.Equal(7, given.MaxFiles);
        Assert.Equal(3L * 1024 * 1024, given.MaxCheckoutBytes);
        Assert.True(given.AllowInternalAddresses);
        Assert.Equal(Token, given.HttpsToken);
    }
}
