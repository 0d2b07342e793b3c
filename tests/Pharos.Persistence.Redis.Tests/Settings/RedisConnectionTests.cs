using System.Net;

namespace Pharos.Persistence.Redis.Tests;

/// <summary>Connection strings as hosted Redis gives them: StackExchange.Redis strings and redis:// / rediss:// URLs.</summary>
public sealed class RedisConnectionTests
{
    private static (string Host, int Port) EndPoint(ConfigurationOptions options) =>
        options.EndPoints.Single() switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            var other => throw new InvalidOperationException(other.ToString()),
        };

    [Fact]
    public void A_tls_url_with_user_password_and_database()
    {
        var options = RedisConnection.Parse("rediss://default:s%40cret@eu1-example.upstash.io:6380/2");
        Assert.True(options.Ssl);
        Assert.Equal("eu1-example.upstash.io", options.SslHost);
        Assert.Equal(("eu1-example.upstash.io", 6380), EndPoint(options));
        Assert.Equal(("default", "s@cret", 2), (options.User, options.Password, options.DefaultDatabase));
    }

    [Fact]
    public void A_plain_url_defaults_to_port_6379_and_takes_a_password_alone()
    {
        var options = RedisConnection.Parse("redis://:hunter2@10.0.0.5");
        Assert.False(options.Ssl);
        Assert.Equal(("10.0.0.5", 6379), EndPoint(options));
        Assert.Equal("hunter2", options.Password);
        Assert.Null(options.DefaultDatabase);
    }

    [Fact]
    public void A_stackexchange_string_keeps_its_options_and_fails_fast_while_disconnected()
    {
        var options = RedisConnection.Parse("127.0.0.1:6390,password=pw,ssl=true,defaultDatabase=4,asyncTimeout=1500");
        Assert.Equal(("pw", true, 4, 1500), (options.Password, options.Ssl, options.DefaultDatabase, options.AsyncTimeout));
        Assert.False(options.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, options.BacklogPolicy);
        // Without a timeout of its own, calls give up before an HTTP request's 5 s.
        Assert.Equal(3000, RedisConnection.Parse("127.0.0.1:6390").AsyncTimeout);
    }

    [Theory]
    [InlineData("redis://host/notanumber")]
    [InlineData("")]
    public void A_malformed_connection_is_refused_at_once(string connection) =>
        Assert.ThrowsAny<ArgumentException>(() => RedisConnection.Parse(connection));

    [Fact]
    public void Settings_never_print_the_connection_string()
    {
        var settings = new RedisPluginSettings("127.0.0.1:6390,password=topsecret", 0, "p:", 10);
        Assert.DoesNotContain("topsecret", settings.ToString());
    }
}
