using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Pharos.Dashboard.Tests.Support;

/// <summary>
/// What the pages a test opens report as errors (console errors, uncaught exceptions, dialogs): a test ends with none
/// but those it expected and forgot.
/// </summary>
public sealed class BrowserErrors
{
    private readonly List<string> _errors = [];

    public int Count
    {
        get { lock (_errors) return _errors.Count; }
    }

    /// <summary>Records what <paramref name="page"/> reports; a dialog is dismissed (and recorded).</summary>
    public void Watch(IPage page)
    {
        page.Console += (_, message) =>
        {
            if (message.Type == "error") Add($"console: {message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => Add($"page error: {error}");
        page.Dialog += (_, dialog) =>
        {
            Add($"dialog: {dialog.Message}");
            _ = dialog.DismissAsync();
        };
    }

    public void Add(string error)
    {
        lock (_errors) _errors.Add(error);
    }

    /// <summary>Forgets the errors <paramref name="expected"/> matches, after writing every error to <paramref name="output"/>.</summary>
    public void Forget(Predicate<string> expected, ITestOutputHelper? output = null)
    {
        lock (_errors)
        {
            output?.WriteLine(string.Join("\n", _errors));
            _errors.RemoveAll(expected);
        }
    }

    /// <summary>
    /// The refusals a page meets before it is given a token: failed loads (401) and refused WebSocket handshakes,
    /// which Chromium words either way depending on how far the handshake got.
    /// </summary>
    public static bool IsRefusalBeforeTheToken(string error) =>
        error.Contains("401", StringComparison.Ordinal) || error.Contains("HTTP Authentication failed", StringComparison.Ordinal);

    public void AssertNone()
    {
        lock (_errors) Assert.True(_errors.Count == 0, string.Join("\n", _errors));
    }
}
