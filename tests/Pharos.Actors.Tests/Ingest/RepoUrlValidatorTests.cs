using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FsCheck;
using Pharos.Actors.Ingest;

namespace Pharos.Actors.Tests.Ingest;

public class RepoUrlValidatorTests
{
    private static readonly RepoUrlPolicy Defaults = RepoUrlPolicy.Default;
    private static readonly RepoUrlPolicy AnyHost = RepoUrlPolicy.Default with { AllowedHosts = ["*"] };
    private static readonly RepoUrlPolicy AllSchemes = RepoUrlPolicy.Default with { AllowedSchemes = ["https", "http", "git", "ssh"] };
    private static readonly RepoUrlPolicy Local = RepoUrlPolicy.Default with { AllowLocalRepos = true };

    // No network here: the syntax tests never resolve; the DNS tests below pass resolvers of their own.
    private static readonly HostResolver Unresolvable = (_, _) => throw new SocketException((int)SocketError.HostNotFound);

    private static RepoUrlValidator Validator(RepoUrlPolicy settings, HostResolver? resolver = null) =>
        new(settings, resolver ?? Unresolvable);

    private static HostResolver Returns(params IPAddress[] addresses) => (_, _) => Task.FromResult(addresses);

    private static void AssertRejected(RepoUrlCheck check, string because)
    {
        Assert.False(check.Ok, $"expected rejection, got {check.NormalizedUrl}");
        Assert.Null(check.NormalizedUrl);
        Assert.Contains(because, check.Error, StringComparison.OrdinalIgnoreCase);
    }

    // ---- presence, length, characters ----

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t")]
    public void Missing_url_is_rejected(string? raw) => AssertRejected(Validator(Defaults).CheckSyntax(raw), "required");

    [Fact]
    public void Url_over_2048_characters_is_rejected_without_echoing_it()
    {
        var raw = "https://github.com/owner/" + new string('r', 2100);
        var check = Validator(Defaults).CheckSyntax(raw);
        Assert.Equal("repo_url is longer than 2048 characters", check.Error);

        var exactly = "https://github.com/owner/" + new string('r', 2048 - "https://github.com/owner/".Length);
        Assert.True(Validator(Defaults).CheckSyntax(exactly).Ok);
    }

    [Theory]
    [InlineData("https://github.com/a/b\n", "control character")]
    [InlineData("https://github.com/a/b\r", "control character")]
    [InlineData("https://github.com/a\tb/c", "control character")]
    [InlineData("https://github.com/a/b\u007f", "control character")]
    [InlineData("https://github.com/a/b\u0085", "control character")]
    [InlineData("https://github.com/a/\0b", "control character")]
    [InlineData(" https://github.com/a/b", "whitespace")]
    [InlineData("https://github.com/a/b ", "whitespace")]
    [InlineData("https://github.com/a b/c", "whitespace")]
    [InlineData("https://github.com/a/b\u00a0", "whitespace")]
    [InlineData("https://github.com/a/b\u2028", "whitespace")]
    [InlineData("https://github.com/a/b\u202e", "ASCII")]
    [InlineData("https://gíthub.com/a/b", "ASCII")]
    [InlineData("https://github.com/a/%2e%2e", "percent-encoded characters are not allowed")]
    [InlineData("https://github.com/a/b%0a", "percent-encoded characters are not allowed")]
    public void Control_whitespace_non_ascii_and_percent_are_rejected(string raw, string because) =>
        AssertRejected(Validator(Defaults).CheckSyntax(raw), because);

    public static TheoryData<char> Metacharacters() =>
        new(";|&$`<>(){}!\\\"'*?[]#^~".ToCharArray());

    [Theory]
    [MemberData(nameof(Metacharacters))]
    public void Shell_metacharacters_are_rejected(char c)
    {
        var check = Validator(Defaults).CheckSyntax($"https://github.com/owner/re{c}po");
        AssertRejected(check, $"'{c}'");
    }

    [Theory]
    [InlineData("https://github.com/a/b;rm -rf /")]
    [InlineData("https://github.com/a/b?x=1")]
    [InlineData("https://github.com/a/b#readme")]
    [InlineData("https://github.com/$(id)/b")]
    [InlineData("https://github.com/a/`id`")]
    public void Query_fragment_and_shell_injection_are_rejected(string raw) =>
        Assert.False(Validator(Defaults).CheckSyntax(raw).Ok);

    [Fact]
    public void Errors_never_echo_more_than_about_100_characters_of_the_input()
    {
        var longHost = string.Join('.', Enumerable.Repeat("abcdefghij", 20)) + ".com";
        foreach (var raw in new[] { $"https://{longHost}/a/b", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz://x/y" })
        {
            var check = Validator(Defaults).CheckSyntax(raw);
            Assert.False(check.Ok);
            Assert.True(check.Error!.Length < 200, check.Error);
        }
    }

    // ---- path traversal ----

    [Theory]
    [InlineData("https://github.com/a/../b")]
    [InlineData("https://github.com/../a/b")]
    [InlineData("https://github.com/a/b/..")]
    [InlineData("https://github.com/a/./b")]
    [InlineData("github.com/a/../../b")]
    public void Dot_segments_are_rejected(string raw) =>
        AssertRejected(Validator(Defaults).CheckSyntax(raw), "'..' segments");

    [Theory]
    [InlineData("/srv/git/../etc")]
    [InlineData("/srv/git/..")]
    [InlineData("file:///srv/../etc/repo")]
    public void Dot_segments_are_rejected_in_local_paths(string raw) =>
        AssertRejected(Validator(Local).CheckSyntax(raw), "'..' segments");

    [Fact]
    public void Names_that_merely_contain_dots_are_accepted() =>
        Assert.Equal("https://github.com/a/b..c", Validator(Defaults).CheckSyntax("https://github.com/a/b..c").NormalizedUrl);

    // ---- schemes ----

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("JavaScript:void")]
    [InlineData("data:text/plain,abc")]
    [InlineData("DATA://github.com/a/b")]
    [InlineData("javascript://github.com/a/b")]
    public void Javascript_and_data_schemes_are_always_rejected(string raw)
    {
        Assert.False(Validator(Defaults).CheckSyntax(raw).Ok);
        Assert.False(Validator(Local).CheckSyntax(raw).Ok);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("FILE:///srv/git/repo")]
    [InlineData("file:/srv/git/repo")]
    [InlineData("/srv/git/repo")]
    public void Local_repositories_need_the_local_setting(string raw) =>
        AssertRejected(Validator(Defaults).CheckSyntax(raw), "PHAROS_ALLOW_LOCAL_REPOS");

    [Theory]
    [InlineData("ftp://github.com/a/b", "scheme 'ftp' is not allowed; allowed: https")]
    [InlineData("svn+ssh://github.com/a/b", "scheme 'svn+ssh' is not allowed")]
    [InlineData("http://github.com/a/b", "scheme 'http' is not allowed; allowed: https")]
    [InlineData("git://github.com/a/b", "scheme 'git' is not allowed")]
    [InlineData("ssh://git@github.com/a/b", "scheme 'ssh' is not allowed")]
    [InlineData("git@github.com:a/b.git", "scheme 'ssh' is not allowed")]
    [InlineData("https:/github.com/a/b", "must have the form https://host/path")]
    [InlineData("1https://github.com/a/b", "malformed scheme")]
    public void Schemes_outside_the_allowed_list_are_rejected(string raw, string because) =>
        AssertRejected(Validator(Defaults).CheckSyntax(raw), because);

    [Theory]
    [InlineData("http://github.com/a/b", "http://github.com/a/b")]
    [InlineData("git://github.com/a/b.git", "git://github.com/a/b")]
    [InlineData("ssh://git@github.com/a/b.git", "ssh://git@github.com/a/b")]
    [InlineData("SSH://github.com/a/b", "ssh://github.com/a/b")]
    public void Allowed_schemes_are_accepted(string raw, string normal) =>
        Assert.Equal(normal, Validator(AllSchemes).CheckSyntax(raw).NormalizedUrl);

    [Theory]
    [InlineData("github.com/user/repo", "https://github.com/user/repo")]
    [InlineData("GitHub.com/User/Repo.git/", "https://github.com/user/repo")]
    [InlineData("github.com:443/user/repo", "https://github.com/user/repo")]
    public void Scheme_less_form_defaults_to_https(string raw, string normal) =>
        Assert.Equal(normal, Validator(Defaults).CheckSyntax(raw).NormalizedUrl);

    [Theory]
    [InlineData("git@github.com:user/repo.git", "ssh://git@github.com/user/repo")]
    [InlineData("git@GitHub.com:User/Repo", "ssh://git@github.com/user/repo")]
    [InlineData("deploy@gitlab.com:/group/project.git", "ssh://deploy@gitlab.com/group/project")]
    public void Scp_like_form_is_ssh(string raw, string normal) =>
        Assert.Equal(normal, Validator(AllSchemes).CheckSyntax(raw).NormalizedUrl);

    // ---- credentials ----

    [Theory]
    [InlineData("https://user:pass@github.com/a/b")]
    [InlineData("https://token@github.com/a/b")]
    [InlineData("http://user@github.com/a/b")]
    [InlineData("git://user@github.com/a/b")]
    [InlineData("user:pass@github.com/a/b")]
    [InlineData("https://@github.com/a/b")]
    public void Credentials_are_rejected_on_http_https_and_git(string raw) =>
        AssertRejected(Validator(AllSchemes).CheckSyntax(raw), "credentials in the URL are not allowed; use PHAROS_GIT_TOKEN on the edge");

    [Theory]
    [InlineData("ssh://git:secret@github.com/a/b", "password")]
    [InlineData("git:secret@github.com:a/b", "")]
    [InlineData("ssh://-oProxyCommand=x@github.com/a/b", "user name")]
    [InlineData("ssh://@github.com/a/b", "user name")]
    [InlineData("ssh://a@b@github.com/a/b", "user name")]
    public void Ssh_allows_a_user_name_but_no_password(string raw, string because) =>
        AssertRejected(Validator(AllSchemes).CheckSyntax(raw), because);

    // ---- hosts ----

    [Theory]
    [InlineData("https://140.82.112.3/a/b")]
    [InlineData("https://127.0.0.1/a/b")]
    [InlineData("https://2130706433/a/b")]
    [InlineData("https://0x7f000001/a/b")]
    [InlineData("https://0x7F000001/a/b")]
    [InlineData("https://0177.0.0.1/a/b")]
    [InlineData("https://127.1/a/b")]
    [InlineData("https://10.0.0.1:8443/a/b")]
    [InlineData("https://1.2.3.999/a/b")]
    [InlineData("https://[::1]/a/b")]
    [InlineData("https://[2001:db8::1]:443/a/b")]
    [InlineData("https://[::ffff:127.0.0.1]/a/b")]
    [InlineData("https://::1/a/b")]
    [InlineData("169.254.169.254/latest/meta-data")]
    public void Ip_addresses_are_rejected(string raw)
    {
        AssertRejected(Validator(AnyHost).CheckSyntax(raw), "IP addresses are not allowed; use a host name");
        AssertRejected(Validator(Defaults).CheckSyntax(raw), "IP addresses are not allowed");
    }

    [Theory]
    [InlineData("https://localhost/a/b")]
    [InlineData("https://LOCALHOST./a/b")]
    [InlineData("https://evil.localhost/a/b")]
    public void Localhost_names_are_loopback(string raw) =>
        AssertRejected(Validator(AnyHost).CheckSyntax(raw), "PHAROS_ALLOW_LOCAL_REPOS");

    [Theory]
    [InlineData("https://example.com/a/b", "not in the allowed hosts")]
    [InlineData("https://api.github.com/a/b", "not in the allowed hosts")]
    [InlineData("https://github.com.evil.com/a/b", "not in the allowed hosts")]
    [InlineData("https://githubXcom/a/b", "not in the allowed hosts")]
    [InlineData("https://-github.com/a/b", "invalid host name")]
    [InlineData("https://git_hub.com/a/b", "invalid host name")]
    [InlineData("https://github..com/a/b", "invalid host name")]
    [InlineData("https:///a/b", "no host")]
    [InlineData("https://github.com:0/a/b", "invalid port")]
    [InlineData("https://github.com:65536/a/b", "invalid port")]
    [InlineData("https://github.com:/a/b", "invalid port")]
    [InlineData("https://github.com:x/a/b", "invalid port")]
    public void Hosts_outside_the_allowed_list_or_malformed_are_rejected(string raw, string because) =>
        AssertRejected(Validator(Defaults).CheckSyntax(raw), because);

    [Theory]
    [InlineData("https://GITHUB.COM/a/b", "https://github.com/a/b")]
    [InlineData("https://github.com./a/b", "https://github.com/a/b")]
    [InlineData("https://gitlab.com/group/sub/project", "https://gitlab.com/group/sub/project")]
    public void Allowed_hosts_match_exactly_ignoring_case_and_a_trailing_dot(string raw, string normal) =>
        Assert.Equal(normal, Validator(Defaults).CheckSyntax(raw).NormalizedUrl);

    [Fact]
    public void Star_allows_any_host_name()
    {
        Assert.Equal("https://git.example.org/repo", Validator(AnyHost).CheckSyntax("https://git.example.org/repo").NormalizedUrl);
        Assert.Equal("https://codeberg.org/a/b", Validator(AnyHost).CheckSyntax("codeberg.org/a/b").NormalizedUrl);
    }

    [Fact]
    public void Allowed_host_entries_are_compared_without_case_or_trailing_dot()
    {
        var validator = Validator(RepoUrlPolicy.Default with { AllowedHosts = ["Git.Example.ORG."] });
        Assert.True(validator.CheckSyntax("https://git.example.org/repo").Ok);
        Assert.False(validator.CheckSyntax("https://sub.git.example.org/repo").Ok);
    }

    // ---- the repository path ----

    [Theory]
    [InlineData("https://github.com")]
    [InlineData("https://github.com/")]
    [InlineData("https://github.com///")]
    [InlineData("https://github.com/owner")]
    [InlineData("https://github.com/owner/.git")]
    [InlineData("gitee.com/owner")]
    [InlineData("https://bitbucket.org/owner/")]
    public void Known_hosts_need_owner_and_repository(string raw) =>
        Assert.False(Validator(Defaults).CheckSyntax(raw).Ok);

    [Fact]
    public void Other_hosts_need_one_segment()
    {
        var validator = Validator(AnyHost);
        Assert.Equal("https://git.example.org/repo", validator.CheckSyntax("https://git.example.org/repo.git/").NormalizedUrl);
        AssertRejected(validator.CheckSyntax("https://git.example.org/"), "must name a repository");
        AssertRejected(validator.CheckSyntax("https://git.example.org"), "must name a repository");
    }

    [Theory]
    [InlineData("https://github.com/a//b", "empty segments")]
    [InlineData("https://github.com/a/b:c", "':'")]
    public void Odd_paths_are_rejected(string raw, string because) =>
        AssertRejected(Validator(Defaults).CheckSyntax(raw), because);

    // ---- normalisation ----

    [Theory]
    [InlineData("HTTPS://GitHub.com/Owner/Repo.git/", "https://github.com/owner/repo")]
    [InlineData("https://github.com:443/Owner/Repo", "https://github.com/owner/repo")]
    [InlineData("https://github.com/Owner/Repo/////", "https://github.com/owner/repo")]
    [InlineData("https://github.com/Owner/Repo.git.git/", "https://github.com/owner/repo")]
    [InlineData("https://github.com/Owner/Repo.GIT", "https://github.com/owner/repo")]
    [InlineData("github.com/a/b", "https://github.com/a/b")]
    public void Accepted_urls_are_normalised(string raw, string normal)
    {
        var check = Validator(Defaults).CheckSyntax(raw);
        Assert.True(check.Ok, check.Error);
        Assert.Equal(normal, check.NormalizedUrl);
        Assert.False(check.IsLocal);
    }

    [Theory]
    [InlineData("http://github.com:80/a/b", "http://github.com/a/b")]
    [InlineData("git://github.com:9418/a/b", "git://github.com/a/b")]
    [InlineData("ssh://git@github.com:22/a/b", "ssh://git@github.com/a/b")]
    [InlineData("ssh://git@github.com:2222/a/b", "ssh://git@github.com:2222/a/b")]
    [InlineData("https://github.com:0443/a/b", "https://github.com/a/b")]
    public void Default_ports_are_removed(string raw, string normal) =>
        Assert.Equal(normal, Validator(AllSchemes with { AllowedPorts = [2222] }).CheckSyntax(raw).NormalizedUrl);

    // ---- ports ----

    [Theory]
    [InlineData("https://github.com:8443/a/b", "port 8443 is not allowed; https allows 443")]
    [InlineData("https://github.com:80/a/b", "port 80 is not allowed; https allows 443")]
    [InlineData("http://github.com:443/a/b", "port 443 is not allowed; http allows 80")]
    [InlineData("git://github.com:22/a/b", "port 22 is not allowed; git allows 9418")]
    [InlineData("ssh://git@github.com:2222/a/b", "port 2222 is not allowed; ssh allows 22")]
    [InlineData("github.com:8443/a/b", "port 8443 is not allowed; https allows 443")]
    public void Only_the_schemes_own_port_is_allowed_by_default(string raw, string because) =>
        AssertRejected(Validator(AllSchemes).CheckSyntax(raw), because);

    [Fact]
    public void Ports_listed_in_the_policy_are_allowed_with_every_allowed_scheme_and_kept_in_the_normal_form()
    {
        var validator = Validator(AllSchemes with { AllowedPorts = [8443, 2222] });
        Assert.Equal("https://github.com:8443/a/b", validator.CheckSyntax("https://github.com:8443/a/b").NormalizedUrl);
        Assert.Equal("ssh://git@github.com:8443/a/b", validator.CheckSyntax("ssh://git@github.com:8443/a/b").NormalizedUrl);
        Assert.Equal("http://github.com:2222/a/b", validator.CheckSyntax("http://github.com:2222/a/b").NormalizedUrl);
        Assert.Equal("https://github.com/a/b", validator.CheckSyntax("https://github.com:443/a/b").NormalizedUrl);
        AssertRejected(validator.CheckSyntax("https://github.com:9418/a/b"), "port 9418 is not allowed; https allows 443, 8443, 2222");
    }

    [Fact]
    public void Local_servers_may_use_any_port()
    {
        var validator = Validator(Local with { AllowedSchemes = ["https", "http", "git"] });
        Assert.True(validator.CheckSyntax("http://localhost:8080/repo").IsLocal);
        Assert.True(validator.CheckSyntax("git://127.0.0.1:9419/repo").IsLocal);
        AssertRejected(Validator(Local).CheckSyntax("https://github.com:8080/a/b"), "port 8080 is not allowed");
    }

    [Property(MaxTest = 300)]
    public Property A_port_is_accepted_exactly_when_it_is_its_schemes_own_or_listed() =>
        Prop.ForAll(
            (from scheme in Gen.Elements(RepoUrlPolicy.KnownSchemes.ToArray())
             from port in Gen.OneOf(Gen.Elements(22, 80, 443, 9418, 8080, 8443), Gen.Choose(1, 65_535))
             from listed in Gen.OneOf(Gen.Elements(22, 80, 443, 9418, 8080, 8443), Gen.Choose(1, 65_535)).ListOf()
             select (scheme, port, listed.Take(4).ToArray())).ToArbitrary(),
            generated =>
            {
                var (scheme, port, listed) = generated;
                var user = scheme == "ssh" ? "git@" : "";
                var check = Validator(AllSchemes with { AllowedPorts = listed }).CheckSyntax($"{scheme}://{user}github.com:{port}/a/b");
                var expected = port == RepoUrlPolicy.DefaultPort(scheme) || listed.Contains(port);
                return (check.Ok == expected).Label($"{scheme}:{port} with [{string.Join(",", listed)}]: {check.NormalizedUrl ?? check.Error}");
            });

    // ---- local mode ----

    [Theory]
    [InlineData("/srv/git/repo", "/srv/git/repo")]
    [InlineData("/srv/git/repo.git/", "/srv/git/repo.git")]
    [InlineData("/tmp/Pharos-Test_1/r", "/tmp/Pharos-Test_1/r")]
    [InlineData("file:///srv/git/repo/", "file:///srv/git/repo")]
    [InlineData("FILE://localhost/srv/git/repo", "file:///srv/git/repo")]
    [InlineData("http://127.0.0.1:8080/repo.git", "http://127.0.0.1:8080/repo")]
    [InlineData("git://127.0.0.1:9419/repo", "git://127.0.0.1:9419/repo")]
    [InlineData("ssh://git@127.0.0.1:2222/repo", "ssh://git@127.0.0.1:2222/repo")]
    [InlineData("https://[::1]:8443/repo", "https://[::1]:8443/repo")]
    [InlineData("http://LOCALHOST:5000/a/b/", "http://localhost:5000/a/b")]
    [InlineData("http://127.1:8080/repo", "http://127.0.0.1:8080/repo")]
    public void Local_mode_accepts_paths_file_urls_and_loopback_servers(string raw, string normal)
    {
        var check = Validator(Local).CheckSyntax(raw);
        Assert.True(check.Ok, check.Error);
        Assert.Equal(normal, check.NormalizedUrl);
        Assert.True(check.IsLocal);
        Assert.Equal(check, Validator(Local).CheckSyntax(check.NormalizedUrl));
    }

    [Theory]
    [InlineData("/", "not /")]
    [InlineData("file:///", "not /")]
    [InlineData("file://otherhost/srv/repo", "file:///absolute/path")]
    [InlineData("file:/srv/repo", "file:///absolute/path")]
    [InlineData("file:srv/repo", "file:///absolute/path")]
    [InlineData("srv/git/repo", "not in the allowed hosts")]
    [InlineData("./repo", "relative path")]
    [InlineData("../repo", "relative path")]
    [InlineData("http://10.0.0.1/repo", "IP addresses are not allowed")]
    [InlineData("http://0.0.0.0:8080/repo", "IP addresses are not allowed")]
    [InlineData("ftp://127.0.0.1/repo", "scheme 'ftp' is not allowed")]
    [InlineData("http://user:pw@127.0.0.1/repo", "credentials")]
    [InlineData("http://example.com/a/b", "scheme 'http' is not allowed")]
    public void Local_mode_still_rejects_the_rest(string raw, string because) =>
        AssertRejected(Validator(Local).CheckSyntax(raw), because);

    [Fact]
    public async Task Local_results_skip_the_dns_rule()
    {
        var called = false;
        var validator = new RepoUrlValidator(Local, (_, _) => { called = true; return Task.FromResult(new[] { IPAddress.Loopback }); });
        Assert.True((await validator.ValidateAsync("http://localhost:8080/repo")).IsLocal);
        Assert.True((await validator.ValidateAsync("/srv/git/repo")).IsLocal);
        Assert.False(called);
    }

    // ---- the DNS rule ----

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("198.18.0.1")]
    [InlineData("198.19.255.255")]
    [InlineData("192.0.0.170")]
    [InlineData("2002:7f00:1::1")]
    [InlineData("2002:8c52:7003::1")]
    [InlineData("64:ff9b:1::a00:1")]
    public async Task Hosts_resolving_to_internal_addresses_are_rejected(string address)
    {
        var validator = new RepoUrlValidator(Defaults, Returns(IPAddress.Parse("140.82.112.3"), IPAddress.Parse(address)));
        Assert.True(validator.CheckSyntax("https://github.com/a/b").Ok);
        var check = await validator.ValidateAsync("https://github.com/a/b");
        Assert.Equal("host resolves to a private or loopback address", check.Error);
    }

    [Theory]
    [InlineData("140.82.112.3")]
    [InlineData("172.15.0.1")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.1")]
    [InlineData("192.0.1.1")]
    [InlineData("2606:50c0:8000::153")]
    [InlineData("::ffff:140.82.112.3")]
    public async Task Hosts_resolving_to_public_addresses_are_accepted(string address)
    {
        var check = await new RepoUrlValidator(Defaults, Returns(IPAddress.Parse(address))).ValidateAsync("https://github.com/a/b");
        Assert.Equal("https://github.com/a/b", check.NormalizedUrl);
    }

    // Fail closed: only "resolved, and every address public" passes. The refusal is transient (an edge retries it).
    public static TheoryData<string, HostResolver> Unresolved => new()
    {
        { "host not found", Unresolvable },
        { "empty answer", Returns() },
        { "null answer", (_, _) => Task.FromResult<IPAddress[]>(null!) },
        { "try again", (_, _) => throw new SocketException((int)SocketError.TryAgain) },
        { "failed task", (_, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.NoData)) },
        { "resolver gave up", (_, _) => Task.FromCanceled<IPAddress[]>(new CancellationToken(canceled: true)) },
    };

    [Theory]
    [MemberData(nameof(Unresolved))]
    public async Task Failed_or_empty_resolution_is_refused_as_unresolved(string why, HostResolver resolver)
    {
        var check = await new RepoUrlValidator(Defaults, resolver).ValidateAsync("https://github.com/a/b");
        Assert.False(check.Ok, why);
        Assert.Equal("host 'github.com' could not be resolved; try again later", check.Error);
        Assert.Equal(RepoUrlValidator.UnresolvedHostError("github.com"), check.Error);
        Assert.True(check.Transient, why);
        Assert.Null(check.NormalizedUrl);
    }

    [Fact]
    public async Task Slow_resolution_is_refused_once_the_timeout_passes()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        HostResolver never = async (_, _) => { await Task.Delay(Timeout.Infinite, CancellationToken.None); return []; };
        var pending = new RepoUrlValidator(Defaults, never, clock).ValidateAsync("https://github.com/a/b");

        clock.Advance(HostVerdictCache.ResolveTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(pending.IsCompleted, "answered before the resolver's time was up");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var check = await pending;
        Assert.Equal(RepoUrlValidator.UnresolvedHostError("github.com"), check.Error);
        Assert.True(check.Transient);
    }

    [Fact]
    public async Task A_host_resolving_inside_is_a_final_refusal_not_a_transient_one()
    {
        var check = await new RepoUrlValidator(Defaults, Returns(IPAddress.Parse("140.82.112.3"), IPAddress.Loopback))
            .ValidateAsync("https://github.com/a/b");
        Assert.Equal(RepoUrlValidator.InternalHostError, check.Error);
        Assert.False(check.Transient);
        Assert.False(Validator(Defaults).CheckSyntax("https://github.com:8443/a/b").Transient);
    }

    [Fact]
    public async Task An_unresolved_verdict_is_reused_for_a_few_seconds_a_resolved_one_for_a_minute()
    {
        Assert.True(HostVerdictCache.UnresolvedLifetime <= HostVerdictCache.VerdictLifetime);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var lookups = new Dictionary<string, int>();
        var validator = new RepoUrlValidator(AnyHost, (host, _) =>
        {
            lookups[host] = lookups.GetValueOrDefault(host) + 1;
            return host == "down.example"
                ? throw new SocketException((int)SocketError.HostNotFound)
                : Task.FromResult(new[] { IPAddress.Parse("140.82.112.3") });
        }, clock);

        async Task<(bool DownOk, bool UpOk)> Both() =>
            ((await validator.ValidateAsync("https://down.example/a/b")).Ok, (await validator.ValidateAsync("https://up.example/a/b")).Ok);

        Assert.Equal((false, true), await Both());
        clock.Advance(HostVerdictCache.UnresolvedLifetime - TimeSpan.FromMilliseconds(1));
        Assert.Equal((false, true), await Both());
        Assert.Equal((1, 1), (lookups["down.example"], lookups["up.example"]));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((false, true), await Both());
        Assert.Equal((2, 1), (lookups["down.example"], lookups["up.example"]));

        clock.Advance(HostVerdictCache.VerdictLifetime);
        await Both();
        Assert.Equal((3, 2), (lookups["down.example"], lookups["up.example"]));
    }

    [Fact]
    public async Task A_host_that_did_not_resolve_passes_once_it_resolves_and_a_stale_refusal_is_never_answered()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        IPAddress[]? answer = null;
        var validator = new RepoUrlValidator(Defaults, (_, _) => answer is null
            ? throw new SocketException((int)SocketError.HostNotFound)
            : Task.FromResult(answer), clock);

        Assert.False((await validator.ValidateAsync("https://github.com/a/b")).Ok);
        answer = [IPAddress.Parse("140.82.112.3")];
        clock.Advance(HostVerdictCache.UnresolvedLifetime);
        // The first submission after the lifetime gets the fresh verdict, not the old refusal.
        Assert.True((await validator.ValidateAsync("https://github.com/a/b")).Ok);

        answer = [IPAddress.Parse("10.0.0.1")];
        clock.Advance(HostVerdictCache.VerdictLifetime);
        Assert.True((await validator.ValidateAsync("https://github.com/a/b")).Ok); // a stale pass answers while it refreshes
        Assert.Equal(RepoUrlValidator.InternalHostError, (await validator.ValidateAsync("https://github.com/a/b")).Error);

        answer = [IPAddress.Parse("140.82.112.4")];
        clock.Advance(HostVerdictCache.VerdictLifetime);
        Assert.True((await validator.ValidateAsync("https://github.com/a/b")).Ok); // a stale refusal waits for the refresh
    }

    [Fact]
    public async Task Caller_cancellation_is_not_swallowed()
    {
        HostResolver slow = async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return []; };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new RepoUrlValidator(Defaults, slow).ValidateAsync("https://github.com/a/b", cts.Token));
    }

    [Fact]
    public async Task Syntax_errors_are_returned_without_resolving()
    {
        var called = false;
        var validator = new RepoUrlValidator(AnyHost, (_, _) => { called = true; return Task.FromResult(Array.Empty<IPAddress>()); });
        Assert.False((await validator.ValidateAsync("https://example.com/a;b")).Ok);
        Assert.False(called);
    }

    // Property 5: the default resolver really runs (no network here, but /etc/hosts answers).
    [Fact]
    public async Task Localhost_is_rejected_through_the_default_resolver()
    {
        var validator = new RepoUrlValidator(AnyHost);
        AssertRejected(await validator.ValidateAsync("https://localhost/a/b"), "loopback");

        // The machine's own name is not syntactically special, so only the real lookup can refuse it.
        var name = Dns.GetHostName().ToLowerInvariant();
        var syntax = validator.CheckSyntax($"https://{name}/a/b");
        if (!syntax.Ok) return; // a host name outside LDH rules: nothing left for DNS to decide
        IPAddress[] addresses;
        try { addresses = await Dns.GetHostAddressesAsync(name); }
        catch (SocketException) { return; }
        var check = await validator.ValidateAsync($"https://{name}/a/b");
        if (addresses.Any(InternalAddresses.IsInternal))
            Assert.Equal("host resolves to a private or loopback address", check.Error);
        else
            Assert.True(check.Ok);
    }

    // ---- properties ----

    private const string NameCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    private const string Metas = ";|&$`<>(){}!\\\"'*?[]#^~%";

    private static Gen<string> RandomCase(string text) =>
        Gen.Elements(true, false).ArrayOf(text.Length)
            .Select(upper => new string(text.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : c).ToArray()));

    private static readonly Gen<string> RepoName =
        from first in Gen.Elements(NameCharacters.Where(c => c != '.').ToArray())
        from rest in Gen.Elements(NameCharacters.ToArray()).ListOf()
        select first + new string(rest.Take(30).ToArray());

    /// <summary>A valid GitHub-like URL in one of the accepted spellings, with the normal form it should reach.</summary>
    private static readonly Gen<(string Url, string Owner, string Host)> GithubUrl =
        from host in Gen.Elements("github.com", "gitlab.com", "bitbucket.org", "gitee.com")
        from hostCase in RandomCase(host)
        from scheme in RandomCase("https")
        from form in Gen.Choose(0, 3)
        from owner in RepoName
        from repo in RepoName
        from gitSuffix in Gen.Elements("", ".git")
        from slashes in Gen.Choose(0, 3)
        from trailingDot in Gen.Elements("", ".")
        let path = $"{owner}/{repo}{gitSuffix}{new string('/', slashes)}"
        select (form switch
        {
            0 => $"{scheme}://{hostCase}{trailingDot}/{path}",
            1 => $"{scheme}://{hostCase}:443/{path}",
            2 => $"{hostCase}/{path}",
            _ => $"git@{hostCase}:{path}",
        }, owner, host);

    [Property(MaxTest = 300)]
    public Property Normalisation_is_idempotent() =>
        Prop.ForAll(GithubUrl.ToArbitrary(), generated =>
        {
            var validator = Validator(RepoUrlPolicy.Default with { AllowedSchemes = ["https", "ssh"] });
            var first = validator.CheckSyntax(generated.Url);
            if (!first.Ok) return false.Label($"rejected: {first.Error}");
            var normal = first.NormalizedUrl!;
            var again = validator.CheckSyntax(normal);
            return (again == first
                    && normal.Contains($"{generated.Host}/{generated.Owner.ToLowerInvariant()}/", StringComparison.Ordinal)
                    && !normal.EndsWith('/') && !normal.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
                .Label($"{generated.Url} -> {normal} -> {again.NormalizedUrl ?? again.Error}");
        });

    // ---- case: hosts that ignore the case of owner and repository, and hosts that may not ----

    private const string SegmentCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

    private static readonly Gen<string> Segment =
        from first in Gen.Elements(SegmentCharacters[..^2].ToArray())
        from rest in Gen.Elements(SegmentCharacters.ToArray()).ListOf()
        select first + new string(rest.Take(20).ToArray());

    /// <summary>One repository as a client may write it: host, owner and repository in some case, in one of four forms.</summary>
    private sealed record Spelling(string Host, string Owner, string Repo, int Form)
    {
        public string Url => Form switch
        {
            0 => $"https://{Host}/{Owner}/{Repo}.git/",
            1 => $"{Host}/{Owner}/{Repo}",
            2 => $"HTTPS://{Host}:443/{Owner}/{Repo}",
            _ => $"git@{Host}:{Owner}/{Repo}.git",
        };

        /// <summary>The normal form, given the path it should keep.</summary>
        public string Normal(string path) => (Form == 3 ? "ssh://git@" : "https://") + Host.ToLowerInvariant() + path;
    }

    private static Gen<Spelling> Spellings(IEnumerable<string> hosts) =>
        from host in Gen.Elements(hosts.ToArray())
        from hostCase in RandomCase(host)
        from owner in Segment
        from repo in Segment
        from form in Gen.Choose(0, 3)
        select new Spelling(hostCase, owner, repo, form);

    /// <summary>The same repository spelt again: each letter of host, owner and repository in a case of its own, the form kept.</summary>
    private static Gen<Spelling> Respelt(Spelling spelling) =>
        from host in RandomCase(spelling.Host.ToLowerInvariant())
        from owner in RandomCase(spelling.Owner.ToLowerInvariant())
        from repo in RandomCase(spelling.Repo.ToLowerInvariant())
        select spelling with { Host = host, Owner = owner, Repo = repo };

    private static readonly string[] OtherHosts = ["codeberg.org", "git.example.org", "gitlab.example.com", "github.com.example.net"];

    private static readonly RepoUrlValidator CaseValidator =
        Validator(RepoUrlPolicy.Default with { AllowedSchemes = ["https", "ssh"], AllowedHosts = ["*"] });

    [Property(MaxTest = 300)]
    public Property Normalising_twice_changes_nothing_on_any_host() =>
        Prop.ForAll(Spellings([.. RepoUrlSyntax.CaseInsensitiveOwnerRepoHosts, .. OtherHosts]).ToArbitrary(), spelling =>
        {
            var first = CaseValidator.CheckSyntax(spelling.Url);
            var again = first.Ok ? CaseValidator.CheckSyntax(first.NormalizedUrl) : null;
            return (first.Ok && again == first).Label($"{spelling.Url} -> {first.NormalizedUrl ?? first.Error} -> {again?.NormalizedUrl ?? again?.Error}");
        });

    [Property(MaxTest = 300)]
    public Property Case_variants_on_a_host_that_ignores_case_normalise_equal_and_lower_case() =>
        Prop.ForAll((from spelling in Spellings(RepoUrlSyntax.CaseInsensitiveOwnerRepoHosts)
                     from variant in Respelt(spelling)
                     select (spelling, variant)).ToArbitrary(), pair =>
        {
            var (spelling, variant) = pair;
            var expected = spelling.Normal($"/{spelling.Owner.ToLowerInvariant()}/{spelling.Repo.ToLowerInvariant()}");
            var (a, b) = (CaseValidator.CheckSyntax(spelling.Url).NormalizedUrl, CaseValidator.CheckSyntax(variant.Url).NormalizedUrl);
            return (a == expected && b == expected).Label($"{spelling.Url} -> {a}; {variant.Url} -> {b}; expected {expected}");
        });

    [Property(MaxTest = 300)]
    public Property On_other_hosts_the_path_keeps_its_case() =>
        Prop.ForAll((from spelling in Spellings(OtherHosts)
                     from variant in Respelt(spelling)
                     select (spelling, variant)).ToArbitrary(), pair =>
        {
            var (spelling, variant) = pair;
            var (a, b) = (CaseValidator.CheckSyntax(spelling.Url).NormalizedUrl, CaseValidator.CheckSyntax(variant.Url).NormalizedUrl);
            var samePath = spelling.Owner == variant.Owner && spelling.Repo == variant.Repo;
            return (a == spelling.Normal($"/{spelling.Owner}/{spelling.Repo}")
                    && b == variant.Normal($"/{variant.Owner}/{variant.Repo}")
                    && (a == b) == samePath)
                .Label($"{spelling.Url} -> {a}; {variant.Url} -> {b}");
        });

    [Theory]
    [InlineData("https://github.com/PSF/Requests", "https://github.com/psf/requests")]
    [InlineData("https://GitLab.com/Group/SubGroup/Project.git", "https://gitlab.com/group/subgroup/project")]
    [InlineData("bitbucket.org/Team/Repo", "https://bitbucket.org/team/repo")]
    [InlineData("https://gitee.com/Owner/Repo/", "https://gitee.com/owner/repo")]
    [InlineData("https://Codeberg.org/Owner/Repo.git", "https://codeberg.org/Owner/Repo")]
    [InlineData("https://gitlab.example.com/Group/Project", "https://gitlab.example.com/Group/Project")]
    public void Owner_and_repository_are_lower_cased_only_on_hosts_that_ignore_their_case(string raw, string normal) =>
        Assert.Equal(normal, CaseValidator.CheckSyntax(raw).NormalizedUrl);

    private static readonly Gen<char> Forbidden = Gen.OneOf(
        Gen.Elements(Metas.ToArray()),
        Gen.Choose(0, 31).Select(i => (char)i),
        Gen.Elements('\u007f', '\u0085', '\u009b', ' ', '\u00a0', '\u2028', '\u3000'));

    [Property(MaxTest = 500)]
    public Property Inserting_a_metacharacter_or_control_character_anywhere_is_rejected() =>
        Prop.ForAll(
            (from url in GithubUrl
             from c in Forbidden
             from at in Gen.Choose(0, url.Url.Length)
             select url.Url.Insert(at, c.ToString())).ToArbitrary(),
            url =>
            {
                var check = Validator(RepoUrlPolicy.Default with { AllowedSchemes = ["https", "ssh"], AllowedHosts = ["*"] }).CheckSyntax(url);
                return (!check.Ok).Label($"{url} was accepted as {check.NormalizedUrl}");
            });

    private static Gen<byte> Byte(int from = 0, int to = 255) => Gen.Choose(from, to).Select(i => (byte)i);

    private static readonly Gen<IPAddress> InternalV4 =
        Gen.OneOf(
            from b in Byte().ArrayOf(3) select new byte[] { 10, b[0], b[1], b[2] },
            from b in Byte().ArrayOf(3) select new byte[] { 127, b[0], b[1], b[2] },
            from b1 in Byte(16, 31) from b in Byte().ArrayOf(2) select new byte[] { 172, b1, b[0], b[1] },
            from b in Byte().ArrayOf(2) select new byte[] { 192, 168, b[0], b[1] },
            from b in Byte().ArrayOf(2) select new byte[] { 169, 254, b[0], b[1] },
            from b1 in Byte(64, 127) from b in Byte().ArrayOf(2) select new byte[] { 100, b1, b[0], b[1] },
            from b1 in Byte(18, 19) from b in Byte().ArrayOf(2) select new byte[] { 198, b1, b[0], b[1] },
            from b in Byte().ArrayOf(1) select new byte[] { 192, 0, 0, b[0] },
            Gen.Constant(new byte[] { 0, 0, 0, 0 }))
        .Select(b => new IPAddress(b));

    private static readonly Gen<IPAddress> InternalV6 =
        Gen.OneOf(
            Gen.Constant(IPAddress.IPv6Loopback),
            Gen.Constant(IPAddress.IPv6None),
            from b in Byte().ArrayOf(16) select V6(b, (byte)(0xfc | (b[0] & 1)), null),          // fc00::/7
            from b in Byte().ArrayOf(16) select V6(b, 0xfe, (byte)(0x80 | (b[1] & 0x3f))),       // fe80::/10
            from b in Byte().ArrayOf(16) select V6(b, 0x20, 0x02),                                // 2002::/16 6to4
            from b in Byte().ArrayOf(10) select new IPAddress([0, 0x64, 0xff, 0x9b, 0, 1, .. b]), // 64:ff9b:1::/48
            InternalV4.Select(v4 => v4.MapToIPv6()));

    private static IPAddress V6(byte[] bytes, byte first, byte? second)
    {
        bytes[0] = first;
        if (second is not null) bytes[1] = second.Value;
        return new IPAddress(bytes);
    }

    /// <summary>The many spellings of an IPv4 address that resolvers understand.</summary>
    private static Gen<string> Spellings(IPAddress v4)
    {
        var b = v4.GetAddressBytes();
        var number = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        return Gen.Elements(
            v4.ToString(),
            number.ToString(CultureInfo.InvariantCulture),
            "0x" + number.ToString("x8", CultureInfo.InvariantCulture),
            string.Join('.', b.Select(x => "0" + Convert.ToString(x, 8))),
            $"{b[0]}.{(b[1] << 16) | (b[2] << 8) | b[3]}");
    }

    [Property(MaxTest = 300)]
    public Property Internal_ip_literals_are_rejected_outside_local_mode() =>
        Prop.ForAll(
            (from host in Gen.OneOf(InternalV4.SelectMany(Spellings), InternalV6.Select(a => $"[{a}]"))
             from scheme in Gen.Elements("https", "http", "git", "ssh")
             from port in Gen.Elements("", ":8080", ":443")
             select $"{scheme}://{host}{port}/owner/repo").ToArbitrary(),
            url =>
            {
                var settings = RepoUrlPolicy.Default with { AllowedHosts = ["*"], AllowedSchemes = ["https", "http", "git", "ssh"] };
                var check = Validator(settings).CheckSyntax(url);
                return (check.Error == "IP addresses are not allowed; use a host name").Label($"{url}: {check.Error ?? check.NormalizedUrl}");
            });

    private static readonly Gen<string> HostName =
        from labels in Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789-".ToArray()).ArrayOf()
            .Select(cs => new string(cs).Trim('-'))
            .Where(l => l.Length is > 0 and <= 20)
            .ArrayOf()
            .Where(ls => ls.Length is > 0 and < 4)
        from tld in Gen.Elements("com", "org", "dev", "io")
        select string.Join('.', labels) + "." + tld;

    // Public unicast: first octets outside every reserved block.
    private static readonly Gen<IPAddress> PublicV4 =
        from first in Gen.Choose(1, 223).Where(o => o is not (10 or 100 or 127 or 169 or 172 or 192 or 198))
        from b in Byte().ArrayOf(3)
        select new IPAddress([(byte)first, b[0], b[1], b[2]]);

    private static readonly Gen<IPAddress> PublicV6 =
        from b in Byte().ArrayOf(16)
        select V6(b, (byte)(0x20 | (b[0] & 0x1f)), b[1] == 0x02 ? (byte)0x03 : null); // 2000::/3 global unicast, not 2002::/16

    [Property(MaxTest = 200)]
    public Property Resolving_to_any_internal_address_is_rejected() =>
        Prop.ForAll(
            (from host in HostName
             from bad in Gen.OneOf(InternalV4, InternalV6)
             from good in Gen.OneOf(PublicV4, PublicV6).ListOf()
             from at in Gen.Choose(0, good.Count)
             select (host, good.Take(at).Append(bad).Concat(good.Skip(at)).ToArray())).ToArbitrary(),
            async generated =>
            {
                var (host, addresses) = generated;
                var check = await new RepoUrlValidator(AnyHost, Returns(addresses)).ValidateAsync($"https://{host}/owner/repo");
                return check.Error == "host resolves to a private or loopback address";
            });

    [Property(MaxTest = 200)]
    public Property Resolving_to_public_addresses_only_is_accepted() =>
        Prop.ForAll(
            (from host in HostName
             from addresses in Gen.OneOf(PublicV4, PublicV6, PublicV4.Select(a => a.MapToIPv6())).NonEmptyListOf()
             select (host, addresses.ToArray())).ToArbitrary(),
            async generated =>
            {
                var (host, addresses) = generated;
                var check = await new RepoUrlValidator(AnyHost, Returns(addresses)).ValidateAsync($"https://{host}/owner/repo");
                return check.NormalizedUrl == $"https://{host}/owner/repo";
            });

    [Fact]
    public async Task A_host_is_looked_up_once_however_many_submissions_name_it()
    {
        var lookups = 0;
        var validator = new RepoUrlValidator(AnyHost, async (_, ct) =>
        {
            Interlocked.Increment(ref lookups);
            await Task.Delay(100, ct);
            return [IPAddress.Parse("10.1.2.3")];
        });
        // Twenty submissions at once share the one lookup in flight; later ones reuse its verdict.
        var checks = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => validator.ValidateAsync($"https://internal.example/owner/repo{i}")));
        Assert.All(checks, check => AssertRejected(check, "private"));
        AssertRejected(await validator.ValidateAsync("https://internal.example/owner/again"), "private");
        Assert.Equal(1, lookups);
        Assert.True((await validator.ValidateAsync("https://other.example/owner/repo")).Ok is false);
        Assert.Equal(2, lookups);
    }
}
