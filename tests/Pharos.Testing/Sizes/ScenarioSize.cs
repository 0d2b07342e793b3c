using System.Globalization;

namespace Pharos.Testing.Sizes;

/// <summary>
/// How big a family of long scenarios runs: small in the default run (CI, test.sh), at full size when
/// <c>{prefix}FULL</c> is 1 (what their bench script sets); <c>{prefix}&lt;NAME&gt;</c> overrides one figure.
/// </summary>
public sealed class ScenarioSize(string prefix)
{
    public bool Full => Environment.GetEnvironmentVariable(prefix + "FULL") is "1" or "true" or "yes";

    public int Get(string name, int ci, int full)
    {
        var text = Environment.GetEnvironmentVariable(prefix + name);
        if (string.IsNullOrWhiteSpace(text)) return Full ? full : ci;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new InvalidOperationException($"{prefix}{name} must be a whole number; got '{text}'.");
    }
}
