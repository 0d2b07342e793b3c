using Microsoft.Extensions.Configuration;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;

namespace Pharos.Actors.Tests.Configuration;

public sealed class PharosSettingsTests
{
    private static PharosSettings Read(params (string Key, string Value)[] values) =>
        PharosSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    [Fact]
    public void Defaults_are_the_contracts()
    {
        var settings = Read();
        Assert.Equal(10, settings.MaxQueueSize);
        Assert.Equal(86_400, settings.TaskTtlSeconds);
        Assert.Equal(100, settings.HistorySize);
        Assert.Equal("./data", settings.DataDir);
        Assert.Equal("http://127.0.0.1:5080", settings.HttpUrls);
        Assert.Equal("127.0.0.1", settings.ClusterHost);
        Assert.Null(settings.ClusterPort);
        Assert.Equal(["github.com", "gitlab.com", "bitbucket.org", "gitee.com"], settings.AllowedHosts);
        Assert.Equal(["https"], settings.AllowedSchemes);
        Assert.False(settings.AllowLocalRepos);
        Assert.False(settings.RequireReadToken);
        Assert.Equal(300, settings.LeaseTimeoutSeconds);
        Assert.Equal(3, settings.MaxAttempts);
        Assert.Equal(1024, settings.MaxRepoMb);
        Assert.Equal(600, settings.CloneTimeoutSeconds);
        Assert.Equal(1, settings.Workers);
        Assert.Equal(15, settings.DownAfterSeconds);
        Assert.False(settings.Standalone);
        Assert.Null(settings.GitToken);
        Assert.Equal(30, settings.AuthFailuresPerMinute);
        Assert.Empty(settings.TrustedProxies);
    }

    [Fact]
    public void Trusted_proxies_are_v4_or_v6_addresses()
    {
        Assert.Equal([System.Net.IPAddress.Parse("10.0.0.1"), System.Net.IPAddress.IPv6Loopback],
            Read(("PHAROS_TRUSTED_PROXIES", " 10.0.0.1 ,::1")).TrustedProxies);
    }

    [Fact]
    public void Every_setting_is_documented_in_the_settings_page_and_an_env_example()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Pharos.sln"))) root = root.Parent!;
        var page = File.ReadAllText(Path.Combine(root.FullName, "docs", "settings.md"));
        var examples = File.ReadAllText(Path.Combine(root.FullName, ".env.cloud.example"))
                       + File.ReadAllText(Path.Combine(root.FullName, ".env.edge.example"));
        foreach (var (env, key) in PharosSettings.Names)
        {
            Assert.True(page.Contains($"`{env}`") && page.Contains(key), $"docs/settings.md's settings table lacks {env} / {key}");
            if (env != "PHAROS_REDIS") Assert.True(examples.Contains(env), $"no .env example names {env}");
        }
    }

    [Fact]
    public void Environment_variables_win_over_appsettings_keys()
    {
        var settings = Read(("Pharos:MaxQueueSize", "5"), ("MAX_QUEUE_SIZE", "7"), ("Pharos:TaskTtlSeconds", "60"),
            ("PHAROS_ALLOWED_HOSTS", " GitHub.com , git.example.org "), ("PHAROS_SEEDS", "10.0.0.2:4053, akka.tcp://pharos@h:1"));
        Assert.Equal(7, settings.MaxQueueSize);
        Assert.Equal(60, settings.TaskTtlSeconds);
        Assert.Equal(["github.com", "git.example.org"], settings.AllowedHosts);
        Assert.Equal(["10.0.0.2:4053", "akka.tcp://pharos@h:1"], settings.Seeds);
    }

    [Theory]
    [InlineData("MAX_QUEUE_SIZE", "0")]
    [InlineData("MAX_QUEUE_SIZE", "ten")]
    [InlineData("TASK_TTL_SECONDS", "-5")]
    [InlineData("PHAROS_CLUSTER_PORT", "70000")]
    [InlineData("PHAROS_ALLOW_LOCAL_REPOS", "perhaps")]
    [InlineData("PHAROS_ALLOWED_SCHEMES", "https,ftp")]
    [InlineData("PHAROS_WORKERS", "0")]
    [InlineData("PHAROS_LEASE_TIMEOUT_SECONDS", "0")]
    [InlineData("PHAROS_MAX_REPO_MB", "lots")]
    [InlineData("PHAROS_TRAIN_DIMENSIONS", "1")]
    [InlineData("PHAROS_STANDALONE", "maybe")]
    [InlineData("PHAROS_LOG_FORMAT", "xml")]
    [InlineData("PHAROS_AUTH_FAILURES_PER_MINUTE", "-1")]
    [InlineData("PHAROS_AUTH_FAILURES_PER_MINUTE", "many")]
    [InlineData("PHAROS_TRUSTED_PROXIES", "10.0.0.1, proxy.internal")]
    public void A_malformed_value_names_its_variable(string key, string value)
    {
        var error = Assert.Throws<SettingsException>(() => Read((key, value)));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void The_printed_form_holds_no_secret()
    {
        var settings = Read(("PHAROS_ADMIN_TOKEN", "super-secret-admin-token"), ("PHAROS_REDIS", "redis:6379,password=hunter2"),
            ("PHAROS_GIT_TOKEN", "ghp_secretgittoken"));
        var printed = settings.ToString() + Pharos.Actors.Edge.WorkerSettings.From(settings, 1);
        Assert.DoesNotContain("super-secret-admin-token", printed);
        Assert.DoesNotContain("hunter2", printed);
        Assert.DoesNotContain("ghp_secretgittoken", printed);
        Assert.Contains("MaxQueueSize = 10", printed);
    }

    [Fact]
    public void Seeds_given_as_host_and_port_become_akka_addresses_of_the_nodes_scheme()
    {
        Assert.Equal("akka.tcp://pharos@10.0.0.2:4053", PharosAkkaHosting.SeedAddress("10.0.0.2:4053", tls: false));
        Assert.Equal("akka.ssl.tcp://pharos@10.0.0.2:4053", PharosAkkaHosting.SeedAddress("10.0.0.2:4053", tls: true));
        Assert.Equal("akka.ssl.tcp://pharos@h:1", PharosAkkaHosting.SeedAddress("akka.ssl.tcp://pharos@h:1", tls: true));
    }
}
