namespace Pharos.CodeGraph.Graph;

/// <summary>A source file the scanner read: its repository-relative '/'-separated path, language and text.</summary>
public sealed record SourceFile(string Path, string Language, string Text);

/// <summary>The language names Pharos reports, and the file endings that make them.</summary>
public static class LanguageNames
{
    public const string Python = "python";
    public const string JavaScript = "javascript";
    public const string TypeScript = "typescript";
    public const string CSharp = "csharp";
    public const string Go = "go";
    public const string Java = "java";

    public static readonly IReadOnlyDictionary<string, string> ByExtension = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".py"] = Python,
        [".pyi"] = Python,
        [".js"] = JavaScript,
        [".mjs"] = JavaScript,
        [".cjs"] = JavaScript,
        [".jsx"] = JavaScript,
        [".ts"] = TypeScript,
        [".tsx"] = TypeScript,
        [".mts"] = TypeScript,
        [".cts"] = TypeScript,
        [".cs"] = CSharp,
        [".go"] = Go,
        [".java"] = Java,
    };
}
