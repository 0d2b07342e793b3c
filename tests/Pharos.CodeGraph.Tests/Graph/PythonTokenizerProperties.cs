using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.CodeGraph.Graph.Languages;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>
/// The Python tokenizer on hostile input: any nesting of f-strings, fields, format specs and brackets, any bytes,
/// unterminated constructs, very long lines. It never throws, never recurses with the input (a stack overflow would
/// take the whole process down), and the steps it takes to skip a string grow linearly with the input.
/// </summary>
public sealed class PythonTokenizerProperties
{
    /// <summary>Pieces that open, nest and close the string forms, in any order.</summary>
    private static readonly Gen<string> Piece = Gen.Elements(
        "f\"", "f'", "f\"\"\"", "f'''", "rf\"", "\"", "'", "\"\"\"", "{", "{{", "}", "}}", ":", "(", ")", "[", "]",
        "\\", "\n", "\r\n", "x", "import os\n", "from . import a\n", "#", " ", "!r", "=");

    private static Arbitrary<string> Sources() =>
        Gen.Choose(0, 400).SelectMany(k => Gen.ArrayOf(Piece, k)).Select(string.Concat).ToArbitrary();

    [Property(MaxTest = 400)]
    public Property Any_mix_of_string_forms_tokenizes_without_throwing_within_the_input() =>
        Prop.ForAll(Sources(), source =>
        {
            var tokens = PythonImportParser.Tokenize(source);
            return tokens.All(t => t.Start >= 0 && t.Start + t.Length <= source.Length).Label(source);
        });

    [Property(MaxTest = 200)]
    public Property Random_text_parses_without_throwing(NonNull<string> text) =>
        Prop.ToProperty(PythonImportParser.Parse(text.Get) is not null);

    /// <summary>f"{f'{f"{ ... }"}'}": each level one f-string inside the last one's replacement field.</summary>
    private static string Nested(int depth, bool closed)
    {
        var quotes = new[] { "\"\"\"", "'''" };
        var text = new System.Text.StringBuilder("x = ");
        for (var d = 0; d < depth; d++) text.Append('f').Append(quotes[d % 2]).Append('{');
        if (closed) for (var d = depth - 1; d >= 0; d--) text.Append('}').Append(quotes[d % 2]);
        return text.Append("\nimport os\n").ToString();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Nesting_a_hundred_thousand_f_strings_deep_neither_overflows_nor_loses_what_follows(bool closed)
    {
        var imports = PythonImportParser.Parse(Nested(100_000, closed));
        // Closed, the import after the string is read; left open, the string runs to the end (Python's own reading).
        Assert.Equal(closed, imports.Any(i => i.Module == "os"));
    }

    [Property(MaxTest = 30)]
    public Property Skipping_a_nested_string_takes_steps_linear_in_its_length() =>
        Prop.ForAll(Gen.Choose(1, 5_000).ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (depth, closed) =>
        {
            var source = Nested(depth, closed);
            PythonImportParser.Tokenize(source);
            // Every step moves on by at least one character or closes a construct opened by one.
            return (PythonImportParser.LastSkipSteps <= 2L * source.Length)
                .Label($"{PythonImportParser.LastSkipSteps} steps for {source.Length} characters");
        });
}
