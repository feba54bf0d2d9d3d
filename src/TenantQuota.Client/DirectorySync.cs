using System.Runtime.InteropServices;

namespace TenantQuota.Client;

/// <summary>
/// Makes a rename in a folder durable. A file moved over another is only as durable as the folder's entry pointing at it:
/// after a power loss before the folder reached the disk, the old file would be back and appends made to the new one
/// lost. .NET opens no handle on a folder, so on Linux and macOS this is POSIX open + fsync. On Windows it does nothing:
/// NTFS journals the rename, so the folder is never torn, but the newest rename may be lost to a power cut there.
/// </summary>
internal static class DirectorySync
{
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var descriptor = Open(directory, 0 /* O_RDONLY */);
        if (descriptor < 0) throw new IOException($"The folder {directory} could not be opened to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(descriptor) != 0) throw new IOException($"The folder {directory} could not be flushed to disk (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    // DllImport rather than LibraryImport: the generated marshalling would need unsafe code in the caller's package.
    // Strings marshal as UTF-8 on these platforms.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int descriptor);
}
