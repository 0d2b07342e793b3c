using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pharos.Testing.Git;

/// <summary>Runs the git command line; throws with its output when it fails.</summary>
public static class GitCli
{
    public static string Run(string workingDirectory, params string[] args) => Run(workingDirectory, null, args);

    /// <summary>git with <paramref name="input"/> on its standard input (plumbing such as hash-object --stdin).</summary>
    public static string Run(string workingDirectory, byte[]? input, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-c", "user.name=Pharos Tests", "-c", "user.email=tests@pharos.invalid",
                     "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false" })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("git did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdoutRead = p.StandardOutput.ReadToEndAsync();
        if (input is not null)
        {
            p.StandardInput.BaseStream.Write(input);
            p.StandardInput.Close();
        }
        var stdout = stdoutRead.Result;
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Trim();
    }

    public static int FreeTcpPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try { return ((IPEndPoint)l.LocalEndpoint).Port; }
        finally { l.Stop(); }
    }

    public static async Task WaitForPortAsync(int port, TimeSpan timeout, Func<bool>? stillRunning = null)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (sw.Elapsed < timeout && (stillRunning?.Invoke() ?? true))
            {
                await Task.Delay(50);
            }
        }
    }
}

/// <summary>
/// Real git repositories in a temporary root (the root is what <see cref="GitDaemon"/> and
/// <see cref="SmartHttpGitServer"/> serve). Deleted in Dispose.
/// </summary>
public sealed class GitRepositoryFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("pharos-git-").FullName;

    /// <summary>A new repository named <paramref name="name"/> with one commit per file, in order.</summary>
    public string CreateSource(string name, params (string Path, string Content)[] files)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        GitCli.Run(dir, "init", "-q");
        foreach (var (path, content) in files) Commit(dir, path, Encoding.UTF8.GetBytes(content));
        return dir;
    }

    /// <summary>A repository of <paramref name="fileCount"/> incompressible random files, one commit.</summary>
    public string CreateRandomSource(string name, int fileCount, int bytesEach)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        GitCli.Run(dir, "init", "-q");
        for (var i = 0; i < fileCount; i++)
            File.WriteAllBytes(Path.Combine(dir, $"blob{i:D3}.bin"), RandomNumberGenerator.GetBytes(bytesEach));
        GitCli.Run(dir, "add", "-A");
        GitCli.Run(dir, "commit", "-q", "-m", "random content");
        return dir;
    }

    public static void Commit(string repo, string path, byte[] content)
    {
        var full = Path.Combine(repo, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        GitCli.Run(repo, "add", "--", path);
        GitCli.Run(repo, "commit", "-q", "-m", $"add {path}");
    }

    public static string Head(string repo) => GitCli.Run(repo, "rev-parse", "HEAD");

    /// <summary>A path under the root that does not exist yet (for clone targets).</summary>
    public string NewTargetPath() => Path.Combine(Root, "clones", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Pharos.Actors.Edge.WorkDirectories.Delete(Root); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A real <c>git daemon</c> on 127.0.0.1 serving every repository under a base path (git://).</summary>
public sealed class GitDaemon : IDisposable
{
    private readonly Process _process;

    private GitDaemon(Process process, int port) { _process = process; Port = port; }

    public int Port { get; }

    public int Pid => _process.Id;

    /// <summary>git://127.0.0.1:port/name</summary>
    public string UrlFor(string repositoryName) => $"git://127.0.0.1:{Port}/{repositoryName}";

    public static async Task<GitDaemon> StartAsync(string basePath)
    {
        var port = GitCli.FreeTcpPort();
        var psi = new ProcessStartInfo("git")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "daemon", "--reuseaddr", "--listen=127.0.0.1", $"--port={port}",
                     $"--base-path={basePath}", "--export-all", basePath })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("git daemon did not start");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var daemon = new GitDaemon(p, port);
        try
        {
            await GitCli.WaitForPortAsync(port, TimeSpan.FromSeconds(20), () => !p.HasExited);
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
        return daemon;
    }

    public void Dispose()
    {
        try
        {
            using var p = Process.GetProcessById(_process.Id);
            if (!p.HasExited) { p.Kill(entireProcessTree: true); p.WaitForExit(5000); }
        }
        catch (ArgumentException) { } // already gone
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 serving git's smart HTTP protocol by running <c>git http-backend</c> as a
/// CGI. With a required token, requests need <c>Authorization: Bearer token</c> or Basic with the token as the
/// password; otherwise 401 with <c>WWW-Authenticate: Basic</c>.
/// </summary>
public sealed class SmartHttpGitServer : IAsyncDisposable, IDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private SmartHttpGitServer(WebApplication app, Uri baseAddress) { _app = app; BaseAddress = baseAddress; }

    public Uri BaseAddress { get; }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Status code to answer every request with instead of serving it (null: serve normally).</summary>
    public int? ForcedStatus { get; set; }

    /// <summary>
    /// Given a request's path and query, where to redirect it (302 for GET, 307 for POST), or null to serve it.
    /// </summary>
    public Func<string, string?>? Redirect { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _authorizations = new();

    /// <summary>The Authorization header of every request so far, in order ("" when there was none).</summary>
    public IReadOnlyList<string> Authorizations => _authorizations.ToArray();

    public string UrlFor(string repositoryName) => new Uri(BaseAddress, repositoryName).ToString();

    private Stall? _stall;

    /// <summary>
    /// Until the returned handle is disposed, every request is held without an answer (a server that stalls);
    /// <paramref name="onStalled"/> runs when a request starts waiting. After release they are answered 503.
    /// </summary>
    public IDisposable StallRequests(Action? onStalled = null)
    {
        var stall = new Stall(onStalled, this);
        Volatile.Write(ref _stall, stall);
        return stall;
    }

    private sealed class Stall(Action? onStalled, SmartHttpGitServer server) : IDisposable
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task WaitAsync(CancellationToken aborted)
        {
            onStalled?.Invoke();
            try { await _released.Task.WaitAsync(aborted); }
            catch (OperationCanceledException) { }
        }

        public void Dispose()
        {
            Interlocked.CompareExchange(ref server._stall, null, this);
            _released.TrySetResult();
        }
    }

    public static async Task<SmartHttpGitServer> StartAsync(string projectRoot, string? requiredToken = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        SmartHttpGitServer? server = null;
        app.Run(ctx => server!.HandleAsync(ctx, projectRoot, requiredToken));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        server = new SmartHttpGitServer(app, new Uri(address.TrimEnd('/') + "/"));
        return server;
    }

    private static bool Authorized(HttpRequest request, string token)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header["Bearer ".Length..].Trim() == token;
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = decoded.IndexOf(':');
                return colon >= 0 && decoded[(colon + 1)..] == token;
            }
            catch (FormatException) { return false; }
        }
        return false;
    }

    private async Task HandleAsync(HttpContext ctx, string projectRoot, string? requiredToken)
    {
        Interlocked.Increment(ref _requests);
        _authorizations.Enqueue(ctx.Request.Headers.Authorization.ToString());
        if (Volatile.Read(ref _stall) is { } stall)
        {
            await stall.WaitAsync(ctx.RequestAborted);
            ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        if (ForcedStatus is { } forced) { ctx.Response.StatusCode = forced; return; }
        if (Redirect?.Invoke($"{ctx.Request.Path}{ctx.Request.QueryString}") is { } location)
        {
            ctx.Response.StatusCode = HttpMethods.IsPost(ctx.Request.Method)
                ? StatusCodes.Status307TemporaryRedirect
                : StatusCodes.Status302Found;
            ctx.Response.Headers.Location = location;
            return;
        }
        if (requiredToken is not null && !Authorized(ctx.Request, requiredToken))
        {
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"pharos-tests\"";
            return;
        }

        var psi = new ProcessStartInfo("git", "http-backend")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var env = psi.Environment;
        env["GIT_PROJECT_ROOT"] = projectRoot;
        env["GIT_HTTP_EXPORT_ALL"] = "1";
        env["PATH_INFO"] = ctx.Request.Path.Value ?? "/";
        env["QUERY_STRING"] = ctx.Request.QueryString.HasValue ? ctx.Request.QueryString.Value![1..] : "";
        env["REQUEST_METHOD"] = ctx.Request.Method;
        env["CONTENT_TYPE"] = ctx.Request.ContentType ?? "";
        if (ctx.Request.ContentLength is { } length) env["CONTENT_LENGTH"] = length.ToString();
        env["REMOTE_ADDR"] = ctx.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        env["GIT_CONFIG_COUNT"] = "1";
        env["GIT_CONFIG_KEY_0"] = "safe.directory";
        env["GIT_CONFIG_VALUE_0"] = "*";
        if (ctx.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
            env["HTTP_CONTENT_ENCODING"] = encoding;
        if (ctx.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol)
            env["GIT_PROTOCOL"] = protocol;

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("git http-backend did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdin = Task.Run(async () =>
        {
            try { await ctx.Request.Body.CopyToAsync(process.StandardInput.BaseStream, ctx.RequestAborted); }
            catch (IOException) { }
            catch (OperationCanceledException) { }
            finally { try { process.StandardInput.Close(); } catch (IOException) { } }
        });

        var stdout = process.StandardOutput.BaseStream;
        var (headers, rest) = await ReadCgiHeadersAsync(stdout);
        var status = StatusCodes.Status200OK;
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                status = int.Parse(value.Split(' ', 2)[0]);
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                ctx.Response.ContentType = value;
            else
                ctx.Response.Headers.Append(name, value);
        }
        ctx.Response.StatusCode = status;
        try
        {
            if (rest.Length > 0) await ctx.Response.Body.WriteAsync(rest, ctx.RequestAborted);
            await stdout.CopyToAsync(ctx.Response.Body, ctx.RequestAborted);
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            await stdin;
            if (!process.WaitForExit(10_000)) process.Kill(entireProcessTree: true);
            await stderr;
        }
    }

    /// <summary>Reads CGI header lines up to the blank line; returns them and the body bytes already read.</summary>
    private static async Task<(List<(string Name, string Value)> Headers, byte[] Body)> ReadCgiHeadersAsync(Stream stdout)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            var data = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            var (end, sepLength) = FindHeaderEnd(data);
            if (end >= 0)
            {
                var headerText = Encoding.ASCII.GetString(data[..end]);
                var rest = data[(end + sepLength)..].ToArray();
                var headers = new List<(string, string)>();
                foreach (var line in headerText.Split('\n'))
                {
                    var l = line.TrimEnd('\r');
                    var colon = l.IndexOf(':');
                    if (colon > 0) headers.Add((l[..colon].Trim(), l[(colon + 1)..].Trim()));
                }
                return (headers, rest);
            }
            var n = await stdout.ReadAsync(chunk);
            if (n == 0) return (new List<(string, string)> { ("Status", "502 Bad Gateway") }, []);
            buffer.Write(chunk, 0, n);
        }
    }

    private static (int End, int SeparatorLength) FindHeaderEnd(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'\n') continue;
            if (i + 1 < data.Length && data[i + 1] == (byte)'\n') return (i, 2);
            if (i + 2 < data.Length && data[i + 1] == (byte)'\r' && data[i + 2] == (byte)'\n') return (i, 3);
        }
        return (-1, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
