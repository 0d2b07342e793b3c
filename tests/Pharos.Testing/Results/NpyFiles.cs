using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Pharos.Testing.Results;

/// <summary>Reading a served .npy file back, independently of the writer under test.</summary>
public static partial class NpyFiles
{
    /// <summary>
    /// A .npy 1.0 file of float32 read by the rules numpy.load follows: magic, version, header length, the dict, the
    /// data. Anything else fails the test. Returns the dict's shape as written, e.g. "(283, 64)", and the values in order.
    /// </summary>
    public static (string Shape, float[] Values) Read(byte[] file)
    {
        Assert.Equal([0x93, .. "NUMPY"u8, 1, 0], file[..8]);
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8));
        var header = Encoding.ASCII.GetString(file, 10, headerLength);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        var shape = ShapeEntry().Match(header).Groups[1].Value;
        var data = file.AsSpan(10 + headerLength);
        var values = new float[data.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
        return (shape, values);
    }

    [GeneratedRegex(@"'shape': (\([^)]*\))")]
    private static partial Regex ShapeEntry();
}
