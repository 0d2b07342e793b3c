using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Pharos.CodeGraph.Results;

/// <summary>
/// NumPy's .npy format, version 1.0, for a float32 matrix: the magic, the header dict padded with spaces to a multiple
/// of 64 bytes and ended by a newline, then the values little-endian, row-major (numpy.load reads it as is).
/// </summary>
public static class Npy
{
    public const string ContentType = "application/x-npy";

    public static byte[] Header(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var dict = string.Create(CultureInfo.InvariantCulture,
            $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        const int prefix = 10; // magic (6), version (2), header length (2)
        var padded = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var header = new byte[padded];
        header[0] = 0x93;
        "NUMPY"u8.CopyTo(header.AsSpan(1));
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)(padded - prefix));
        var text = dict.PadRight(padded - prefix - 1) + "\n";
        Encoding.ASCII.GetBytes(text, header.AsSpan(prefix));
        return header;
    }

    public static void Write(Stream stream, ReadOnlySpan<float> values, int rows, int columns)
    {
        if (values.Length != (long)rows * columns)
            throw new ArgumentException($"{values.Length} values are not {rows} × {columns}.", nameof(values));
        stream.Write(Header(rows, columns));
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> one = stackalloc byte[4];
        foreach (var value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(one, value);
            stream.Write(one);
        }
    }
}
