using System.Diagnostics;
using System.Globalization;
using System.Text;
using Pharos.Actors.Edge.Git;
using Pharos.Api.Contracts;

namespace Pharos.Actors.Edge.Jobs;

/// <summary>
/// Runs one stage of a task in a child process (<see cref="JobHost"/>) and watches it: the order goes in on its
/// standard input, progress and the result come back as <see cref="JobLine"/>s on its standard output. The process
/// is killed when <paramref name="ct"/> is cancelled (the worker stopped the step or stopped itself), when it outlives
/// its timeout, and when its resident memory passes its limit. Whatever the process does (crash, overflow its stack,
/// exhaust its heap, hang), the caller gets a <see cref="JobLine"/>: its own last line, or an error that says what
/// happened. The process inherits no secret: its environment is rebuilt from a short list.
/// </summary>
public static class JobProcess
{
    /// <summary>How often the watchdog reads the process's resident memory.</summary>
    private static readonly TimeSpan MemoryPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>How much of its standard error a crashed process's error quotes, at most.</summary>
    private const int ErrorChars = 4096;

    /// <summary>What the process keeps of this process's environment: what the runtime and TLS need, never secrets.</summary>
    private static readonly string[] InheritedEnvironment =
        ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "DOTNET_ROOT", "SSL_CERT_FILE", "SSL_CERT_DIR"];

    private enum Ending { None, Exited, Cancelled, TimedOut, OverMemory, BadOutput }

    /// <summary>
    /// Runs <paramref name="order"/> in a job process of <paramref name="kind"/>: with <paramref name="takeSpare"/>, a
    /// spare waiting for it (<see cref="JobSpares"/>) when there is one; else one started now.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the process is killed.</exception>
    public static async Task<JobLine> RunAsync(JobRunner? runner, JobKind kind, string order, JobLimits limits,
        Action<JobLine> progress, CancellationToken ct, bool takeSpare = false)
    {
        if (runner is null)
            return Failed(JobReason.AnalysisCrashed, "this process cannot start job processes: no Pharos node executable was found");
        ct.ThrowIfCancellationRequested();

        var job = takeSpare ? JobSpares.Take(runner, kind, limits) : null;
        if (job is null)
        {
            try
            {
                job = StartedJob.Start(runner, kind, limits, spare: false);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return Failed(JobReason.AnalysisCrashed, $"the {kind.Name()} process could not start: {e.Message}");
            }
        }
        return await job.RunAsync(order, limits.Timeout, progress, ct).ConfigureAwait(false);
    }

    /// <summary>A job process that has started and waits for its order: one order, then it ends.</summary>
    internal sealed class StartedJob
    {
        /// <summary>How long a process that wrote its last line, or a spare told to go, has to exit before it is killed.</summary>
        private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(5);

        private readonly Process _process;
        private readonly JobKind _kind;
        private readonly JobLimits _limits;
        /// <summary>Read from the start, so that the pipe never fills and stops the process.</summary>
        private readonly Task<string> _errors;

        private StartedJob(Process process, JobKind kind, JobLimits limits)
        {
            (_process, _kind, _limits) = (process, kind, limits);
            _errors = ReadErrorsAsync(process.StandardError);
        }

        /// <summary>Starts the process; a <paramref name="spare"/> warms up while it waits (<see cref="JobWarmUp"/>).</summary>
        public static StartedJob Start(JobRunner runner, JobKind kind, JobLimits limits, bool spare)
        {
            var process = new Process { StartInfo = StartInfo(runner, kind, limits, spare) };
            try
            {
                process.Start();
            }
            catch
            {
                process.Dispose();
                throw;
            }
            return new StartedJob(process, kind, limits);
        }

        public bool HasExited
        {
            get
            {
                try
                {
                    return _process.HasExited;
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        /// <summary>A spare nobody took: the end of its standard input ends it.</summary>
        public void Retire()
        {
            CloseInput();
            _ = ReapAsync();
        }

        public async Task<JobLine> RunAsync(string order, TimeSpan timeout, Action<JobLine> progress, CancellationToken ct)
        {
            // The first reason to stop the process wins; it decides what the caller is told.
            var ending = (int)Ending.None;
            void End(Ending why)
            {
                if (Interlocked.CompareExchange(ref ending, (int)why, (int)Ending.None) == (int)Ending.None) Kill(_process);
            }

            await using var cancelled = ct.Register(() => End(Ending.Cancelled));
            using var deadline = new CancellationTokenSource(timeout);
            await using var timedOut = deadline.Token.Register(() => End(Ending.TimedOut));
            using var finished = new CancellationTokenSource();

            var watchdog = WatchMemoryAsync(_process, _limits.MemoryBytes, () => End(Ending.OverMemory), finished.Token);
            JobLine? last = null;
            try
            {
                await _process.StandardInput.WriteLineAsync(order.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                // Standard input stays open: the process takes its closing as the worker's end.
            }
            catch (IOException)
            {
                // The process died before it read its order: its exit says why.
            }
            try
            {
                await foreach (var line in ReadLinesAsync(_process.StandardOutput).ConfigureAwait(false))
                {
                    JobLine read;
                    try
                    {
                        read = JobJson.Read<JobLine>(line);
                    }
                    catch (System.Text.Json.JsonException)
                    {
                        End(Ending.BadOutput);
                        break;
                    }
                    if (!read.IsFinal)
                    {
                        progress(read);
                        continue;
                    }
                    last = read;
                    break;
                }
            }
            catch (LineTooLongException)
            {
                End(Ending.BadOutput);
            }

            // The last line ends the stage (its result is whole by then): the process's exit is not waited for.
            if (last is null) await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            // From here on, a deadline or a cancellation has nothing left to stop and changes nothing.
            Interlocked.CompareExchange(ref ending, (int)Ending.Exited, (int)Ending.None);
            await finished.CancelAsync().ConfigureAwait(false);
            await watchdog.ConfigureAwait(false);
            var exitCode = 0;
            var stderr = "";
            if (last is null)
            {
                exitCode = _process.ExitCode;
                stderr = await _errors.ConfigureAwait(false);
                CloseInput();
                _process.Dispose();
            }
            else
            {
                Retire();
            }

            return (Ending)ending switch
            {
                Ending.Cancelled => throw new OperationCanceledException($"the {_kind.Name()} process was stopped", ct),
                Ending.TimedOut => Failed(JobReason.Timeout, $"the {Stage(_kind)} took longer than {timeout.TotalSeconds:0.#} s " +
                                                             $"({TimeoutSetting(_kind)}) and was stopped"),
                Ending.OverMemory => Failed(JobReason.MemoryLimit, $"the {Stage(_kind)} used more than {Megabytes(_limits.MemoryBytes)} MB " +
                                                                   "of memory (PHAROS_JOB_MEMORY_MB) and was stopped"),
                Ending.BadOutput => Failed(JobReason.AnalysisCrashed, $"the {_kind.Name()} process wrote something that is not a job line"),
                _ when last is { Error: { } error } => last with { Error = error with { Message = CloneErrors.Sanitize(error.Message, null) } },
                _ when last is not null => last,
                _ => Failed(JobReason.AnalysisCrashed, Crashed(_kind, exitCode, stderr)),
            };
        }

        private void CloseInput()
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                // It has exited, and its end of the pipe with it.
            }
        }

        /// <summary>Waits for the process to exit, kills it past <see cref="ExitGrace"/>, and frees it.</summary>
        private async Task ReapAsync()
        {
            try
            {
                using var grace = new CancellationTokenSource(ExitGrace);
                try
                {
                    await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Kill(_process);
                    await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
                await _errors.ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // Gone already.
            }
            finally
            {
                _process.Dispose();
            }
        }
    }

    private static ProcessStartInfo StartInfo(JobRunner runner, JobKind kind, JobLimits limits, bool spare)
    {
        var info = new ProcessStartInfo(runner.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        foreach (var argument in runner.Arguments) info.ArgumentList.Add(argument);
        info.ArgumentList.Add("job");
        info.ArgumentList.Add(kind.Name());
        if (spare) info.ArgumentList.Add(JobHost.SpareFlag);

        // A fresh environment: the process reads hostile content, and needs none of this node's settings or tokens
        // (what it needs comes with its order).
        var inherited = info.Environment.Where(e => InheritedEnvironment.Contains(e.Key) && e.Value is not null).ToList();
        info.Environment.Clear();
        foreach (var (key, value) in inherited) info.Environment[key] = value;
        info.Environment["DOTNET_GCHeapHardLimit"] = "0x" + limits.HeapBytes.ToString("X", CultureInfo.InvariantCulture);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_PROCESSOR_COUNT"] = Math.Max(1, limits.Threads).ToString(CultureInfo.InvariantCulture);
        // A job is one short burst of work. On one processor the runtime waits ten times longer (1 s, restarted by each
        // newly compiled method) before it optimises hot methods: a one-thread job would parse and train in unoptimised
        // code for seconds (bench/jobs: 1.9 s more training for a 500-file repository). Tier up as with more processors.
        info.Environment["DOTNET_TC_DelaySingleProcMultiplier"] = "1";
        // Dynamic PGO first recompiles hot methods with instrumentation, and only 30 calls later optimises them: a spare's
        // warm-up (JobSpares) would hand its order instrumented code, slower than unoptimised (bench/jobs, one thread:
        // parse 249 against 92 ms, the task 19 % over in process against 5 % under). Without it, hot methods go straight
        // to optimised code.
        info.Environment["DOTNET_TieredPGO"] = "0";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return info;
    }

    /// <summary>Reads resident memory until <paramref name="ct"/> is cancelled; calls <paramref name="over"/> once past the limit.</summary>
    private static async Task WatchMemoryAsync(Process process, long limit, Action over, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(MemoryPoll);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                if (process.HasExited) return;
                process.Refresh();
                if (process.WorkingSet64 <= limit) continue;
                over();
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // The process ended or was stopped.
        }
        catch (InvalidOperationException)
        {
            // The process ended between the check and the read.
        }
    }

    /// <summary>The start of standard error (a crash's reason is in its first lines); the rest is drained unread.</summary>
    private static async Task<string> ReadErrorsAsync(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            if (kept.Length < ErrorChars) kept.Append(buffer, 0, Math.Min(read, ErrorChars - kept.Length));
        return kept.ToString();
    }

    private sealed class LineTooLongException : Exception;

    /// <summary>Lines of at most <see cref="JobJson.MaxLineChars"/>: a process that goes wrong cannot make this one hold more.</summary>
    private static async IAsyncEnumerable<string> ReadLinesAsync(StreamReader reader)
    {
        var line = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                line.Append(buffer, start, i - start);
                start = i + 1;
                if (line.Length > 0) yield return line.ToString();
                line.Clear();
            }
            line.Append(buffer, start, read - start);
            if (line.Length > JobJson.MaxLineChars) throw new LineTooLongException();
        }
        if (line.Length > 0) yield return line.ToString();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // It is exiting.
        }
    }

    /// <summary>What a process that died without its last line says: its exit and the start of its standard error.</summary>
    private static string Crashed(JobKind kind, int exitCode, string stderr)
    {
        // On Unix, a process ended by a signal exits with 128 + the signal.
        var how = exitCode switch
        {
            134 => "aborted (SIGABRT)",
            137 => "killed (SIGKILL)",
            139 => "crashed (SIGSEGV)",
            _ => $"crashed (exit code {exitCode})",
        };
        var first = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return first is null ? $"the {kind.Name()} process {how}" : $"the {kind.Name()} process {how}: {first}";
    }

    /// <summary>What the job's status shows: cleaned as a clone's error is (no control characters, no internal address, bounded).</summary>
    private static JobLine Failed(JobReason reason, string message) =>
        new() { Error = new JobError(reason, CloneErrors.Sanitize(message, null)) };

    private static string Stage(JobKind kind) => kind == JobKind.Clone ? "clone" : "analysis";

    private static string TimeoutSetting(JobKind kind) =>
        kind == JobKind.Clone ? "PHAROS_CLONE_TIMEOUT_SECONDS" : "PHAROS_ANALYZE_TIMEOUT_SECONDS";

    private static long Megabytes(long bytes) => bytes / (1024 * 1024);
}
