using System.Buffers;

namespace FhirMbb.Api.Http;

/// <summary>
/// A growable byte buffer on arrays rented from the shared pool. Transaction bodies and their responses run to
/// hundreds of kilobytes: as fresh arrays they land on the large object heap on every request (and each time a
/// growing buffer doubles), which brings on full collections; rented ones are reused. Dispose hands the array back,
/// so nothing may keep <see cref="WrittenMemory"/> past that.
/// </summary>
internal sealed class PooledBuffer(int initialCapacity) : IBufferWriter<byte>, IDisposable
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _array.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(_written);
    }

    /// <summary>Makes sure at least <paramref name="sizeHint"/> bytes (at least one) are free, moving to a larger array if not.</summary>
    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_array.Length - _written < needed)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _written + needed));
            _array.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }
    }

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, []);
        if (array.Length > 0) ArrayPool<byte>.Shared.Return(array);
        _written = 0;
    }
}
