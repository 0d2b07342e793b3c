using Pharos.Cli.Remote;

namespace Pharos.Cli.Tests;

public sealed class RemoteSettingsTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Func<string, string?> Env(params (string Key, string Value)[] values) =>
        key => values.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Options_win_over_the_environment_which_wins_over_the_default()
    {
        var notes = new StringWriter();
        var env = Env(("PHAROS_URL", "http://cloud.example:8080"), ("PHAROS_TOKEN", "from-env"));
        Assert.Equal(new RemoteSettings(new Uri("http://given:1/"), "given", "--token"),
            RemoteSettings.Resolve("http://given:1", "given", env, _dir, notes));
        Assert.Equal(new RemoteSettings(new Uri("http://cloud.example:8080/"), "from-env", "PHAROS_TOKEN"),
            RemoteSettings.Resolve(null, null, env, _dir, notes));
        Assert.Equal(new RemoteSettings(new Uri("http://127.0.0.1:5080/"), null, "none"),
            RemoteSettings.Resolve(null, null, Env(), _dir, notes));
        Assert.Equal("http://host:9/", RemoteSettings.Resolve("host:9", null, Env(), _dir, notes).BaseUri.ToString());
        Assert.Empty(notes.ToString());
    }

    [Fact]
    public void Without_a_token_the_admin_token_file_of_run_sh_is_used_and_said_once()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        File.WriteAllText(Path.Combine(_dir, "data", "admin-token"), "file-token-0123456789\n");
        var notes = new StringWriter();

        var settings = RemoteSettings.Resolve(null, null, Env(), _dir, notes);

        Assert.Equal("file-token-0123456789", settings.Token);
        Assert.Equal("pharos: using the admin token in ./data/admin-token (give --token or PHAROS_TOKEN to use another)",
            notes.ToString().Trim());
        Assert.Equal("from-env", RemoteSettings.Resolve(null, null, Env(("PHAROS_TOKEN", "from-env")), _dir, new StringWriter()).Token);
    }

    [Fact]
    public void A_url_that_is_not_http_is_refused()
    {
        var e = Assert.Throws<Commands.CliException>(() => RemoteSettings.Resolve("ftp://x", null, Env(), _dir, new StringWriter()));
        Assert.Equal("'ftp://x' is not an http(s) URL of a Pharos cloud (--url or PHAROS_URL).", e.Message);
    }
}
