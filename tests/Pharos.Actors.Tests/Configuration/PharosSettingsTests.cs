using Microsoft.Extensions.Configuration;
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
        Assert.Equal(10, settings.Queue.MaxQueueSize);
        Assert.Equal(86_400, settings.Queue.TaskTtlSeconds);
        Assert.Equal(100, settings.Queue.HistorySize);
        Assert.Equal("./data", settings.Storage.DataDir);
        Assert.Equal("http://127.0.0.1:5080", settings.Node.HttpUrls);
        Assert.Equal("127.0.0.1", settings.Cluster.ClusterHost);
        Assert.Null(settings.Cluster.ClusterPort);
        Assert.Equal(["github.com", "gitlab.com", "bitbucket.org", "gitee.com"], settings.Repositories.AllowedHosts);
        Assert.Equal(["https"], settings.Repositories.AllowedSchemes);
        Assert.False(settings.Repositories.AllowLocalRepos);
        Assert.False(settings.Auth.RequireReadToken);
        Assert.Equal(TimeSpan.FromSeconds(300), settings.Queue.LeaseDuration);
        Assert.Equal(3, settings.Queue.MaxAttempts);
        Assert.Equal(1024, settings.Edge.MaxRepoMb);
        Assert.Equal(TimeSpan.FromSeconds(600), settings.Edge.CloneTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1800), settings.Edge.AnalyzeTimeout);
        Assert.Equal(2048L << 20, settings.Edge.JobMemoryBytes);
        Assert.Equal(1, settings.Edge.Workers);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.Cluster.DownAfter);
        Assert.False(settings.Node.Standalone);
        Assert.Null(settings.Edge.GitToken);
        Assert.Equal(30, settings.Auth.AuthFailuresPerMinute);
        Assert.Empty(settings.Auth.TrustedProxies);
    }

    [Fact]
    public void A_worker_gets_its_job_processes_limits_from_the_settings()
    {
        var worker = Pharos.Actors.Edge.WorkerSettings.From(Read(("PHAROS_JOB_MEMORY_MB", "300"),
            ("PHAROS_ANALYZE_TIMEOUT_SECONDS", "90"), ("PHAROS_CLONE_TIMEOUT_SECONDS", "30"), ("PHAROS_TRAIN_THREADS", "3")), 1);
        Assert.Equal(new Pharos.Actors.Edge.Jobs.JobLimits(300L << 20, TimeSpan.FromSeconds(90), 3), worker.JobLimits(Pharos.Actors.Edge.Jobs.JobKind.Analyze));
        Assert.Equal(TimeSpan.FromSeconds(30), worker.JobLimits(Pharos.Actors.Edge.Jobs.JobKind.Clone).Timeout);
    }

    [Fact]
    public void Settings_that_are_not_given_are_the_defaults_a_node_is_built_with()
    {
        Assert.Equal(new PharosSettings().ToString(), Read().ToString());
        Assert.Equal(QueueSettings.Default, Read().Queue);
    }

    [Fact]
    public void Trusted_proxies_are_v4_or_v6_addresses()
    {
        Assert.Equal([System.Net.IPAddress.Parse("10.0.0.1"), System.Net.IPAddress.IPv6Loopback],
            Read(("PHAROS_TRUSTED_PROXIES", " 10.0.0.1 ,::1")).Auth.TrustedProxies);
    }

    [Fact]
    public void Every_setting_is_documented_in_the_settings_page()
    {
        var page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "settings.md"));
        foreach (var setting in PharosSettings.All)
            Assert.True(page.Contains($"`{setting.Variable}`") && page.Contains(setting.Key),
                $"docs/settings.md's settings table lacks {setting.Variable} / {setting.Key}");
    }

    [Fact]
    public void Each_variable_and_each_appsettings_key_belongs_to_one_setting()
    {
        Assert.Equal(PharosSettings.All.Count, PharosSettings.All.Select(s => s.Variable).Distinct().Count());
        Assert.Equal(PharosSettings.All.Count, PharosSettings.All.Select(s => s.Key).Distinct().Count());
    }

    /// <summary>
    /// The .env examples name every setting (as <c>VAR=</c> or <c>#VAR=</c>), name nothing else, and where they show a
    /// value for a setting with a default, show that default.
    /// </summary>
    [Theory]
    [InlineData(".env.cloud.example")]
    [InlineData(".env.edge.example")]
    public void The_env_examples_show_only_settings_of_the_tables_with_their_defaults(string file)
    {
        var bySetting = PharosSettings.All.ToDictionary(s => s.Variable);
        foreach (var (variable, value) in EnvExampleLines(file))
        {
            Assert.True(bySetting.TryGetValue(variable, out var setting), $"{file} names {variable}, which no settings table has");
            if (value.Length > 0 && !string.IsNullOrEmpty(setting.DefaultText) && !IsExampleOfRoleDefault(file, variable))
                Assert.True(value == setting.DefaultText, $"{file} shows {variable}={value}; its default is {setting.DefaultText}");
        }
    }

    [Fact]
    public void Every_setting_is_in_an_env_example()
    {
        var named = EnvExampleLines(".env.cloud.example").Concat(EnvExampleLines(".env.edge.example")).Select(l => l.Variable).ToHashSet();
        foreach (var setting in PharosSettings.All)
            Assert.True(named.Contains(setting.Variable), $"no .env example names {setting.Variable}");
    }

    // An edge's seeds show the cloud it joins when none is given; its port, any free one.
    private static bool IsExampleOfRoleDefault(string file, string variable) =>
        file == ".env.edge.example" && variable is "PHAROS_SEEDS";

    private static IEnumerable<(string Variable, string Value)> EnvExampleLines(string file) =>
        File.ReadLines(Path.Combine(RepositoryRoot(), file))
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"^#?([A-Z][A-Z0-9_]*)=(.*)$"))
            .Where(match => match.Success)
            .Select(match => (match.Groups[1].Value, match.Groups[2].Value.Trim()));

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Pharos.sln"))) root = root.Parent!;
        return root.FullName;
    }

    [Fact]
    public void Environment_variables_win_over_appsettings_keys()
    {
        var settings = Read(("Pharos:MaxQueueSize", "5"), ("MAX_QUEUE_SIZE", "7"), ("Pharos:TaskTtlSeconds", "60"),
            ("PHAROS_ALLOWED_HOSTS", " GitHub.com , git.example.org "), ("PHAROS_SEEDS", "10.0.0.2:4053, akka.tcp://pharos@h:1"));
        Assert.Equal(7, settings.Queue.MaxQueueSize);
        Assert.Equal(60, settings.Queue.TaskTtlSeconds);
        Assert.Equal(["github.com", "git.example.org"], settings.Repositories.AllowedHosts);
        Assert.Equal(["10.0.0.2:4053", "akka.tcp://pharos@h:1"], settings.Cluster.Seeds);
    }

    [Fact]
    public void Allowed_ports_are_none_by_default_and_read_as_a_list()
    {
        Assert.Empty(Read().Repositories.AllowedPorts);
        Assert.Equal([8443, 2222], Read(("PHAROS_ALLOWED_PORTS", " 8443 , 2222 ")).Repositories.AllowedPorts);
    }

    [Theory]
    [InlineData("MAX_QUEUE_SIZE", "0")]
    [InlineData("MAX_QUEUE_SIZE", "ten")]
    [InlineData("TASK_TTL_SECONDS", "-5")]
    [InlineData("PHAROS_CLUSTER_PORT", "70000")]
    [InlineData("PHAROS_ALLOW_LOCAL_REPOS", "perhaps")]
    [InlineData("PHAROS_ALLOWED_SCHEMES", "https,ftp")]
    [InlineData("PHAROS_ALLOWED_PORTS", "8443,0")]
    [InlineData("PHAROS_ALLOWED_PORTS", "65536")]
    [InlineData("PHAROS_ALLOWED_PORTS", "https")]
    [InlineData("PHAROS_ALLOWED_PORTS", "-22")]
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
