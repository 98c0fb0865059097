using System.Buffers;

namespace FhirMbb.Core.Rest;

/// <summary>FHIR id rules: 1-64 characters of A-Z, a-z, 0-9, '-' and '.'.</summary>
public static class FhirId
{
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

    public const int MaxLength = 64;

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= MaxLength && !id.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>
    /// A UUID version 7 (RFC 9562): 48 bits of unix milliseconds, then 74 random bits. Time-ordered ids keep the
    /// primary-key B-tree appending instead of splitting pages.
    /// </summary>
    /// <remarks>
    /// The random bits are the system's cryptographic ones, as <see cref="Guid.CreateVersion7()"/> takes, drawn 4 KiB at a
    /// time per thread: drawing them for each id was one getrandom system call per id, 2.4% of a transaction's CPU.
    /// </remarks>
    public static string NewId()
    {
        var pool = _random ??= new RandomPool();
        Span<byte> bytes = stackalloc byte[16];
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--, ms >>= 8) bytes[i] = (byte)ms;
        pool.Fill(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 10
        return new Guid(bytes, bigEndian: true).ToString();
    }

    [ThreadStatic] private static RandomPool? _random;

    private sealed class RandomPool
    {
        private readonly byte[] _bytes = new byte[4096];
        private int _used = 4096;

        public void Fill(Span<byte> target)
        {
            if (_used + target.Length > _bytes.Length)
            {
                System.Security.Cryptography.RandomNumberGenerator.Fill(_bytes);
                _used = 0;
            }
            _bytes.AsSpan(_used, target.Length).CopyTo(target);
            // Each byte serves one id only.
            _bytes.AsSpan(_used, target.Length).Clear();
            _used += target.Length;
        }
    }
}
