namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>The JavaScript/TypeScript tokenizer on hostile input (<see cref="HostileSourceProperties"/>): template
/// literals nest in their substitutions, and a '/' may open a regular expression.</summary>
public sealed class JavaScriptTokenizerProperties : HostileSourceProperties
{
    protected override IReadOnlyList<string> Pieces { get; } =
    [
        "`", "${", "}", "{", "(", ")", "[", "]", "'", "\"", "\\", "/", "/*", "*/", "//", "\n", "\r\n", "x", " ", ";", ",",
        "*", "=", ".", "<", ">", "</", "$", "import", "export", "from", "require", "return", "as", "type", "'./a'", "{ a }",
        "/[", "]/", "/(/", "1.5", "\u00e9", "\u2028",
    ];

    protected override IReadOnlyList<NestingForm> Forms { get; } =
    [
        new("parentheses", "(", ")"),
        new("brackets", "[", "]"),
        new("braces", "{", "}"),
        new("generics", "Array<", ">"),
        new("JSX elements", "<a>", "</a>"),
        new("templates in substitutions", "`${", "}`"),
        new("blocks in substitutions", "`${{", "}}`"),
        new("strings in substitutions", "`a${'b' + ", "}c`"),
        new("calls of imports", "import(", ")"),
        new("block comments", "/*", "*/", Nests: false),
        new("regular expressions", "x = /[(/ + (", ")"),
    ];

    protected override string ImportStatement => "import './target.js';";

    protected override (string Path, string Text)[] Target { get; } = [("target.js", "export default 1;\n")];

    protected override NestingForm DeepFileForm { get; } = new("templates in substitutions", "`${", "}`");

    protected override string SourcePath(string stem) => stem + ".js";

    protected override (bool FoundImport, long Steps) Scan(string text)
    {
        var found = JavaScriptImportParser.Parse(text).Contains("./target.js");
        return (found, JavaScriptImportParser.LastSteps);
    }
}
