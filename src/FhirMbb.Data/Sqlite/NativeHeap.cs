using System.Runtime.InteropServices;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// glibc's malloc_trim: returns the free pages of every malloc arena to the system. free() alone gives back only the
/// top of an arena, so a cache freed in the middle of one stays resident. Does nothing where glibc is not the C library.
/// </summary>
internal static class NativeHeap
{
    private static bool _unavailable = !OperatingSystem.IsLinux();

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    public static void Trim()
    {
        if (_unavailable) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // musl and other C libraries have no malloc_trim.
            _unavailable = true;
        }
    }
}
