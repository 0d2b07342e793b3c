using System.Text;
using Pharos.CodeGraph.Graph.Languages;

namespace Pharos.CodeGraph.Graph;

/// <summary>What <see cref="RepositoryScanner.Scan"/> found: the readable source files (ordinal by path), the index
/// of every file seen, and the source files it had to leave out.</summary>
public sealed record RepositoryScan(
    IReadOnlyList<SourceFile> Sources,
    RepositoryIndex Index,
    int SkippedFiles,
    IReadOnlyList<string> Warnings);

/// <summary>
/// Walks a checked-out repository: reads its source files (<see cref="LanguageNames.ByExtension"/>) and the few
/// manifests the analyzers need, indexes every file path, and stays out of dependency, build and tool directories.
/// Symbolic links are never followed, so the walk cannot leave the root or loop. What it reads is held to
/// <see cref="AnalysisLimits"/>: files over <see cref="AnalysisLimits.MaxFileBytes"/> are skipped, and a repository
/// whose files to read hold more than <see cref="AnalysisLimits.MaxSourceBytes"/> in all is refused before any is read.
/// </summary>
public static class RepositoryScanner
{
    /// <summary>A NUL byte in this many leading bytes marks a file as binary.</summary>
    public const int BinaryProbeBytes = 8 * 1024;

    /// <summary>Directory names never entered, wherever they are.</summary>
    public static readonly IReadOnlySet<string> SkippedDirectories = new HashSet<string>(StringComparer.Ordinal)
    {
        ".git", "node_modules", "__pycache__", "venv", ".venv", "dist", "build",
        "vendor", "third_party", "third-party", "bower_components", ".tox", ".mypy_cache", "site-packages",
    };

    /// <summary>Non-source files whose text the analyzers may ask for (<see cref="RepositoryIndex.TextOf"/>).</summary>
    public static readonly IReadOnlySet<string> ManifestNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "go.mod", "package.json", "tsconfig.json", "jsconfig.json",
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly EnumerationOptions ListOneLevel = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    /// <exception cref="RepositoryTooLargeException">Past <see cref="AnalysisLimits.Default"/>.</exception>
    public static RepositoryScan Scan(string root, CancellationToken ct = default) => Scan(root, AnalysisLimits.Default, ct);

    /// <exception cref="RepositoryTooLargeException">The files to read hold more than
    /// <see cref="AnalysisLimits.MaxSourceBytes"/>.</exception>
    public static RepositoryScan Scan(string root, AnalysisLimits limits, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        if (string.IsNullOrWhiteSpace(root))
        {
            throw new ArgumentException("The repository root must be a directory path, and it is empty.", nameof(root));
        }
        var fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
        {
            throw new DirectoryNotFoundException($"The repository root '{fullRoot}' does not exist or is not a directory.");
        }

        var warnings = new List<string>();
        var allPaths = new List<string>();
        var toRead = new List<(string Relative, string Full, string? Language)>();
        var listedBytes = Walk(fullRoot, limits, warnings, allPaths, toRead, ct);
        // Refused before anything is read: the sizes the listing gave are enough to tell.
        if (listedBytes > limits.MaxSourceBytes) throw RepositoryTooLargeException.SourceBytes(listedBytes, limits.MaxSourceBytes);

        // Read in parallel into fixed slots, then assemble in path order: the outcome does not depend on timing.
        // Each read takes its bytes from one budget, so files grown since the listing cannot pass the limit either.
        toRead.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        var outcomes = new ReadOutcome[toRead.Count];
        var budget = new ByteBudget(limits.MaxSourceBytes);
        Parallel.For(0, toRead.Count, new ParallelOptions { CancellationToken = ct }, i =>
            outcomes[i] = Read(toRead[i].Full, toRead[i].Relative, limits.MaxFileBytes, budget));
        if (budget.Overdrawn) throw RepositoryTooLargeException.SourceBytes(budget.Taken, limits.MaxSourceBytes);

        var sources = new List<SourceFile>();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipped = 0;
        for (var i = 0; i < toRead.Count; i++)
        {
            var (relative, _, language) = toRead[i];
            var outcome = outcomes[i];
            if (outcome.Text is null)
            {
                warnings.Add(outcome.Problem!);
                if (language is not null) skipped++;
                continue;
            }
            if (language is not null) sources.Add(new SourceFile(relative, language, outcome.Text));
            else texts[relative] = outcome.Text;
        }

        allPaths.Sort(StringComparer.Ordinal);
        var index = new RepositoryIndex(allPaths, texts) { RootName = Path.GetFileName(Path.TrimEndingDirectorySeparator(fullRoot)) };
        return new RepositoryScan(sources, index, skipped, warnings);
    }

    /// <summary>Lists the repository; returns the bytes of the files to read that are within the per-file limit.</summary>
    private static long Walk(
        string fullRoot, AnalysisLimits limits, List<string> warnings, List<string> allPaths,
        List<(string Relative, string Full, string? Language)> toRead, CancellationToken ct)
    {
        var listedBytes = 0L;
        var pending = new Stack<(string Full, string Relative)>();
        pending.Push((fullRoot, ""));
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (directory, relativeDirectory) = pending.Pop();
            List<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(directory).EnumerateFileSystemInfos("*", ListOneLevel).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                warnings.Add($"{Display(relativeDirectory)}: directory not listed ({e.Message})");
                continue;
            }

            foreach (var entry in entries)
            {
                var relative = relativeDirectory.Length == 0 ? entry.Name : relativeDirectory + "/" + entry.Name;
                if (IsLink(entry)) continue;
                if (entry is DirectoryInfo)
                {
                    if (!SkippedDirectories.Contains(entry.Name) && !IsVirtualEnvironment(entry.FullName))
                    {
                        pending.Push((entry.FullName, relative));
                    }
                    continue;
                }
                if (entry is not FileInfo file) continue;

                allPaths.Add(relative);
                var language = LanguageNames.ByExtension.GetValueOrDefault(Path.GetExtension(entry.Name));
                if (language is null && !ManifestNames.Contains(entry.Name)) continue;
                toRead.Add((relative, file.FullName, language));
                var size = SizeOf(file);
                if (size <= limits.MaxFileBytes) listedBytes += size; // a larger one is skipped, never read
            }
        }
        return listedBytes;
    }

    /// <summary>The file's length as listed; 0 when it cannot be told (its read will say why).</summary>
    private static long SizeOf(FileInfo file)
    {
        try
        {
            return file.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Bytes the reads may take in all, shared by the parallel reads.</summary>
    private sealed class ByteBudget(long limit)
    {
        private long _taken;

        public long Taken => Interlocked.Read(ref _taken);
        public bool Overdrawn => Taken > limit;

        /// <summary>Takes <paramref name="bytes"/>; false (and nothing to read) once the total is past the limit.</summary>
        public bool TryTake(long bytes) => Interlocked.Add(ref _taken, bytes) <= limit;
    }

    private static bool IsLink(FileSystemInfo entry)
    {
        try
        {
            return entry.LinkTarget is not null || entry.Attributes.HasFlag(FileAttributes.ReparsePoint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // cannot tell: do not enter it
        }
    }

    private static bool IsVirtualEnvironment(string directory) => File.Exists(Path.Combine(directory, "pyvenv.cfg"));

    private readonly record struct ReadOutcome(string? Text, string? Problem);

    private static ReadOutcome Read(string fullPath, string relative, long maxFileBytes, ByteBudget budget)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var length = stream.Length;
            if (length > maxFileBytes)
            {
                return new(null, $"{relative}: skipped, {length} bytes is over the {maxFileBytes}-byte limit");
            }
            if (!budget.TryTake(length)) return new(null, $"{relative}: not read, the source bytes limit is reached");
            bytes = new byte[length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return new(null, $"{relative}: skipped, cannot be read ({e.Message})");
        }

        var probe = bytes.AsSpan(0, Math.Min(bytes.Length, BinaryProbeBytes));
        if (probe.IndexOf((byte)0) >= 0)
        {
            return new(null, $"{relative}: skipped, binary (NUL byte in the first {BinaryProbeBytes} bytes)");
        }

        var body = bytes.AsSpan();
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) body = body[3..];
        try
        {
            return new(StrictUtf8.GetString(body), null);
        }
        catch (DecoderFallbackException)
        {
            return new(null, $"{relative}: skipped, not valid UTF-8");
        }
    }

    private static string Display(string relative) => relative.Length == 0 ? "." : relative;
}
