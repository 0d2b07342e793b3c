using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Pharos.CloudNode.Auth;

/// <summary>One refused request: who, where, why, and which token (by fingerprint only, never the token).</summary>
public sealed record AuthFailure(string ClientIp, string Route, AuthFailureReason Reason, string? Fingerprint);

/// <summary>
/// Logs authentication failures without letting a flood flood the log: each client IP gets at most
/// <c>linesPerClientPerMinute</c> full lines per one-minute window, further failures are only counted, and
/// <see cref="Flush"/> (called once a minute) writes one summary line covering everything suppressed, and the requests
/// the per-client failure limit answered 429 instead of 401 (<see cref="RecordRefused"/>).
/// At most <c>maxTrackedClients</c> IPs (<see cref="ClientPartitions.MaxClients"/> by default) are tracked at a time; failures from further clients are counted in an
/// overflow counter, so memory stays bounded whatever the number of distinct sources.
/// Thread-safe: every request thread records into one instance.
/// </summary>
public sealed class AuthFailureLog(ILogger<AuthFailureLog> logger, int linesPerClientPerMinute = 5, int maxTrackedClients = ClientPartitions.MaxClients)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    public const int TopClientsInSummary = 5;
    // Caller-supplied text is cut so that one request cannot write an arbitrarily long line or key.
    private const int MaxClientIpLength = 64;
    private const int MaxRouteLength = 200;

    public static readonly EventId FailureEvent = new(4010, "AuthenticationFailed");
    public static readonly EventId SummaryEvent = new(4011, "AuthenticationFailuresSuppressed");

    private static readonly Action<ILogger, string, string, string, string, Exception?> LogFailure =
        LoggerMessage.Define<string, string, string, string>(LogLevel.Warning, FailureEvent,
            "Authentication failed: client {ClientIp} route {Route} reason {Reason} token fingerprint {Fingerprint}");

    private static readonly Action<ILogger, long, int, long, string, string, long, Exception?> LogSummary =
        LoggerMessage.Define<long, int, long, string, string, long>(LogLevel.Warning, SummaryEvent,
            "Authentication failures suppressed: {Suppressed} from {Clients} tracked clients plus {Untracked} from clients beyond the tracking limit since {Since}; top clients: {TopClients}; refused with 429 past the failure limit: {Refused}");

    private readonly ILogger<AuthFailureLog> _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    private readonly int _linesPerClient = linesPerClientPerMinute >= 0
        ? linesPerClientPerMinute
        : throw new ArgumentOutOfRangeException(nameof(linesPerClientPerMinute));
    private readonly int _maxTrackedClients = maxTrackedClients >= 0
        ? maxTrackedClients
        : throw new ArgumentOutOfRangeException(nameof(maxTrackedClients));

    private static readonly System.Buffers.SearchValues<char> ControlCharacters =
        System.Buffers.SearchValues.Create(Enumerable.Range(0, 0x10000).Select(c => (char)c).Where(char.IsControl).ToArray());

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ClientWindow> _clients = new(StringComparer.Ordinal);
    private long _untrackedSuppressed;
    private long _suppressed;
    private long _refused;
    private DateTimeOffset? _summarySince;
    private long _totalFailures;
    private long _totalRefused;

    private sealed class ClientWindow(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Lines;
        public long Suppressed;
    }

    /// <summary>Every failure ever recorded, logged or not (for metrics).</summary>
    public long TotalFailures => Interlocked.Read(ref _totalFailures);

    /// <summary>Every request ever refused with 429 by the failure limit (<see cref="RecordRefused"/>).</summary>
    public long TotalRefused => Interlocked.Read(ref _totalRefused);

    /// <summary>Clients currently tracked (bounded by maxTrackedClients).</summary>
    public int TrackedClients
    {
        get { lock (_lock) return _clients.Count; }
    }

    /// <summary>Every failure, logged or suppressed (the cloud node counts them for its metrics).</summary>
    public event Action<AuthFailureReason>? Recorded;

    public void Record(AuthFailure failure, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Recorded?.Invoke(failure.Reason);
        var clientIp = Clean(failure.ClientIp, MaxClientIpLength);
        bool writeLine;
        lock (_lock)
        {
            Interlocked.Increment(ref _totalFailures);
            _summarySince ??= now;
            if (!_clients.TryGetValue(clientIp, out var window))
            {
                if (_clients.Count >= _maxTrackedClients)
                {
                    _untrackedSuppressed++;
                    _suppressed++;
                    return;
                }
                window = new ClientWindow(now);
                _clients.Add(clientIp, window);
            }
            else if (now - window.Start >= Window)
            {
                // The client's minute is over even if Flush is late; its unreported count stays for the summary.
                window.Start = now;
                window.Lines = 0;
            }

            writeLine = window.Lines < _linesPerClient;
            if (writeLine)
            {
                window.Lines++;
            }
            else
            {
                window.Suppressed++;
                _suppressed++;
            }
        }

        // Logging happens outside the lock so a slow sink does not serialise every caller behind it.
        if (writeLine)
            LogFailure(_logger, clientIp, CleanRoute(failure.Route), failure.Reason.ToSnakeCase(),
                failure.Fingerprint is null ? "none" : Clean(failure.Fingerprint, 16), null);
    }

    /// <summary>
    /// A request without a valid token that the per-client failure limit answered 429 instead of 401: not logged as a
    /// failure of its own (no line, no failure count), but counted in the next summary line, so the log shows the whole
    /// flood.
    /// </summary>
    public void RecordRefused(DateTimeOffset now)
    {
        Interlocked.Increment(ref _totalRefused);
        lock (_lock)
        {
            _summarySince ??= now;
            _refused++;
        }
    }

    /// <summary>
    /// Writes one summary line if anything was suppressed or refused since the last flush, then forgets clients whose window
    /// is a minute old or more (they start a new window on their next failure).
    /// </summary>
    public void Flush(DateTimeOffset now)
    {
        long suppressed, untracked, refused;
        int clients;
        string top;
        DateTimeOffset since;
        lock (_lock)
        {
            suppressed = _suppressed;
            untracked = _untrackedSuppressed;
            refused = _refused;
            since = _summarySince ?? now;
            var suppressing = _clients.Where(c => c.Value.Suppressed > 0).ToList();
            clients = suppressing.Count;
            top = suppressed == 0
                ? ""
                : string.Join(", ", suppressing
                    .OrderByDescending(c => c.Value.Suppressed).ThenBy(c => c.Key, StringComparer.Ordinal)
                    .Take(TopClientsInSummary)
                    .Select(c => $"{c.Key}={c.Value.Suppressed.ToString(CultureInfo.InvariantCulture)}"));

            foreach (var (_, window) in suppressing) window.Suppressed = 0;
            _suppressed = 0;
            _untrackedSuppressed = 0;
            _refused = 0;
            _summarySince = null;

            var expired = _clients.Where(c => now - c.Value.Start >= Window).Select(c => c.Key).ToList();
            foreach (var key in expired) _clients.Remove(key);
        }

        if (suppressed > 0 || refused > 0)
            LogSummary(_logger, suppressed, clients, untracked, since.ToString("o", CultureInfo.InvariantCulture),
                top.Length == 0 ? "none" : top, refused, null);
    }

    // A query string can carry credentials (?ticket=...); only the path is worth logging.
    private static string CleanRoute(string? route)
    {
        var path = route ?? "";
        var query = path.IndexOfAny(['?', '#']);
        if (query >= 0) path = path[..query];
        return Clean(path, MaxRouteLength);
    }

    // Control characters would let a client forge log lines; long values would bloat them.
    private static string Clean(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value)) return "unknown";
        var text = value.Length > maxLength ? value[..maxLength] : value;
        // A span search, not LINQ over the string: this runs for every refused request of a flood.
        if (text.AsSpan().IndexOfAny(ControlCharacters) < 0) return text;
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsControl(c) ? '?' : c);
        return builder.ToString();
    }
}
