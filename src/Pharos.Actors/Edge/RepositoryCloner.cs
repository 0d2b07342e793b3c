using System.Diagnostics;
using LibGit2Sharp;
using LibGit2Sharp.Handlers;

namespace Pharos.Actors.Edge;

/// <summary>What to clone and where. <paramref name="HttpsToken"/> is used for https only and is never logged.</summary>
public sealed record CloneRequest(string RepoUrl, string TargetDirectory, long MaxBytes, TimeSpan Timeout, string? HttpsToken)
{
    /// <summary>Whether <see cref="HttpsToken"/> may be sent at all for this clone; false: anonymous.</summary>
    public bool UseCredentials { get; init; } = true;

    // Keep the token out of ToString() (records print every property by default).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"RepoUrl = {RepositoryCloner.Redact(RepoUrl, null)}, TargetDirectory = {TargetDirectory}, ");
        builder.Append($"MaxBytes = {MaxBytes}, Timeout = {Timeout}, HttpsToken = {(HttpsToken is null ? "null" : "***")}");
        return true;
    }
}

/// <summary>Transfer progress; <paramref name="TotalObjects"/> is 0 while unknown.</summary>
public sealed record CloneProgress(long ReceivedBytes, int ReceivedObjects, int TotalObjects);

public sealed record CloneResult(string CommitSha, long ReceivedBytes, bool Shallow, TimeSpan Elapsed);

/// <summary>A clone that failed. <see cref="Transient"/> says whether trying again later may succeed.</summary>
public sealed class CloneFailedException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}

/// <summary>
/// Clones a repository with LibGit2Sharp: shallow (depth 1) over http(s), full for local paths, file:// and git://
/// (libgit2's local transport and git:// refuse a depth). Cancellation, the size limit and the timeout are enforced
/// from the transfer progress callback, so they take effect while objects are arriving.
/// </summary>
public static class RepositoryCloner
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);
    private const string TokenUserName = "x-access-token";

    /// <summary>How long a stalled clone gets, once cancelled or timed out, before it is left behind.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(2);

    private enum Abort { None, Cancelled, TooLarge, TimedOut, CallbackFailed }

    /// <summary>The caller's progress callback threw; its exception is rethrown as is.</summary>
    private sealed class ProgressCallbackException(Exception inner) : Exception(inner.Message, inner);

    /// <summary>The clone thread was left running; it deletes the target itself when it ends.</summary>
    private sealed class AbandonedException(Exception toThrow) : Exception(toThrow.Message)
    {
        public Exception ToThrow { get; } = toThrow;
    }

    /// <summary>
    /// Clones <see cref="CloneRequest.RepoUrl"/> into <see cref="CloneRequest.TargetDirectory"/> and returns HEAD's
    /// commit. Blocks the calling thread; libgit2 runs on a thread of its own, and <paramref name="progress"/> is
    /// called from that thread (at most every 100 ms, plus the final figures). Throws
    /// <see cref="OperationCanceledException"/> when <paramref name="ct"/> is cancelled and
    /// <see cref="CloneFailedException"/> for every other failure; the target is deleted in both cases (when
    /// libgit2 had to be left behind on a stalled connection, as soon as it lets go). An exception thrown by
    /// <paramref name="progress"/> aborts the clone and is rethrown as is. <see cref="CloneRequest.MaxBytes"/> of 0
    /// or less means no limit; <see cref="CloneRequest.Timeout"/> may be <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    public static CloneResult Clone(CloneRequest request, Action<CloneProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.RepoUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.TargetDirectory);
        if (request.Timeout <= TimeSpan.Zero && request.Timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(request), "Timeout must be positive or infinite");
        ct.ThrowIfCancellationRequested();

        var target = Path.GetFullPath(request.TargetDirectory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new CloneFailedException($"target directory '{target}' exists and is not empty", transient: false);
        if (File.Exists(target))
            throw new CloneFailedException($"target '{target}' is a file", transient: false);

        if (LocalPath(request.RepoUrl) is { } local && !Directory.Exists(local))
            throw new CloneFailedException($"repository {local} was not found", transient: false);

        var https = IsHttp(request.RepoUrl, out var secure);
        // Real time on purpose, not the worker's TimeProvider: the timeout guards network I/O on libgit2's own
        // threads, together with CancelAfter and the abandon grace's WaitOne below, which only know real time.
        var elapsed = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(target);
            CloneResult result;
            try
            {
                result = CloneOnce(request, target, shallow: https, secure, progress, elapsed, ct);
            }
            catch (LibGit2SharpException e) when (https && IsShallowNotSupported(e))
            {
                // A server that cannot do a shallow fetch (a dumb HTTP server, for one): one full attempt.
                DeleteDirectory(target);
                Directory.CreateDirectory(target);
                result = CloneOnce(request, target, shallow: false, secure, progress, elapsed, ct);
            }
            return result;
        }
        catch (AbandonedException e)
        {
            throw e.ToThrow;
        }
        catch (Exception e)
        {
            TryDeleteDirectory(target);
            if (e is ProgressCallbackException callback)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(callback.InnerException!);
            if (e is OperationCanceledException or CloneFailedException) throw;
            if (e is LibGit2SharpException lg) throw Classify(lg, request);
            throw new CloneFailedException($"clone of {Redact(request.RepoUrl, request.HttpsToken)} failed: " +
                                           Redact(e.Message, request.HttpsToken), transient: e is IOException);
        }
    }

    private static CloneResult CloneOnce(CloneRequest request, string target, bool shallow, bool secure,
        Action<CloneProgress>? progress, Stopwatch elapsed, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource();
        if (request.Timeout != Timeout.InfiniteTimeSpan)
        {
            var remaining = request.Timeout - elapsed.Elapsed;
            if (remaining <= TimeSpan.Zero) throw TimedOut(request);
            if (remaining.TotalMilliseconds < int.MaxValue) timeout.CancelAfter(remaining);
        }

        var abort = Abort.None;
        TransferProgress? last = null;
        var lastReported = -1L;
        var throttle = Stopwatch.StartNew();
        var lastCallback = TimeSpan.MinValue;

        bool Continue()
        {
            if (abort != Abort.None) return false;
            if (ct.IsCancellationRequested) abort = Abort.Cancelled;
            else if (timeout.IsCancellationRequested) abort = Abort.TimedOut;
            return abort == Abort.None;
        }

        Exception? callbackError = null;

        void Report(TransferProgress p)
        {
            if (progress is null) return;
            lastReported = p.ReceivedBytes + ((long)p.ReceivedObjects << 40);
            try
            {
                progress(new CloneProgress(p.ReceivedBytes, p.ReceivedObjects, p.TotalObjects));
            }
            catch (Exception e)
            {
                callbackError = e;
                abort = Abort.CallbackFailed;
            }
        }

        var fetch = new FetchOptions
        {
            OnTransferProgress = p =>
            {
                last = p;
                if (p.ReceivedBytes > request.MaxBytes && request.MaxBytes > 0) { abort = Abort.TooLarge; return false; }
                if (!Continue()) return false;
                var now = throttle.Elapsed;
                var final = p.TotalObjects > 0 && p.ReceivedObjects == p.TotalObjects;
                if (final || lastCallback == TimeSpan.MinValue || now - lastCallback >= ProgressInterval)
                {
                    lastCallback = now;
                    Report(p);
                }
                return Continue();
            },
            OnProgress = _ => Continue(),
            OnUpdateTips = (_, _, _) => Continue(),
            RepositoryOperationStarting = _ => Continue(),
        };
        if (shallow) fetch.Depth = 1;
        if (secure && request.UseCredentials && !string.IsNullOrEmpty(request.HttpsToken))
        {
            var token = request.HttpsToken;
            fetch.CredentialsProvider = (_, _, _) =>
                new UsernamePasswordCredentials { Username = TokenUserName, Password = token };
        }

        var options = new CloneOptions(fetch) { Checkout = true };
        // libgit2 runs on its own thread so that a server that stalls without sending anything (no callback to
        // say no from) cannot hold the caller past its timeout or cancellation.
        var clone = Task.Factory.StartNew(() => Repository.Clone(request.RepoUrl, target, options),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token))
        {
            try
            {
                clone.Wait(linked.Token);
            }
            catch (AggregateException)
            {
                // Failed: rethrown unwrapped below.
            }
            catch (OperationCanceledException)
            {
                // The next callback returns false; give libgit2 a moment to get there before leaving it behind.
                if (!((IAsyncResult)clone).AsyncWaitHandle.WaitOne(AbandonGrace))
                {
                    Continue();
                    var reason = abort == Abort.None ? (ct.IsCancellationRequested ? Abort.Cancelled : Abort.TimedOut) : abort;
                    abort = reason;
                    // Delete the target once libgit2 lets go of it, not while it is still writing.
                    _ = clone.ContinueWith(_ => TryDeleteDirectory(target), CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    throw new AbandonedException(AbortException(reason, request, ct));
                }
            }
        }
        try
        {
            clone.GetAwaiter().GetResult();
        }
        catch (Exception) when (abort != Abort.None)
        {
            throw AbortException(abort, request, ct, callbackError);
        }

        // Checkout cannot be interrupted from a callback: honour a cancellation that arrived meanwhile.
        if (!Continue()) throw AbortException(abort, request, ct);

        if (last is { } final && progress is not null &&
            lastReported != final.ReceivedBytes + ((long)final.ReceivedObjects << 40))
        {
            Report(final);
            if (abort != Abort.None) throw AbortException(abort, request, ct, callbackError);
        }

        using var repo = new Repository(target);
        var tip = repo.Head.Tip ?? throw new CloneFailedException(
            $"{Redact(request.RepoUrl, request.HttpsToken)} has no commits", transient: false);
        return new CloneResult(tip.Sha, last?.ReceivedBytes ?? 0, repo.Info.IsShallow, elapsed.Elapsed);
    }

    private static Exception AbortException(Abort abort, CloneRequest request, CancellationToken ct,
        Exception? callbackError = null) => abort switch
        {
            Abort.CallbackFailed => new ProgressCallbackException(callbackError!),
            Abort.Cancelled => new OperationCanceledException("clone cancelled", ct),
            Abort.TooLarge => new CloneFailedException(
                $"repository is larger than {request.MaxBytes / (1024.0 * 1024.0):0.##} MB", transient: false),
            _ => TimedOut(request),
        };

    private static CloneFailedException TimedOut(CloneRequest request) =>
        new($"clone timed out after {request.Timeout.TotalSeconds:0.#} s", transient: true);

    /// <summary>The directory a local path or file:// URL names; null for remote URLs.</summary>
    private static string? LocalPath(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !uri.IsFile) return null;
        if (uri is { IsFile: true }) return uri.LocalPath;
        return url.Contains("://", StringComparison.Ordinal) || url.Contains('@') ? null : Path.GetFullPath(url);
    }

    /// <summary>
    /// True for http(s). <paramref name="secure"/> says whether a token may be sent: https, or plain http to a
    /// loopback address (which never leaves the machine; the tests' smart HTTP server is such a one).
    /// </summary>
    private static bool IsHttp(string url, out bool secure)
    {
        secure = false;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return false;
        var http = uri.Scheme == Uri.UriSchemeHttp;
        secure = uri.Scheme == Uri.UriSchemeHttps || (http && uri.IsLoopback);
        return secure || http;
    }

    private static bool IsShallowNotSupported(LibGit2SharpException e) =>
        e.Message.Contains("not supported", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("shallow", StringComparison.OrdinalIgnoreCase);

    private static CloneFailedException Classify(LibGit2SharpException e, CloneRequest request)
    {
        var url = Redact(request.RepoUrl, request.HttpsToken);
        var detail = Redact(e.Message, request.HttpsToken);
        var m = e.Message.ToLowerInvariant();

        var status = System.Text.RegularExpressions.Regex.Match(m, @"status code:?\s*(\d{3})");
        if (status.Success)
        {
            var code = int.Parse(status.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (code is 404 or 410)
                return new CloneFailedException($"repository {url} was not found: {detail}", transient: false, e);
            if (code is 401 or 403 or 407)
                return new CloneFailedException($"access to {url} was denied (authentication failed): {detail}",
                    transient: false, e);
            if (code is >= 400 and < 500 and not 408 and not 429)
                return new CloneFailedException($"clone of {url} was refused: {detail}", transient: false, e);
            return new CloneFailedException($"clone of {url} failed: {detail}", transient: true, e);
        }

        if (e is RepositoryNotFoundException || m.Contains("not found") ||
            m.Contains("does not appear to be a git repository") || m.Contains("could not find repository") ||
            m.Contains("failed to resolve path") || m.Contains("not a git repository") ||
            m.Contains("does not exist") || m.Contains("no such file") || m.Contains("not exported"))
            return new CloneFailedException($"repository {url} was not found: {detail}", transient: false, e);

        if (m.Contains("unsupported url protocol") || m.Contains("malformed url") || m.Contains("invalid url"))
            return new CloneFailedException($"{url} is not a URL that can be cloned: {detail}", transient: false, e);

        if (m.Contains("authentication") || m.Contains("credentials") ||
            m.Contains("unauthorized") || m.Contains("forbidden") || m.Contains("too many redirects"))
            return new CloneFailedException($"access to {url} was denied (authentication failed): {detail}",
                transient: false, e);

        // Everything else is a network or server trouble: connection refused, host unreachable, reset, 5xx, EOF.
        return new CloneFailedException($"clone of {url} failed: {detail}", transient: true, e);
    }

    /// <summary>Removes user information from URLs and the token from any text.</summary>
    internal static string Redact(string text, string? token)
    {
        if (!string.IsNullOrEmpty(token)) text = text.Replace(token, "***", StringComparison.Ordinal);
        return System.Text.RegularExpressions.Regex.Replace(text, @"(?<=://)[^/@\s]+@", "***@");
    }

    private static void TryDeleteDirectory(string path) => WorkDirectories.TryDelete(path);

    private static void DeleteDirectory(string path) => WorkDirectories.Delete(path);
}
