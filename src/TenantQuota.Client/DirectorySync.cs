using System.Runtime.InteropServices;

namespace TenantQuota.Client;

/// <summary>
/// Makes a rename in a folder durable. A file moved over another is only as durable as the folder's entry pointing at it:
/// after a power loss before the folder reached the disk, the old file would be back and appends made to the new one
/// lost. .NET opens no handle on a folder, so on Linux and macOS this is POSIX open + fsync (plain fsync on macOS, not
/// F_FULLFSYNC: fcntl is variadic, which P/Invoke cannot call reliably there). On Windows it does nothing: NTFS journals
/// the rename, so the folder is never torn, but the newest rename may be lost to a power cut there.
/// </summary>
internal static class DirectorySync
{
    private const int EINTR = 4;

    /// <summary>
    /// Best effort: false when the folder could not be flushed (Windows; some network, FUSE or shared-folder file systems
    /// refuse fsync on a folder; a folder that may be written but not read). The rename itself has happened either way,
    /// so a caller keeps going, as PostgreSQL does for the same refusals.
    /// </summary>
    public static bool TryFlush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        // O_RDONLY | O_CLOEXEC, so a process started meanwhile never inherits the handle.
        var flags = OperatingSystem.IsLinux() ? 0x80000 : 0x1000000;
        var descriptor = Open(directory, flags);
        if (descriptor < 0) return false;
        try
        {
            int result;
            do result = Fsync(descriptor);
            while (result != 0 && Marshal.GetLastPInvokeError() == EINTR);
            return result == 0;
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    // DllImport rather than LibraryImport: the generated marshalling would need unsafe code in the caller's package.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int descriptor);
}
