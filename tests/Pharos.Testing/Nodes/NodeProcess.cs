using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Pharos.Testing.Nodes;

/// <summary>
/// Where the node binaries of this build are: src/&lt;project&gt;/bin/&lt;configuration&gt;/net10.0 (tests/ for the
/// test-only programs).
/// </summary>
public static class NodeBinaries
{
    private static string Metadata(string key) =>
        typeof(NodeBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing.");

    /// <summary>The configuration these tests were built in (test.sh: Release); the nodes were built in it too.</summary>
    public static string Configuration => Metadata("PharosConfiguration");

    public static string RepositoryRoot => Metadata("PharosRepositoryRoot");

    /// <param name="assembly">The assembly's name where it is not the project's (the CLI's is `pharos`).</param>
    public static string Dll(string project, string? assembly = null)
    {
        // The nodes and the CLI live in src/, programs only the tests run (a rogue member) in tests/.
        var folder = Directory.Exists(Path.Combine(RepositoryRoot, "src", project)) ? "src" : "tests";
        var path = Path.Combine(RepositoryRoot, folder, project, "bin", Configuration, "net10.0", (assembly ?? project) + ".dll");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: build the solution in {Configuration} first.", path);
        return path;
    }

    /// <summary>The dotnet host that runs the tests (the CLI tells child processes where it is).</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}

/// <summary>
/// The last lines a process wrote (stdout and stderr interleaved, each line prefixed), bounded in characters so
/// that a chatty node cannot grow the test host without limit. Every line has a sequence number, so a test can ask
/// for what was written since a mark.
/// </summary>
public sealed class BoundedLog(int maxChars = 2_000_000)
{
    private readonly object _gate = new();
    private readonly Queue<(long Seq, string Line)> _lines = new();
    private long _next;
    private long _chars;
    private long _dropped;

    public void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue((_next++, line));
            _chars += line.Length;
            while (_chars > maxChars && _lines.Count > 1)
            {
                var (_, dropped) = _lines.Dequeue();
                _chars -= dropped.Length;
                _dropped++;
            }
        }
    }

    /// <summary>The sequence number the next line will get.</summary>
    public long Mark { get { lock (_gate) return _next; } }

    public IReadOnlyList<string> LinesSince(long mark = 0)
    {
        lock (_gate) return _lines.Where(l => l.Seq >= mark).Select(l => l.Line).ToList();
    }

    public bool Contains(string text, long mark = 0) =>
        LinesSince(mark).Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>At most <paramref name="maxLines"/> of the lines since the mark, the newest ones.</summary>
    public string Tail(int maxLines, long mark = 0)
    {
        var lines = LinesSince(mark);
        var skipped = Math.Max(0, lines.Count - maxLines);
        long dropped;
        lock (_gate) dropped = _dropped;
        var header = skipped > 0 || dropped > 0 ? $"    ... ({skipped + (mark == 0 ? dropped : 0)} earlier lines not shown)\n" : "";
        return header + string.Join('\n', lines.Skip(skipped).Select(l => "    " + l));
    }
}

/// <summary>
/// One node as a separate OS process: <c>dotnet &lt;node&gt;.dll</c> with its own environment (PHAROS_* and the
/// queue settings of the test host's environment are removed, so only what the test says applies). Output goes to a
/// <see cref="BoundedLog"/>. Kill is SIGKILL; Suspend/Resume are SIGSTOP/SIGCONT. Dispose kills what is left and
/// deletes the directories the process owns. A watchdog shell kills the node if the test host dies first, and a
/// process-exit hook kills whatever a test forgot, so no node outlives the test run.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<NodeProcess, byte> Live = new();

    static NodeProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var node in Live.Keys) node.KillQuietly();
        };
    }

    private readonly Process _process;
    private readonly Process? _watchdog;
    private readonly IReadOnlyList<string> _ownedDirectories;
    private int _disposed;

    public string Name { get; }
    public BoundedLog Log { get; }
    public int Pid { get; }
    public bool Suspended { get; private set; }

    private NodeProcess(string name, Process process, BoundedLog log, Process? watchdog, IReadOnlyList<string> ownedDirectories)
    {
        Name = name;
        Log = log;
        _process = process;
        Pid = process.Id;
        _watchdog = watchdog;
        _ownedDirectories = ownedDirectories;
    }

    /// <summary>Environment variables the node would otherwise inherit from the test host and read as settings.</summary>
    private static bool IsNodeSetting(string name) =>
        name.StartsWith("PHAROS_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Pharos__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
        || name is "MAX_QUEUE_SIZE" or "TASK_TTL_SECONDS" or "DOTNET_ENVIRONMENT";

    /// <param name="environment">Variables for the node; a null value leaves the variable unset.</param>
    /// <param name="ownedDirectories">Deleted when the process is disposed.</param>
    /// <param name="executable">A published node's own executable, run instead of the project's build output.</param>
    public static NodeProcess Start(string name, string project, IReadOnlyDictionary<string, string?> environment,
        IEnumerable<string> arguments, string workingDirectory, IReadOnlyList<string> ownedDirectories, string? executable = null)
    {
        var psi = new ProcessStartInfo(executable ?? NodeBinaries.DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };
        if (executable is null) psi.ArgumentList.Add(NodeBinaries.Dll(project));
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(IsNodeSetting).ToList()) psi.Environment.Remove(key);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // The thread pool's workers spin before they sleep, and a node's steady trickle of small work (heartbeats,
        // gossip, timers) keeps them spinning: an idle cloud or edge node takes about 8 % of a core, 4 % without the
        // spin. A test holds several idle nodes at a time, three tests run at once, and on two cores that spinning was
        // half of what the end-to-end tests used. How soon an idle worker wakes, nothing else: what a node does is the same.
        psi.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        // One line per log entry, with a time: easier to read in a failure report than the two-line default.
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        psi.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        psi.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        foreach (var (key, value) in environment)
        {
            if (value is null) psi.Environment.Remove(key);
            else psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var log = new BoundedLog();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Add("out| " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Add("err| " + e.Data); };
        if (!process.Start()) throw new InvalidOperationException($"{name} did not start.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var watchdog = StartWatchdog(process.Id);
        var node = new NodeProcess(name, process, log, watchdog, ownedDirectories);
        Live[node] = 0;
        return node;
    }

    /// <summary>Kills the node with SIGKILL if the test host disappears (crash, kill -9) before disposing it.</summary>
    private static Process? StartWatchdog(int childPid)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("while kill -0 \"$1\" 2>/dev/null; do if ! kill -0 \"$2\" 2>/dev/null; then kill -9 \"$1\"; exit 0; fi; sleep 0.5; done");
        psi.ArgumentList.Add("pharos-e2e-watchdog");
        psi.ArgumentList.Add(childPid.ToString());
        psi.ArgumentList.Add(Environment.ProcessId.ToString());
        try { return Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    public bool HasExited
    {
        get { try { return _process.HasExited; } catch (InvalidOperationException) { return true; } }
    }

    public int? ExitCode => HasExited ? _process.ExitCode : null;

    /// <summary>"exited with code N", and whether a SIGTERM from outside the test (a broad pkill) stopped it.</summary>
    public string ExitDescription =>
        $"exited with code {ExitCode}" + (Log.Contains("CLR termination hook") ? " after a SIGTERM that the test did not send" : "");

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(new CancellationTokenSource(timeout).Token);

    /// <summary>kill -9: the process gets no chance to leave the cluster or clean up.</summary>
    public async Task KillAsync()
    {
        if (!HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        Suspended = false;
    }

    /// <summary>kill -STOP: the process is frozen (no heartbeats, no work) until <see cref="ResumeAsync"/>.</summary>
    public async Task SuspendAsync()
    {
        await SignalAsync("STOP");
        Suspended = true;
    }

    /// <summary>kill -CONT.</summary>
    public async Task ResumeAsync()
    {
        await SignalAsync("CONT");
        Suspended = false;
    }

    private async Task SignalAsync(string signal)
    {
        if (HasExited) throw new InvalidOperationException($"{Name} has exited (code {ExitCode}); cannot send SIG{signal}.");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"kill -{signal} {Pid}");
        using var kill = Process.Start(psi) ?? throw new InvalidOperationException("kill did not start");
        var stderr = await kill.StandardError.ReadToEndAsync();
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {Pid} failed: {stderr}");
        Log.Add($"---| test sent SIG{signal}");
    }

    /// <summary>The node's state and its last lines, for failure messages and the test output.</summary>
    public string Describe(int maxLines = 80, long mark = 0)
    {
        var state = HasExited ? ExitDescription : Suspended ? "suspended (SIGSTOP)" : "running";
        return $"== {Name} (pid {Pid}, {state}) ==\n{Log.Tail(maxLines, mark)}";
    }

    private void KillQuietly()
    {
        try { if (!HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
        try { if (_watchdog is { HasExited: false }) _watchdog.Kill(); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        KillQuietly();
        try { await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token); }
        catch (OperationCanceledException) { }
        if (_watchdog is not null)
        {
            try { await _watchdog.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token); }
            catch (OperationCanceledException) { }
            _watchdog.Dispose();
        }
        _process.Dispose();
        Live.TryRemove(this, out _);
        foreach (var dir in _ownedDirectories) TempDirectories.Delete(dir);
    }
}

public static class TempDirectories
{
    public static string Create(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>
    /// Deletes a node's directory with the edge's own mechanism, which retries (with back-off) while a process that
    /// was just killed still holds files in it; waits a few seconds at most.
    /// </summary>
    public static void Delete(string dir) => Pharos.Actors.Edge.WorkDirectories.DeleteAsync(dir).Wait(TimeSpan.FromSeconds(5));
}
