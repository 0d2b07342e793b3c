namespace Pharos.CodeGraph.Training;

/// <summary>Checks of <see cref="Node2VecOptions"/>; messages name the option as the command line spells it.</summary>
public static class Node2VecOptionsValidation
{
    public const int MaxDimensions = 4096;
    public const int MaxNegative = 100;

    /// <exception cref="ArgumentException">The first option out of range, e.g. "--dims must be from 1 to 4096 (got 0)".</exception>
    public static void Validate(this Node2VecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Dimensions is < 1 or > MaxDimensions)
            Fail($"--dims must be from 1 to {MaxDimensions} (got {options.Dimensions})");
        if (options.WalkLength < 1) Fail($"--walk-length must be at least 1 (got {options.WalkLength})");
        if (options.Context < 1) Fail($"--context must be at least 1 (got {options.Context})");
        if (options.WalksPerNode < 1) Fail($"--walks-per-node must be at least 1 (got {options.WalksPerNode})");
        if (options.Epochs < 1) Fail($"--epochs must be at least 1 (got {options.Epochs})");
        if (options.Negative is < 0 or > MaxNegative)
            Fail($"--negative must be from 0 to {MaxNegative} (got {options.Negative})");
        if (!(options.NegativeExponent is >= 0 and <= 1))
            Fail($"--ns-exponent must be from 0 to 1 (got {options.NegativeExponent})");
        if (options.Threads < 1) Fail($"--threads must be at least 1 (got {options.Threads})");
        if (!(options.P > 0) || double.IsInfinity(options.P)) Fail($"--p must be a positive number (got {options.P})");
        if (!(options.Q > 0) || double.IsInfinity(options.Q)) Fail($"--q must be a positive number (got {options.Q})");
        if (!(options.LearningRate > 0) || float.IsInfinity(options.LearningRate))
            Fail($"--lr must be a positive number (got {options.LearningRate})");
        if (!(options.MinLearningRate >= 0) || options.MinLearningRate > options.LearningRate)
            Fail($"--min-lr must be from 0 to --lr (got {options.MinLearningRate})");
    }

    private static void Fail(string message) => throw new ArgumentException(message, "options");

    /// <summary>The seed to use: the given one, or a fresh random one.</summary>
    internal static long ResolveSeed(this Node2VecOptions options) => options.Seed ?? Random.Shared.NextInt64();
}
