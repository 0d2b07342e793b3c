using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pharos.CodeGraph.Training;

/// <summary>
/// xoshiro256** generator: small, fast and fully determined by its seed (unlike <see cref="Random"/>, whose seeded
/// algorithm is a compatibility one and slower). A mutable struct: keep it in a local or a field, never copy it
/// to use it from two places.
/// </summary>
internal struct FastRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public FastRandom(ulong seed)
    {
        // SplitMix64 spreads any seed (even 0) over the four words of state.
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>A generator for one of several streams (threads) derived from one seed.</summary>
    public static FastRandom ForStream(long seed, int stream, ulong purpose) =>
        new(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)stream + 1) * 0xD1B54A32D192ED03UL ^ purpose));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, n) by Lemire's multiply-shift (bias below 2^-32 · n: irrelevant here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)(uint)n) >> 32);

    /// <summary>Uniform in [0, 1) with 24 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
