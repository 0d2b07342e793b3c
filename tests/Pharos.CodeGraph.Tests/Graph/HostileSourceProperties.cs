using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>
/// One way a language nests: <see cref="Open"/> repeated, then, closed, <see cref="Close"/> as often. A form that
/// <see cref="Nests"/> really nests in the tokenizer's reading (brackets, interpolations), so code after it closes is
/// code again; one that does not (comments, raw strings) is there to be repeated and left open.
/// </summary>
public sealed record NestingForm(string Name, string Open, string Close, bool Nests = true)
{
    public string Text(int depth, bool closed)
    {
        var text = new StringBuilder(depth * (Open.Length + Close.Length) + 1);
        for (var d = 0; d < depth; d++) text.Append(Open);
        text.Append('x');
        if (closed) for (var d = 0; d < depth; d++) text.Append(Close);
        return text.ToString();
    }

    public override string ToString() => Name;
}

/// <summary>
/// A language's tokenizer on hostile input: any mix of its lexemes, any text or bytes, every form nested a hundred
/// thousand deep (closed and left open), megabyte lines, unterminated constructs. It never throws, never recurses with
/// the input (a stack overflow would take the whole process down), and the steps it counts grow linearly with the
/// input at every size. Each language's class gives its lexemes, its forms and how to run its scanner.
/// </summary>
public abstract class HostileSourceProperties
{
    /// <summary>A scanner reads each character a bounded number of times: this many steps per character at most.</summary>
    protected const long StepsPerCharacter = 8;

    private const int Deep = 100_000;

    private const int Megabyte = 1_000_000;

    /// <summary>Lexemes that open, nest, close and imitate the language's forms, and plain code between them.</summary>
    protected abstract IReadOnlyList<string> Pieces { get; }

    /// <summary>Every bracket, string, template, comment, generic and block form of the language.</summary>
    protected abstract IReadOnlyList<NestingForm> Forms { get; }

    /// <summary>A statement importing <see cref="Target"/>'s file, on a line of its own.</summary>
    protected abstract string ImportStatement { get; }

    /// <summary>The file <see cref="ImportStatement"/> resolves to, with whatever else the repository needs for it (a
    /// go.mod).</summary>
    protected abstract (string Path, string Text)[] Target { get; }

    /// <summary>The language's file name for <paramref name="stem"/>.</summary>
    protected abstract string SourcePath(string stem);

    /// <summary>Runs the language's scanner (tokenizer and import parser) on a file's text: whether it found
    /// <see cref="ImportStatement"/>'s import, and the steps it counted.</summary>
    protected abstract (bool FoundImport, long Steps) Scan(string text);

    /// <summary>The form used for the deep file given to the builder: short enough that a hundred thousand levels
    /// stay under the scanner's per-file size limit.</summary>
    protected abstract NestingForm DeepFileForm { get; }

    private static Property Linear(long steps, int length, string what) =>
        (steps <= StepsPerCharacter * (length + 1L)).Label($"{steps} steps for {length} characters of {what}");

    private Arbitrary<string> Soups() =>
        Gen.Choose(0, 400).SelectMany(k => Gen.ArrayOf(Gen.Elements(Pieces.ToArray()), k)).Select(string.Concat).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property Any_mix_of_the_language_s_lexemes_scans_in_linear_steps() =>
        Prop.ForAll(Soups(), source => Linear(Scan(source).Steps, source.Length, source));

    private static readonly Gen<char> AnyChar = Gen.OneOf(
        Gen.Choose(0, 127).Select(c => (char)c),
        Gen.Elements("{}()[]<>\"'`$@#/*\\\n\r;:.=".ToCharArray()),
        Gen.Choose(0, char.MaxValue).Select(c => (char)c));

    [Property(MaxTest = 200)]
    public Property Random_text_scans_in_linear_steps() =>
        Prop.ForAll(Gen.Choose(0, 4_000).SelectMany(k => Gen.ArrayOf(AnyChar, k)).Select(c => new string(c)).ToArbitrary(),
            text => Linear(Scan(text).Steps, text.Length, "random text"));

    [Property(MaxTest = 200)]
    public Property Random_bytes_scan_in_linear_steps() =>
        Prop.ForAll(Gen.Choose(0, 4_000).SelectMany(k => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), k)).ToArbitrary(),
            bytes =>
            {
                // As the repository scanner would hand them over: UTF-8 (what is not UTF-8 becomes U+FFFD here).
                var text = Encoding.UTF8.GetString(bytes);
                return Linear(Scan(text).Steps, text.Length, "random bytes");
            });

    [Property(MaxTest = 100)]
    public Property One_or_two_lexemes_repeated_to_any_size_scan_in_linear_steps() =>
        Prop.ForAll(Gen.Elements(Pieces.ToArray()).ToArbitrary(), Gen.Elements(Pieces.ToArray()).ToArbitrary(),
            Gen.Choose(1, 20_000).ToArbitrary(), (first, second, times) =>
            {
                var unit = times % 2 == 0 ? first : first + second;
                var text = new StringBuilder(unit.Length * times).Insert(0, unit, times).ToString();
                return Linear(Scan(text).Steps, text.Length, $"{times} × {unit}");
            });

    [Fact]
    public void Every_form_nested_a_hundred_thousand_deep_closed_or_open_scans_in_linear_steps()
    {
        foreach (var form in Forms)
        {
            foreach (var closed in new[] { true, false })
            {
                var text = form.Text(Deep, closed) + "\n" + ImportStatement + "\n";
                var (found, steps) = Scan(text);
                Assert.True(steps <= StepsPerCharacter * (text.Length + 1L),
                    $"{form} ({(closed ? "closed" : "open")}): {steps} steps for {text.Length} characters");
                // Closed, the import after it is code again.
                if (closed && form.Nests) Assert.True(found, $"{form}: the import after {Deep} closed levels was missed");
            }
        }
    }

    [Fact]
    public void A_megabyte_line_of_each_lexeme_scans_in_linear_steps()
    {
        foreach (var piece in Pieces.Select(p => p.Replace("\n", " ", StringComparison.Ordinal).Replace('\r', ' ')).Distinct())
        {
            var text = new StringBuilder(Megabyte + piece.Length);
            while (text.Length < Megabyte) text.Append(piece);
            var (_, steps) = Scan(text.ToString());
            Assert.True(steps <= StepsPerCharacter * (text.Length + 1L), $"a line of '{piece}': {steps} steps for {text.Length} characters");
        }
    }

    [Fact]
    public void A_megabyte_line_and_a_hundred_thousand_deep_file_go_through_the_builder_into_a_graph()
    {
        var line = new StringBuilder();
        while (line.Length < Megabyte - 100) line.Append(ImportStatement).Append(" (((( [[ {{ ");
        var deep = DeepFileForm.Text(Deep, closed: true) + "\n" + ImportStatement + "\n";
        Assert.True(Encoding.UTF8.GetByteCount(deep) <= AnalysisLimits.Default.MaxFileBytes, "the deep file fits the scanner's limit");
        using var repo = new TempRepository(
            [(SourcePath("long"), line.ToString()), (SourcePath("deep"), deep), (SourcePath("ok"), ImportStatement + "\n"), .. Target]);

        var graph = repo.Build();

        GraphAssert.WellFormed(graph);
        Assert.Empty(graph.Warnings);
        Assert.Contains(SourcePath("long"), graph.Nodes);
        Assert.Contains(SourcePath("deep"), graph.Nodes);
        var edges = GraphAssert.Edges(graph);
        var target = Target[^1].Path;
        // The ordinary file, the megabyte line's imports and the import after the deep nesting all resolve.
        Assert.Contains($"{SourcePath("ok")} -> {target}", edges);
        Assert.Contains($"{SourcePath("long")} -> {target}", edges);
        Assert.Contains($"{SourcePath("deep")} -> {target}", edges);
    }
}
