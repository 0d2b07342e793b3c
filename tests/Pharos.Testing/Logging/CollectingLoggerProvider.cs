using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Pharos.Testing.Logging;

public sealed record LogLine(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Fields)
{
    /// <summary>The formatted line and every structured value, as a sink would see them.</summary>
    public string Everything => Message + "\n" + string.Join("\n", Fields.Select(f => $"{f.Key}={f.Value}"));
}

/// <summary>A real logger provider that keeps every formatted line and its structured fields in memory.</summary>
public sealed class CollectingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new CollectingLogger(categoryName, _lines);

    public void Dispose() { }

    /// <summary>A typed logger backed by this provider, through a real LoggerFactory.</summary>
    public ILogger<T> CreateLogger<T>()
    {
        var factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));
        return factory.CreateLogger<T>();
    }

    private sealed class CollectingLogger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value)
                : new Dictionary<string, object?>();
            var message = formatter(state, exception);
            if (exception is not null) message += Environment.NewLine + exception;
            lines.Enqueue(new LogLine(category, logLevel, eventId, message, fields));
        }
    }
}
