using StackExchange.Redis;

namespace Pharos.Persistence.Redis;

/// <summary>Reads a StackExchange.Redis configuration string, or a redis:// or rediss:// URL as hosted Redis gives them.</summary>
public static class RedisConnection
{
    /// <summary>The connection as given, with no defaults of the plugin's: for other clients of the same strings.</summary>
    /// <exception cref="ArgumentException">Neither a configuration string nor a Redis URL.</exception>
    public static ConfigurationOptions Read(string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return configuration.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
               || configuration.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)
            ? FromUrl(new Uri(configuration))
            : ConfigurationOptions.Parse(configuration);
    }

    /// <summary><see cref="Read"/>, with the plugin's defaults for a journal connection.</summary>
    public static ConfigurationOptions Parse(string configuration)
    {
        var options = Read(configuration);
        // Start while Redis is down and reconnect by itself; meanwhile a command fails at once rather than waiting in
        // the client's backlog, so a persist fails fast (the cloud answers 503 with Retry-After, nothing accepted).
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        // Under the callers' own deadlines (an HTTP request waits 5 s), unless the string chose a timeout itself.
        if (options.AsyncTimeout == new ConfigurationOptions().AsyncTimeout) options.AsyncTimeout = 3000;
        options.ClientName ??= "pharos-persistence";
        return options;
    }

    private static ConfigurationOptions FromUrl(Uri url)
    {
        var options = new ConfigurationOptions { Ssl = url.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
        options.EndPoints.Add(url.Host, url.IsDefaultPort || url.Port <= 0 ? (options.Ssl ? 6380 : 6379) : url.Port);
        if (options.Ssl) options.SslHost = url.Host;
        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            var parts = url.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                if (parts[0].Length > 0) options.User = Uri.UnescapeDataString(parts[0]);
                options.Password = Uri.UnescapeDataString(parts[1]);
            }
            else options.Password = Uri.UnescapeDataString(parts[0]);
        }
        var path = url.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, out var database) || database < 0)
                throw new ArgumentException($"The Redis URL's path must be a database number; got '{path}'.");
            options.DefaultDatabase = database;
        }
        return options;
    }
}
