using Pharos.Actors.Configuration;
using Pharos.Actors.Ingest;
using Pharos.Actors.Queue;
using Pharos.CloudNode.Auth;

namespace Pharos.CloudNode.Tests.Auth;

public sealed class TokenAuthenticatorTests
{
    internal const string B64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

    /// <summary>Valid b64tokens of 16..64 characters, starting with a letter so a case change is always possible.</summary>
    internal static readonly Gen<string> ValidToken =
        from length in Gen.Choose(15, 63)
        from first in Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".ToCharArray())
        from rest in Gen.ArrayOf(Gen.Elements(B64Alphabet.ToCharArray()), length)
        from padding in Gen.Elements("", "", "", "=", "==")
        select first + new string(rest) + padding;

    internal const ApiScope AllScopes = ApiScope.Ingest | ApiScope.Read | ApiScope.Admin;

    private static readonly string[] OtherSchemes =
        ["Basic", "Digest", "Token", "Negotiate", "ApiKey", "Bearer:", "Bearers", "Bear", "Beare", "Bearer=", "OAuth", "x"];

    private static readonly char[] Replacements = (B64Alphabet + " \t=%é\0\r\n,;\"").ToCharArray();

    private sealed record Case(string Token, string? Header, string Kind)
    {
        // FsCheck prints the failing case; this keeps the report readable (test tokens are not secrets).
        public override string ToString() => $"{Kind}: token={Token} header={(Header is null ? "null" : $"[{Header}]")}";
    }

    private static Gen<Case> InvalidCase(string token)
    {
        Gen<Case> Of(string kind, Gen<string?> header) => header.Select(h => new Case(token, h, kind));

        var missing = Of("missing", Gen.Constant<string?>(null));
        var blank = Of("blank", Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Gen.Elements(' ', '\t'), n))
            .Select(cs => (string?)new string(cs)));
        var otherScheme = Of("other scheme", Gen.OneOf(
                Gen.Elements(OtherSchemes),
                Gen.Choose(1, 10).SelectMany(n => Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".ToCharArray()), n))
                    .Select(cs => new string(cs)).Where(w => !w.Equals("Bearer", StringComparison.OrdinalIgnoreCase)))
            .Select(scheme => (string?)$"{scheme} {token}"));
        var random = Of("random", ArbMap.Default.GeneratorFor<string>()
            .Where(s => s != "Bearer " + token && s != "bearer " + token).Select(s => (string?)s));
        var changedChar = Of("changed char",
            from i in Gen.Choose(0, token.Length - 1)
            from c in Gen.Elements(Replacements).Where(c => c != token[i])
            select (string?)("Bearer " + token[..i] + c + token[(i + 1)..]));
        var letters = Enumerable.Range(0, token.Length).Where(i => char.IsAsciiLetter(token[i])).ToArray();
        var changedCase = Of("changed case", Gen.Elements(letters).Select(i =>
        {
            var c = token[i];
            var flipped = char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c);
            return (string?)("Bearer " + token[..i] + flipped + token[(i + 1)..]);
        }));
        var padded = Of("padded", Gen.OneOf(
            Gen.Elements(" ", "\t", "  ", " \t").Select(p => p + "Bearer " + token),
            Gen.Elements(" ", "\t", "  ", "\r\n", "x", "=", "-", ".", "\0").Select(p => "Bearer " + token + p),
            Gen.Elements("  ", "\t", " \t", "\t ", "", "   ").Select(sep => "Bearer" + sep + token),
            from i in Gen.Choose(1, token.Length - 1)
            from c in Gen.Elements(" ", "\t", "a", "Z", "0", "==", "%20")
            select "Bearer " + token[..i] + c + token[i..],
            Gen.Elements("a", "Z", "9", "+", " ", "=").Select(p => "Bearer " + p + token)).Select(h => (string?)h));
        var noCredentials = Of("no credentials", Gen.Elements("Bearer", "bearer", "Bearer ", "Bearer   ", "BEARER\t", " Bearer ")
            .Select(h => (string?)h));
        var truncated = Of("truncated", Gen.Choose(0, token.Length - 1).Select(n => (string?)("Bearer " + token[..n])));
        var otherToken = Of("other token", ValidToken.Where(t => t != token).Select(t => (string?)("Bearer " + t)));
        var tooLong = Of("too long", Gen.Constant<string?>("Bearer " + token + new string('A', BearerHeader.MaxTokenLength)));

        return Gen.OneOf(missing, blank, otherScheme, random, changedChar, changedCase, padded, noCredentials,
            truncated, otherToken, tooLong);
    }

    private static TokenAuthenticator AuthenticatorFor(string token) => new(
    [
        new TokenEntry("decoy-1", HashOf("decoy-token-one-0123456789"), ApiScope.Read, null),
        new TokenEntry("ci", HashOf(token), ApiScope.Ingest | ApiScope.Read, 30),
        new TokenEntry("decoy-2", HashOf("decoy-token-two-0123456789"), AllScopes, null),
    ]);

    [Property(MaxTest = 500)]
    public Property Any_non_valid_credential_fails()
    {
        var cases = ValidToken.SelectMany(InvalidCase).ToArbitrary();
        return Prop.ForAll(cases, c =>
        {
            var result = AuthenticatorFor(c.Token).Authenticate(c.Header);
            return !result.Succeeded && result.Reason is not null && result.TokenName is null
                   && ScopeRules.Known.All(s => !result.HasScope(s));
        });
    }

    [Property]
    public Property The_valid_token_with_Bearer_succeeds_with_its_scopes()
    {
        var cases = (from token in ValidToken
                     from scheme in Gen.Elements("Bearer", "bearer", "BEARER", "bEaReR")
                     select (token, scheme)).ToArbitrary();
        return Prop.ForAll(cases, c =>
        {
            var result = AuthenticatorFor(c.token).Authenticate($"{c.scheme} {c.token}");
            return result.Succeeded && result.Reason is null && result.TokenName == "ci"
                   && result.HasScope(ApiScope.Ingest) && result.HasScope(ApiScope.Read) && !result.HasScope(ApiScope.Admin)
                   && result.RequestsPerMinute == 30
                   && result.Fingerprint == TokenHash.Fingerprint(c.token);
        });
    }

    [Property]
    public Property A_tokens_file_token_has_exactly_its_scopes()
    {
        var cases = (from token in ValidToken
                     from scopes in Gen.SubListOf(Scopes.Names.ToArray()).Where(s => s.Count > 0)
                     from rpm in Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(1, 10_000).Select(n => (int?)n))
                     select (token, scopes: scopes.ToArray(), rpm)).ToArbitrary();
        return Prop.ForAll(cases, c =>
        {
            using var dir = new TempDir();
            var path = dir.Write("tokens.json", TokensJson(("ci-bot", TokenHash.Sha256Hex(c.token), c.scopes, c.rpm)));
            var authenticator = new TokenAuthenticator(TokenFileLoader.Load(path));
            var result = authenticator.Authenticate("Bearer " + c.token);
            var admin = c.scopes.Contains("admin");
            return result.Succeeded && result.TokenName == "ci-bot" && result.RequestsPerMinute == c.rpm
                   && ScopeRules.Known.All(s => result.HasScope(s) == (admin || c.scopes.Contains(s.Name())))
                   && (c.scopes.Contains("ingest") || admin || !result.HasScope(ApiScope.Ingest));
        });
    }

    [Fact]
    public void A_read_only_tokens_file_token_lacks_ingest()
    {
        using var dir = new TempDir();
        var path = dir.Write("tokens.json", TokensJson(("dashboard", TokenHash.Sha256Hex("read-only-token-0123456789"), ["read"], null)));
        var result = new TokenAuthenticator(TokenFileLoader.Load(path)).Authenticate("Bearer read-only-token-0123456789");
        Assert.True(result.Succeeded);
        Assert.True(result.HasScope(ApiScope.Read));
        Assert.False(result.HasScope(ApiScope.Ingest));
        Assert.False(result.HasScope(ApiScope.Admin));
    }

    [Theory]
    [InlineData(null, AuthFailureReason.MissingHeader)]
    [InlineData("", AuthFailureReason.EmptyCredentials)]
    [InlineData("   ", AuthFailureReason.EmptyCredentials)]
    [InlineData("Bearer", AuthFailureReason.EmptyCredentials)]
    [InlineData("Bearer    ", AuthFailureReason.EmptyCredentials)]
    [InlineData("Basic dXNlcjpwYXNz", AuthFailureReason.WrongScheme)]
    [InlineData("valid-token-0123456789", AuthFailureReason.WrongScheme)]
    [InlineData("Bearer  valid-token-0123456789", AuthFailureReason.Malformed)]
    [InlineData("Bearer valid-token-0123456789 ", AuthFailureReason.Malformed)]
    [InlineData("Bearer\tvalid-token-0123456789", AuthFailureReason.Malformed)]
    [InlineData(" Bearer valid-token-0123456789", AuthFailureReason.Malformed)]
    [InlineData("Bearer valid token-0123456789", AuthFailureReason.Malformed)]
    [InlineData("Bearer =abc", AuthFailureReason.Malformed)]
    [InlineData("Bearer abc=d", AuthFailureReason.Malformed)]
    [InlineData("Bearer valid-token-0123456789=", AuthFailureReason.UnknownToken)]
    [InlineData("Bearer Valid-token-0123456789", AuthFailureReason.UnknownToken)]
    public void Failures_name_their_reason(string? header, AuthFailureReason expected)
    {
        var result = AuthenticatorFor("valid-token-0123456789").Authenticate(header);
        Assert.False(result.Succeeded);
        Assert.Equal(expected, result.Reason);
    }

    [Fact]
    public void Fingerprint_is_null_only_when_no_token_was_presented()
    {
        var authenticator = AuthenticatorFor("valid-token-0123456789");
        Assert.Null(authenticator.Authenticate(null).Fingerprint);
        Assert.Null(authenticator.Authenticate(" ").Fingerprint);
        Assert.Null(authenticator.Authenticate("Bearer ").Fingerprint);
        // A malformed presentation of the right token fingerprints the same, so an operator can see who it was.
        Assert.Equal(TokenHash.Fingerprint("valid-token-0123456789"),
            authenticator.Authenticate("Bearer valid-token-0123456789 ").Fingerprint);
        Assert.Equal(TokenHash.Fingerprint("dXNlcjpwYXNz"), authenticator.Authenticate("Basic dXNlcjpwYXNz").Fingerprint);
    }

    [Fact]
    public void Tokens_longer_than_512_characters_are_malformed_even_when_known()
    {
        var longest = new string('a', BearerHeader.MaxTokenLength);
        var tooLong = longest + "b";
        var authenticator = new TokenAuthenticator(
        [
            new TokenEntry("longest", HashOf(longest), ApiScope.Read, null),
            new TokenEntry("too-long", HashOf(tooLong), ApiScope.Read, null),
        ]);
        Assert.Equal("longest", authenticator.Authenticate("Bearer " + longest).TokenName);
        Assert.Equal(AuthFailureReason.Malformed, authenticator.Authenticate("Bearer " + tooLong).Reason);
    }

    [Fact]
    public void Every_entry_can_match_whatever_its_position()
    {
        var tokens = Enumerable.Range(0, 50).Select(i => $"token-number-{i:D4}-abcdefgh").ToArray();
        var authenticator = new TokenAuthenticator(tokens.Select((t, i) =>
            new TokenEntry($"t{i}", HashOf(t), ApiScope.Read, null)));
        Assert.Equal(50, authenticator.Count);
        for (var i = 0; i < tokens.Length; i++)
            Assert.Equal($"t{i}", authenticator.Authenticate("Bearer " + tokens[i]).TokenName);
    }

    [Fact]
    public void Hash_helpers_match_the_standard_vectors()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TokenHash.Sha256Hex("abc"));
        Assert.Equal("ba7816bf", TokenHash.Fingerprint("abc"));
        Assert.Equal("unknown_token", AuthFailureReason.UnknownToken.ToSnakeCase());
        Assert.Equal("missing_header", AuthFailureReason.MissingHeader.ToSnakeCase());
    }

    [Fact]
    public void Results_and_entries_do_not_print_the_token()
    {
        const string token = "secret-token-0123456789abcdef";
        var authenticator = AuthenticatorFor(token);
        var success = authenticator.Authenticate("Bearer " + token);
        var failure = authenticator.Authenticate("Bearer " + token + " ");
        Assert.DoesNotContain(token, success.ToString());
        Assert.DoesNotContain(token, failure.ToString());
        Assert.Contains("ci", success.ToString());
    }

    [Fact]
    public void Constructor_refuses_duplicate_names_and_hashes()
    {
        var hash = HashOf("some-token-0123456789");
        var read = ApiScope.Read;
        Assert.Throws<ArgumentException>(() => new TokenAuthenticator([new("a", hash, read, null), new("A", HashOf("x"), read, null)]));
        Assert.Throws<ArgumentException>(() => new TokenAuthenticator([new("a", hash, read, null), new("b", hash, read, null)]));
    }

    // ---------------------------------------------------------------- FromSettings

    [Fact]
    public void FromSettings_without_any_token_source_refuses_to_start()
    {
        var e = Assert.Throws<SettingsException>(() => TokenAuthenticator.FromSettings(new PharosSettings()));
        Assert.Contains("PHAROS_ADMIN_TOKEN", e.Message);
        Assert.Contains("PHAROS_TOKENS_FILE", e.Message);
    }

    [Fact]
    public void FromSettings_refuses_a_short_admin_token_without_printing_it()
    {
        var e = Assert.Throws<SettingsException>(() => TokenAuthenticator.FromSettings(new PharosSettings { Auth = AuthSettings.Default with { AdminToken = "short-secret" } }));
        Assert.Contains("PHAROS_ADMIN_TOKEN must be at least 16 characters", e.Message);
        Assert.DoesNotContain("short-secret", e.Message);
    }

    [Fact]
    public void FromSettings_refuses_an_admin_token_no_client_could_send()
    {
        const string token = "has a space in it 0123456789";
        var e = Assert.Throws<SettingsException>(() => TokenAuthenticator.FromSettings(new PharosSettings { Auth = AuthSettings.Default with { AdminToken = token } }));
        Assert.Contains("PHAROS_ADMIN_TOKEN", e.Message);
        Assert.DoesNotContain(token, e.Message);
    }

    [Fact]
    public void FromSettings_admin_token_has_every_scope_and_no_limit()
    {
        const string token = "admin-token-0123456789abcdef";
        var authenticator = TokenAuthenticator.FromSettings(new PharosSettings { Auth = AuthSettings.Default with { AdminToken = token } });
        var result = authenticator.Authenticate("Bearer " + token);
        Assert.Equal(1, authenticator.Count);
        Assert.True(result.Succeeded);
        Assert.Equal("admin", result.TokenName);
        Assert.Null(result.RequestsPerMinute);
        Assert.All(ScopeRules.Known, s => Assert.True(result.HasScope(s)));
        // The operator's own token: whoever holds it writes every other token's grants anyway.
        Assert.True(result.PrivateRepos);
        Assert.Null(result.MaxQueued);
    }

    /// <summary>
    /// A tokens file entry without max_queued gets half the cap (at least 1), or the whole cap with the admin scope; one
    /// that names it keeps it, whatever its scopes.
    /// </summary>
    [Theory]
    [InlineData(10, 5)]
    [InlineData(11, 5)]
    [InlineData(1, 1)]
    [InlineData(1000, 500)]
    public void FromSettings_gives_each_token_its_share_of_the_cap(int cap, int half)
    {
        using var dir = new TempDir();
        var path = dir.Write("tokens.json", $$"""
            [
              { "name": "ci", "sha256": "{{TokenHash.Sha256Hex("c-0123456789abcdef")}}", "scopes": ["ingest"] },
              { "name": "ops", "sha256": "{{TokenHash.Sha256Hex("o-0123456789abcdef")}}", "scopes": ["admin"] },
              { "name": "small", "sha256": "{{TokenHash.Sha256Hex("s-0123456789abcdef")}}", "scopes": ["ingest"], "max_queued": 2 },
              { "name": "big", "sha256": "{{TokenHash.Sha256Hex("b-0123456789abcdef")}}", "scopes": ["ingest"], "max_queued": 2000 },
              { "name": "ops-small", "sha256": "{{TokenHash.Sha256Hex("p-0123456789abcdef")}}", "scopes": ["admin"], "max_queued": 3 },
            ]
            """);
        var settings = new PharosSettings
        {
            Auth = AuthSettings.Default with { AdminToken = "admin-token-0123456789abcdef", TokensFile = path },
            Queue = QueueSettings.Default with { MaxQueueSize = cap },
        };
        var authenticator = TokenAuthenticator.FromSettings(settings);
        Assert.Equal(new int?[] { half, null, 2, 2000, 3, null },
            new[] { "c-", "o-", "s-", "b-", "p-", "admin-token-" }.Select(t => authenticator.Authenticate($"Bearer {t}0123456789abcdef").MaxQueued));
    }

    [Fact]
    public void FromSettings_combines_the_admin_token_and_the_tokens_file()
    {
        using var dir = new TempDir();
        var path = dir.Write("tokens.json", TokensJson(
            ("ci", TokenHash.Sha256Hex("ci-token-0123456789abcdef"), ["ingest"], 60),
            ("dashboard", TokenHash.Sha256Hex("dash-token-0123456789abcdef"), ["read"], null)));
        var authenticator = TokenAuthenticator.FromSettings(new PharosSettings { Auth = AuthSettings.Default with { AdminToken = "admin-token-0123456789abcdef", TokensFile = path } });
        Assert.Equal(3, authenticator.Count);
        Assert.Equal("admin", authenticator.Authenticate("Bearer admin-token-0123456789abcdef").TokenName);
        var ci = authenticator.Authenticate("Bearer ci-token-0123456789abcdef");
        Assert.Equal(("ci", 60), (ci.TokenName, ci.RequestsPerMinute));
        Assert.False(ci.HasScope(ApiScope.Read));

        var fileOnly = TokenAuthenticator.FromSettings(new PharosSettings { Auth = AuthSettings.Default with { TokensFile = path } });
        Assert.Equal(2, fileOnly.Count);
        Assert.False(fileOnly.Authenticate("Bearer admin-token-0123456789abcdef").Succeeded);
    }

    [Fact]
    public void FromSettings_refuses_a_tokens_file_entry_that_clashes_with_the_admin_token()
    {
        using var dir = new TempDir();
        const string admin = "admin-token-0123456789abcdef";
        var byName = dir.Write("name.json", TokensJson(("admin", TokenHash.Sha256Hex("other-token-0123456789"), ["read"], null)));
        var byHash = dir.Write("hash.json", TokensJson(("copy", TokenHash.Sha256Hex(admin), ["read"], null)));
        var e1 = Assert.Throws<SettingsException>(() => TokenAuthenticator.FromSettings(new PharosSettings { Auth = AuthSettings.Default with { AdminToken = admin, TokensFile = byName } }));
        var e2 = Assert.Throws<SettingsException>(() => TokenAuthenticator.FromSettings(new PharosSettings { Auth = AuthSettings.Default with { AdminToken = admin, TokensFile = byHash } }));
        Assert.Contains("PHAROS_TOKENS_FILE", e1.Message);
        Assert.Contains("PHAROS_TOKENS_FILE", e2.Message);
        Assert.DoesNotContain(admin, e1.Message + e2.Message);
    }

    // ---------------------------------------------------------------- tokens file loader

    private static readonly string GoodHash = TokenHash.Sha256Hex("good-token-0123456789abcdef");

    [Fact]
    public void Loader_reads_a_well_formed_file()
    {
        using var dir = new TempDir();
        var path = dir.Write("tokens.json", $$"""
            // operators may comment the file
            [
              { "name": "ci", "sha256": "{{GoodHash.ToUpperInvariant()}}", "scopes": ["ingest", "read"], "requests_per_minute": 120 },
              { "name": "dashboard", "sha256": "{{TokenHash.Sha256Hex("x-0123456789abcdef")}}", "scopes": ["read"], "requests_per_minute": null },
            ]
            """);
        var entries = TokenFileLoader.Load(path);
        Assert.Equal(["ci", "dashboard"], entries.Select(e => e.Name));
        Assert.Equal(Convert.FromHexString(GoodHash), entries[0].Sha256);
        Assert.Equal(ApiScope.Ingest | ApiScope.Read, entries[0].Scopes);
        Assert.Equal(120, entries[0].RequestsPerMinute);
        Assert.Null(entries[1].RequestsPerMinute);
        Assert.All(entries, e => Assert.False(e.PrivateRepos));
        Assert.Empty(TokenFileLoader.Load(dir.Write("empty.json", "[]")));
    }

    [Fact]
    public void Loader_grants_private_repositories_only_to_entries_that_say_true()
    {
        using var dir = new TempDir();
        var path = dir.Write("tokens.json", $$"""
            [
              { "name": "private", "sha256": "{{TokenHash.Sha256Hex("p-0123456789abcdef")}}", "scopes": ["ingest"], "private_repos": true },
              { "name": "public", "sha256": "{{TokenHash.Sha256Hex("q-0123456789abcdef")}}", "scopes": ["ingest"], "private_repos": false },
              { "name": "unsaid", "sha256": "{{TokenHash.Sha256Hex("r-0123456789abcdef")}}", "scopes": ["ingest"], "private_repos": null },
              { "name": "admin-scope", "sha256": "{{TokenHash.Sha256Hex("s-0123456789abcdef")}}", "scopes": ["admin"] },
            ]
            """);
        var authenticator = new TokenAuthenticator(TokenFileLoader.Load(path));
        Assert.Equal([true, false, false, false],
            new[] { "p", "q", "r", "s" }.Select(t => authenticator.Authenticate($"Bearer {t}-0123456789abcdef").PrivateRepos));
    }

    [Fact]
    public void Loader_reports_a_missing_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "pharos-no-such-dir-" + Guid.NewGuid(), "tokens.json");
        var e = Assert.Throws<SettingsException>(() => TokenFileLoader.Load(path));
        Assert.Contains("PHAROS_TOKENS_FILE", e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    [InlineData("""{"name": "ci"}""", "JSON array")]
    [InlineData("""["ci"]""", "entry 1 must be an object")]
    [InlineData("""[{"sha256": "HASH", "scopes": ["read"]}]""", "name is missing")]
    [InlineData("""[{"name": "", "sha256": "HASH", "scopes": ["read"]}]""", "name must be a non-empty string")]
    [InlineData("""[{"name": "ci", "scopes": ["read"]}]""", "sha256 is missing")]
    [InlineData("""[{"name": "ci", "sha256": "abc123", "scopes": ["read"]}]""", "sha256 must be 64 hexadecimal characters, got 6")]
    [InlineData("""[{"name": "ci", "sha256": "HASHa", "scopes": ["read"]}]""", "sha256 must be 64 hexadecimal characters, got 65")]
    [InlineData("""[{"name": "ci", "sha256": "NONHEX", "scopes": ["read"]}]""", "only hexadecimal")]
    [InlineData("""[{"name": "ci", "sha256": "HASH"}]""", "scopes must be an array")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": []}]""", "scopes is empty")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest", "write"]}]""", "unknown scope 'write'")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["Ingest"]}]""", "unknown scope 'Ingest'")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": [1]}]""", "unknown scope Number")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["read"], "requests_per_minute": 0}]""", "requests_per_minute must be a whole number")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["read"], "requests_per_minute": "10"}]""", "requests_per_minute must be a whole number")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["read"], "requests_per_minut": 10}]""", "unknown field 'requests_per_minut'")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest"], "private_repo": true}]""", "unknown field 'private_repo'")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest"], "private_repos": "true"}]""", "private_repos must be true or false")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest"], "private_repos": 1}]""", "private_repos must be true or false")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest"], "max_queued": 0}]""", "max_queued must be a whole number of at least 1")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest"], "max_queued": 2.5}]""", "max_queued must be a whole number of at least 1")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest"], "max_queued": "5"}]""", "max_queued must be a whole number of at least 1")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["ingest"], "max_queue": 5}]""", "unknown field 'max_queue'")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["read"]}, {"name": "CI", "sha256": "OTHER", "scopes": ["read"]}]""", "entry 2: duplicate name 'CI'")]
    [InlineData("""[{"name": "ci", "sha256": "HASH", "scopes": ["read"]}, {"name": "cd", "sha256": "HASH", "scopes": ["read"]}]""", "same sha256 as 'ci'")]
    public void Loader_errors_name_the_variable_and_the_problem(string json, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("tokens.json", json
            .Replace("NONHEX", "zz" + GoodHash[2..], StringComparison.Ordinal)
            .Replace("HASH", GoodHash, StringComparison.Ordinal)
            .Replace("OTHER", TokenHash.Sha256Hex("other"), StringComparison.Ordinal));
        var e = Assert.Throws<SettingsException>(() => TokenFileLoader.Load(path));
        Assert.StartsWith("PHAROS_TOKENS_FILE", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain(GoodHash, e.Message);
    }

    [Fact]
    public void Loader_does_not_echo_a_plain_token_pasted_into_sha256()
    {
        using var dir = new TempDir();
        const string token = "plain-token-pasted-by-mistake-0123456789";
        var e = Assert.Throws<SettingsException>(() => TokenFileLoader.Load(
            dir.Write("tokens.json", TokensJson(("ci", token, ["read"], null)))));
        Assert.Contains("sha256 must be 64 hexadecimal characters", e.Message);
        Assert.DoesNotContain(token, e.Message);
    }

    internal static byte[] HashOf(string token) => Convert.FromHexString(TokenHash.Sha256Hex(token));

    internal static string TokensJson(params (string Name, string Sha256, string[] Scopes, int? Rpm)[] entries) =>
        System.Text.Json.JsonSerializer.Serialize(entries.Select(e => new Dictionary<string, object?>
        {
            ["name"] = e.Name,
            ["sha256"] = e.Sha256,
            ["scopes"] = e.Scopes,
            ["requests_per_minute"] = e.Rpm,
        }));
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pharos-auth-tests-").FullName;

    public string Write(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
