using System.Diagnostics;
using LibGit2Sharp;
using Pharos.Actors.Edge.Git;

namespace Pharos.Actors.Edge;

/// <summary>
/// What to clone and where, and the rules and limits of that clone: plain data (a job process reads it as JSON).
/// <paramref name="HttpsToken"/> is never logged, and sent only where <see cref="TokenHosts"/> and
/// <see cref="UseCredentials"/> allow.
/// </summary>
public sealed record CloneRequest(string RepoUrl, string TargetDirectory, long MaxBytes, TimeSpan Timeout, string? HttpsToken)
{
    /// <summary>Whether this task may use <see cref="HttpsToken"/> at all (a grant of the token that submitted it); false: anonymous.</summary>
    public bool UseCredentials { get; init; } = true;

    /// <summary>The hosts <see cref="HttpsToken"/> may be sent to, over https: exact names, any case. None unless given.</summary>
    public IReadOnlyList<string> TokenHosts { get; init; } = [];

    /// <summary>Connect to loopback, private and other internal addresses too (local repositories: development, tests).</summary>
    public bool AllowInternalAddresses { get; init; }

    /// <summary>
    /// The branch, tag (short or full name) or full commit SHA to check out, as <see cref="Ingest.GitRefSyntax"/>
    /// allows; null: the remote's default branch.
    /// </summary>
    public string? Ref { get; init; }

    /// <summary>Entries (files, links, directories) the commit's tree may have; 0 or less: no limit.</summary>
    public int MaxFiles { get; init; }

    /// <summary>Bytes the commit's files may hold once checked out; 0 or less: no limit.</summary>
    public long MaxCheckoutBytes { get; init; }

    /// <summary>
    /// Host names answered from here instead of DNS, as curl's <c>--resolve</c> (how tests give a name an address);
    /// the address is checked like any other. No setting sets it.
    /// </summary>
    public IReadOnlyDictionary<string, string>? PinnedAddresses { get; init; }

    // Keep the token out of ToString() (records print every property by default).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"RepoUrl = {CloneErrors.Redact(RepoUrl, null)}, Ref = {Ref ?? "null"}, TargetDirectory = {TargetDirectory}, ");
        builder.Append($"MaxBytes = {MaxBytes}, Timeout = {Timeout}, HttpsToken = {(HttpsToken is null ? "null" : "***")}, ");
        builder.Append($"UseCredentials = {UseCredentials}, TokenHosts = [{string.Join(", ", TokenHosts)}], ");
        builder.Append($"AllowInternalAddresses = {AllowInternalAddresses}, MaxFiles = {MaxFiles}, MaxCheckoutBytes = {MaxCheckoutBytes}");
        return true;
    }
}

/// <summary>Transfer progress; <paramref name="TotalObjects"/> is 0 while unknown.</summary>
public sealed record CloneProgress(long ReceivedBytes, int ReceivedObjects, int TotalObjects);

public sealed record CloneResult(string CommitSha, long ReceivedBytes, bool Shallow, TimeSpan Elapsed);

/// <summary>Why a clone failed, where it matters to what happens next.</summary>
public enum CloneFailureKind
{
    /// <summary>Anything else: not found, access denied, a network or server failure.</summary>
    Failed,
    /// <summary>More received than <see cref="CloneRequest.MaxBytes"/>, or a tree past its files or bytes limit.</summary>
    RepositoryTooLarge,
    /// <summary>Not done within <see cref="CloneRequest.Timeout"/>.</summary>
    TimedOut,
    /// <summary>A rule of the edge's: an internal address, a redirect to another host, a name that does not resolve.</summary>
    Refused,
    /// <summary>The repository has no branch, tag or commit by the name <see cref="CloneRequest.Ref"/>.</summary>
    RefNotFound,
}

/// <summary>
/// A clone that failed. <see cref="Transient"/> says whether trying again later may succeed. The message is fit to
/// show (<see cref="RepositoryCloner.Clone"/> leaves no token, internal address or control character in it).
/// </summary>
public sealed class CloneFailedException(string message, bool transient, Exception? inner = null,
    CloneFailureKind kind = CloneFailureKind.Failed) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
    public CloneFailureKind Kind { get; } = kind;
}

/// <summary>
/// Clones a repository with LibGit2Sharp: shallow (depth 1) over http(s), full for local paths, file:// and git://
/// (libgit2's local transport and git:// refuse a depth); never its submodules. http and https go through
/// <see cref="GuardedHttpTransport"/> (addresses checked where the connection is made, redirects only to the same
/// host, the token only where <see cref="CloneRequest.TokenHosts"/> allows). The fetch does not check out: the
/// commit's tree is measured from the object database first (<see cref="CheckoutCaps"/>), and only a tree within
/// the limits is written. Cancellation, the size limit and the timeout are enforced from the transfer and checkout
/// callbacks, so they take effect while objects arrive and while files are written.
/// </summary>
public static class RepositoryCloner
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

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
    public static CloneResult Clone(CloneRequest request, Action<CloneProgress>? progress, CancellationToken ct) =>
        Clone(request, progress, ct, checkedOut: null);

    /// <param name="checkedOut">Told each path as checkout writes it, on libgit2's thread; must not throw.</param>
    internal static CloneResult Clone(CloneRequest request, Action<CloneProgress>? progress, CancellationToken ct,
        Action<string>? checkedOut)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.RepoUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.TargetDirectory);
        if (request.Timeout <= TimeSpan.Zero && request.Timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(request), "Timeout must be positive or infinite");
        ct.ThrowIfCancellationRequested();
        try
        {
            return CloneChecked(request, progress, checkedOut, ct);
        }
        catch (CloneFailedException e)
        {
            throw CloneErrors.Sanitized(e, request.HttpsToken);
        }
    }

    private static CloneResult CloneChecked(CloneRequest request, Action<CloneProgress>? progress,
        Action<string>? checkedOut, CancellationToken ct)
    {
        var target = Path.GetFullPath(request.TargetDirectory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new CloneFailedException($"target directory '{target}' exists and is not empty", transient: false);
        if (File.Exists(target))
            throw new CloneFailedException($"target '{target}' is a file", transient: false);

        if (MissingLocalRepository(request.RepoUrl) is { } missing) throw new CloneFailedException(missing, transient: false);

        var http = IsHttp(request.RepoUrl);
        if (http) GuardedHttpTransport.EnsureRegistered();
        else if (!request.AllowInternalAddresses && NetworkHost(request.RepoUrl) is { } host)
        {
            // git:// and ssh keep libgit2's own transports, which resolve the name again when they connect: this check
            // refuses a host that resolves to an internal address now, but cannot see a rebinding in between (the
            // cloud accepts only https unless PHAROS_ALLOWED_SCHEMES says otherwise).
            GuardedConnector.ResolveAsync(host, request, ct).GetAwaiter().GetResult();
        }

        // Real time on purpose, not the worker's TimeProvider: the timeout guards network I/O on libgit2's own
        // threads, together with CancelAfter and the abandon grace's WaitOne below, which only know real time.
        var elapsed = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(target);
            CloneResult result;
            try
            {
                result = CloneOnce(request, target, shallow: http, progress, checkedOut, elapsed, ct);
            }
            catch (LibGit2SharpException e) when (http && IsShallowNotSupported(e))
            {
                // A server that cannot do a shallow fetch: one full attempt.
                DeleteDirectory(target);
                Directory.CreateDirectory(target);
                result = CloneOnce(request, target, shallow: false, progress, checkedOut, elapsed, ct);
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
            throw new CloneFailedException($"clone of {CloneErrors.Redact(request.RepoUrl, request.HttpsToken)} failed: " +
                                           CloneErrors.Redact(e.Message, request.HttpsToken), transient: e is IOException);
        }
    }

    private static CloneResult CloneOnce(CloneRequest request, string target, bool shallow,
        Action<CloneProgress>? progress, Action<string>? checkedOut, Stopwatch elapsed, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource();
        if (request.Timeout != Timeout.InfiniteTimeSpan)
        {
            var remaining = request.Timeout - elapsed.Elapsed;
            if (remaining <= TimeSpan.Zero) throw TimedOut(request);
            if (remaining.TotalMilliseconds < int.MaxValue) timeout.CancelAfter(remaining);
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var session = new CloneSession(request, linked.Token);

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

        // Fetch only: the tree is measured before anything is written to the work tree.
        var options = new CloneOptions(fetch) { Checkout = false, RecurseSubmodules = false };
        // libgit2 runs on its own thread so that a server that stalls without sending anything (no callback to
        // say no from) cannot hold the caller past its timeout or cancellation.
        var clone = Task.Factory.StartNew(() =>
            {
                using (session.Enter())
                {
                    if (request.Ref is null) Repository.Clone(request.RepoUrl, target, options);
                    else FetchRef(request, target, options, Continue);
                }
                return CheckOut(request, target, Continue, checkedOut);
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
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
            // The next callback returns false and the transport's requests are cancelled; give libgit2 a moment to
            // get there before leaving it behind.
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

        // A cancellation or timeout that arrived meanwhile wins, whether the clone failed of it or finished anyway.
        Continue();
        (string Sha, bool Shallow)? done;
        try
        {
            done = clone.GetAwaiter().GetResult();
        }
        catch (Exception) when (abort != Abort.None)
        {
            throw AbortException(abort, request, ct, callbackError);
        }
        catch (LibGit2SharpException e) when (session.Failure is { } failure && FromTransport(failure, request, e) is { } failed)
        {
            throw failed;
        }
        if (abort != Abort.None || done is not { } commit) throw AbortException(abort, request, ct, callbackError);

        if (last is { } final && progress is not null &&
            lastReported != final.ReceivedBytes + ((long)final.ReceivedObjects << 40))
        {
            Report(final);
            if (abort != Abort.None) throw AbortException(abort, request, ct, callbackError);
        }

        return new CloneResult(commit.Sha, last?.ReceivedBytes ?? 0, commit.Shallow, elapsed.Elapsed);
    }

    // Where a ref's fetch puts what it found: names of Pharos's own, never checked out as branches.
    private const string Fetched = "refs/pharos/";

    /// <summary>
    /// On libgit2's thread, instead of a plain clone: gets what <see cref="CloneRequest.Ref"/> names into
    /// <paramref name="target"/> and points HEAD at its commit. A branch is cloned as the default branch is (shallow over
    /// http(s)); a short name that is no branch is looked up as a tag. A tag, another full ref name or a commit SHA is
    /// fetched with its history (libgit2 fetches shallow only in a clone), a SHA with every branch and tag, among which
    /// it is looked up. Nothing found: <see cref="CloneFailureKind.RefNotFound"/>.
    /// </summary>
    private static void FetchRef(CloneRequest request, string target, CloneOptions options, Func<bool> keepGoing)
    {
        var wanted = request.Ref!;
        var isSha = Ingest.GitRefSyntax.IsCommitSha(wanted);
        var branch = wanted.StartsWith("refs/heads/", StringComparison.Ordinal) ? wanted["refs/heads/".Length..]
            : isSha || wanted.StartsWith("refs/", StringComparison.Ordinal) ? null
            : wanted;
        if (branch is not null)
        {
            try
            {
                options.BranchName = branch;
                Repository.Clone(request.RepoUrl, target, options);
                return;
            }
            catch (NotFoundException) when (keepGoing())
            {
                // No such branch: a tag of that name, below, or nothing.
            }
            if (wanted.StartsWith("refs/", StringComparison.Ordinal)) throw RefNotFound(request);
        }
        options.FetchOptions.TagFetchMode = TagFetchMode.None;
        string[] specs = isSha ? [$"+refs/heads/*:{Fetched}heads/*", $"+refs/tags/*:{Fetched}tags/*"]
            : wanted.StartsWith("refs/", StringComparison.Ordinal) ? [$"+{wanted}:{Fetched}wanted"]
            : [$"+refs/tags/{wanted}:{Fetched}tags/{wanted}"];
        var found = FetchInto(request, target, specs, options.FetchOptions, repo => isSha
            ? repo.Lookup<Commit>(wanted)?.Sha
            : repo.Refs[specs[0][(specs[0].IndexOf(':') + 1)..]]?.ResolveToDirectReference()?.Target?.Peel<Commit>()?.Sha);
        if (found is null) throw RefNotFound(request);
    }

    private static CloneFailedException RefNotFound(CloneRequest request) =>
        new($"{request.Ref} is not a branch, tag or commit of {CloneErrors.Redact(request.RepoUrl, request.HttpsToken)}",
            transient: false, kind: CloneFailureKind.RefNotFound);

    /// <summary>
    /// Fetches <paramref name="specs"/> into a new repository at <paramref name="target"/> (emptied first) and points
    /// HEAD at the commit <paramref name="find"/> names, whose SHA it returns; null when it names none.
    /// </summary>
    private static string? FetchInto(CloneRequest request, string target, string[] specs, FetchOptions fetch,
        Func<Repository, string?> find)
    {
        // Whatever a clone that found no branch left behind goes.
        if (Directory.Exists(target)) WorkDirectories.Delete(target);
        Directory.CreateDirectory(target);
        Repository.Init(target);
        using var repo = new Repository(target);
        repo.Network.Remotes.Add("origin", request.RepoUrl);
        Commands.Fetch(repo, "origin", specs, fetch, null);
        if (find(repo) is not { } sha) return null;
        repo.Refs.UpdateTarget("HEAD", sha);
        return sha;
    }

    /// <summary>
    /// On libgit2's thread, after the fetch: measures HEAD's tree against the limits, then writes it. Null when
    /// <paramref name="keepGoing"/> said stop. Checkout's callbacks cannot stop libgit2 once it writes files, so on a
    /// stop the work tree is moved aside: every later write fails at once, and checkout ends there.
    /// </summary>
    private static (string Sha, bool Shallow)? CheckOut(CloneRequest request, string target, Func<bool> keepGoing,
        Action<string>? checkedOut)
    {
        var aside = $"{target}.stopped-{Guid.NewGuid():N}";
        var movedAside = false;
        try
        {
            using var repo = new Repository(target);
            var tip = repo.Head.Tip ?? throw new CloneFailedException(
                $"{CloneErrors.Redact(request.RepoUrl, request.HttpsToken)} has no commits", transient: false);
            if (!CheckoutCaps.Check(repo, tip.Tree, request.MaxFiles, request.MaxCheckoutBytes, keepGoing) || !keepGoing())
                return null;

            var options = new CheckoutOptions
            {
                CheckoutModifiers = CheckoutModifiers.Force,
                // Planning reports every file it is about to write: the place to stop before the first one.
                CheckoutNotifyFlags = CheckoutNotifyFlags.Updated,
                OnCheckoutNotify = (_, _) => keepGoing(),
                OnCheckoutProgress = (path, _, _) =>
                {
                    if (!string.IsNullOrEmpty(path)) checkedOut?.Invoke(path);
                    if (!movedAside && !keepGoing()) movedAside = MoveAside(target, aside);
                },
            };
            try
            {
                repo.Checkout(tip.Tree, null, options);
            }
            catch (LibGit2SharpException) when (!keepGoing())
            {
                return null;
            }
            return keepGoing() ? (tip.Sha, repo.Info.IsShallow) : null;
        }
        finally
        {
            if (movedAside) TryDeleteDirectory(aside);
        }
    }

    private static bool MoveAside(string target, string aside)
    {
        try
        {
            Directory.Move(target, aside);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static Exception AbortException(Abort abort, CloneRequest request, CancellationToken ct,
        Exception? callbackError = null) => abort switch
        {
            Abort.CallbackFailed => new ProgressCallbackException(callbackError!),
            Abort.Cancelled => new OperationCanceledException("clone cancelled", ct),
            Abort.TooLarge => TooLarge(request.MaxBytes),
            _ => TimedOut(request),
        };

    /// <summary>More than <paramref name="maxBytes"/> received, told by the transfer progress or the transport.</summary>
    internal static CloneFailedException TooLarge(long maxBytes) =>
        new($"repository is larger than {maxBytes / (1024.0 * 1024.0):0.##} MB", transient: false,
            kind: CloneFailureKind.RepositoryTooLarge);

    private static CloneFailedException TimedOut(CloneRequest request) =>
        new($"clone timed out after {request.Timeout.TotalSeconds:0.#} s", transient: true, kind: CloneFailureKind.TimedOut);

    /// <summary>Why <paramref name="url"/> cannot be cloned when it names a local directory that does not exist; null otherwise.</summary>
    internal static string? MissingLocalRepository(string url) =>
        LocalPath(url) is { } local && !Directory.Exists(local) ? $"repository {local} was not found" : null;

    /// <summary>The directory a local path or file:// URL names; null for remote URLs.</summary>
    private static string? LocalPath(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !uri.IsFile) return null;
        if (uri is { IsFile: true }) return uri.LocalPath;
        return url.Contains("://", StringComparison.Ordinal) || url.Contains('@') ? null : Path.GetFullPath(url);
    }

    private static bool IsHttp(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>The host of a git://, ssh:// or scp-like (<c>user@host:path</c>) URL; null for anything else.</summary>
    private static string? NetworkHost(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return uri.IsFile || uri.IdnHost.Length == 0 ? null : uri.IdnHost;
        var scp = System.Text.RegularExpressions.Regex.Match(url, @"^[^/@:]+@(\[[^\]]+\]|[^/:]+):");
        return scp.Success ? scp.Groups[1].Value : null;
    }

    private static bool IsShallowNotSupported(LibGit2SharpException e) =>
        e.Message.Contains("not supported", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("shallow", StringComparison.OrdinalIgnoreCase);

    /// <summary>What the http(s) transport's own failure means for the clone; null when libgit2's message says more.</summary>
    private static CloneFailedException? FromTransport(Exception failure, CloneRequest request, LibGit2SharpException e) =>
        failure switch
        {
            CloneFailedException own => own,
            HttpStatusException status => ForStatus(status.StatusCode, CloneErrors.Redact(request.RepoUrl, request.HttpsToken),
                status.Message, e),
            HttpRequestException or IOException or System.Net.Sockets.SocketException => new CloneFailedException(
                $"clone of {CloneErrors.Redact(request.RepoUrl, request.HttpsToken)} failed: {CloneErrors.Redact(failure.Message, request.HttpsToken)}",
                transient: true, failure),
            _ => null,
        };

    private static CloneFailedException ForStatus(int code, string url, string detail, Exception inner)
    {
        if (code is 404 or 410)
            return new CloneFailedException($"repository {url} was not found: {detail}", transient: false, inner);
        if (code is 401 or 403 or 407)
            return new CloneFailedException($"access to {url} was denied (authentication failed): {detail}",
                transient: false, inner);
        if (code is >= 400 and < 500 and not 408 and not 429)
            return new CloneFailedException($"clone of {url} was refused: {detail}", transient: false, inner);
        return new CloneFailedException($"clone of {url} failed: {detail}", transient: true, inner);
    }

    private static CloneFailedException Classify(LibGit2SharpException e, CloneRequest request)
    {
        var url = CloneErrors.Redact(request.RepoUrl, request.HttpsToken);
        var detail = CloneErrors.Redact(e.Message, request.HttpsToken);
        var m = e.Message.ToLowerInvariant();

        var status = System.Text.RegularExpressions.Regex.Match(m, @"status code:?\s*(\d{3})");
        if (status.Success)
            return ForStatus(int.Parse(status.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), url, detail, e);

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

    private static void TryDeleteDirectory(string path) => WorkDirectories.TryDelete(path);

    private static void DeleteDirectory(string path) => WorkDirectories.Delete(path);
}
