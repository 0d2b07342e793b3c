using System.Runtime.InteropServices;
using System.Text;

namespace Pharos.Actors.Hosting;

/// <summary>
/// Ends the process at once with a code, for a shutdown that hangs: no exit handlers (the generic host's waits for
/// the host to stop, Akka's for its coordinated shutdown: the very things that hang) and no locks (the message goes
/// to standard error in one write). Elsewhere than Linux and macOS, <see cref="Environment.Exit"/>.
/// </summary>
public static partial class ImmediateExit
{
    public static void Exit(int code, string message)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Console.Error.WriteLine(message);
            Environment.Exit(code);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(message + "\n");
        _ = Write(2, bytes, bytes.Length);
        ExitNow(code);
    }

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void ExitNow(int status);
}
