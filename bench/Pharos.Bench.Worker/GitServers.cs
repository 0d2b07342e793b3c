using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Pharos.Bench.Worker;

// The same servers as tests/Pharos.Actors.Tests/Support/GitServers.cs (the test copy reaches an internal helper of
// Pharos.Actors, so it cannot be linked here): git daemon for git://, and git http-backend as a CGI behind Kestrel for
// smart HTTP. Trimmed to what the benchmarks need (no tokens, no fault injection).

/// <summary>Runs git and other commands; throws with their output when they fail.</summary>
public static class Run
{
    public static string Git(string workingDirectory, params string[] args) =>
        Command("git", workingDirectory, ["-c", "user.name=Pharos Bench", "-c", "user.email=bench@pharos.invalid",
            "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", .. args]);

    public static string Command(string file, string workingDirectory, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new BenchException($"{file} did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new BenchException($"{file} {string.Join(' ', psi.ArgumentList)} failed ({p.ExitCode}): {stderr.Result}{stdout}");
        return stdout.Trim();
    }

    /// <summary>Seconds from just before the process is started to its exit; throws when it fails.</summary>
    public static (double Seconds, string Stdout) Timed(string file, string workingDirectory, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var start = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi) ?? throw new BenchException($"{file} did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        p.WaitForExit();
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (p.ExitCode != 0)
            throw new BenchException($"{file} {string.Join(' ', psi.ArgumentList)} failed ({p.ExitCode}): {stderr.Result}");
        return (seconds, stdout.Result);
    }

    public static int FreeTcpPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try { return ((IPEndPoint)l.LocalEndpoint).Port; }
        finally { l.Stop(); }
    }

    public static async Task WaitForPortAsync(int port, TimeSpan timeout, Func<bool> stillRunning)
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
            catch (SocketException) when (sw.Elapsed < timeout && stillRunning())
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Deletes a directory tree, clearing read-only attributes first (git writes pack files read-only).</summary>
    public static void DeleteTree(string path)
    {
        if (!Directory.Exists(path)) return;
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is null && (entry.Attributes & FileAttributes.ReadOnly) != 0)
                entry.Attributes &= ~FileAttributes.ReadOnly;
        }
        Directory.Delete(path, recursive: true);
    }
}

/// <summary>A real <c>git daemon</c> on 127.0.0.1 serving every repository under a base path (git://).</summary>
public sealed class GitDaemon : IDisposable
{
    private readonly Process _process;

    private GitDaemon(Process process, int port) { _process = process; Port = port; }

    public int Port { get; }

    public string UrlFor(string repositoryName) => $"git://127.0.0.1:{Port}/{repositoryName}";

    public static async Task<GitDaemon> StartAsync(string basePath)
    {
        var port = Run.FreeTcpPort();
        var psi = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "daemon", "--reuseaddr", "--listen=127.0.0.1", $"--port={port}",
                     $"--base-path={basePath}", "--export-all", basePath })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new BenchException("git daemon did not start");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var daemon = new GitDaemon(p, port);
        try
        {
            await Run.WaitForPortAsync(port, TimeSpan.FromSeconds(20), () => !p.HasExited);
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
            if (!_process.HasExited) { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>
/// Kestrel on 127.0.0.1 serving git's smart HTTP protocol by running <c>git http-backend</c> as a CGI, one process
/// per request, as tests/Pharos.Actors.Tests/Support/GitServers.cs does.
/// </summary>
public sealed class SmartHttpGitServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SmartHttpGitServer(WebApplication app, Uri baseAddress) { _app = app; BaseAddress = baseAddress; }

    public Uri BaseAddress { get; }

    public string UrlFor(string repositoryName) => new Uri(BaseAddress, repositoryName).ToString();

    public static async Task<SmartHttpGitServer> StartAsync(string projectRoot, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(ctx => HandleAsync(ctx, projectRoot));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SmartHttpGitServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    private static async Task HandleAsync(HttpContext ctx, string projectRoot)
    {
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
        if (ctx.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding) env["HTTP_CONTENT_ENCODING"] = encoding;
        if (ctx.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol) env["GIT_PROTOCOL"] = protocol;

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
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase)) status = int.Parse(value.Split(' ', 2)[0]);
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) ctx.Response.ContentType = value;
            else ctx.Response.Headers.Append(name, value);
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
            if (n == 0) return ([("Status", "502 Bad Gateway")], []);
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
}

/// <summary>Medians and percentiles of small samples (nearest rank), and the Markdown helpers.</summary>
public static class Stats
{
    public static double Median(IReadOnlyCollection<double> values) => Percentile(values, 50);

    public static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        if (p >= 100) return sorted[^1];
        if (p == 50 && sorted.Length % 2 == 0) return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string F(double value, string format = "0.000") =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    public static string Met(bool met) => met ? "yes" : "**no**";

    public static void Write(string report, string? outFile, string tag)
    {
        Console.Out.Write(report);
        if (outFile is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        File.WriteAllText(outFile, report);
        Console.Error.WriteLine($"[{tag}] wrote {outFile}");
    }

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    public static string Machine() =>
        $"{Environment.ProcessorCount} cores ({Cpu()}), .NET {Environment.Version}, git {GitVersion()}";

    private static string Cpu()
    {
        try { return File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name")).Split(':', 2)[1].Trim(); }
        catch (Exception) { return "unknown CPU"; }
    }

    private static string GitVersion()
    {
        try { return Run.Command("git", ".", ["--version"]).Replace("git version ", ""); }
        catch (BenchException) { return "?"; }
    }
}
