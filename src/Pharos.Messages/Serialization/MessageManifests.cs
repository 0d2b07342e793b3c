using System.Collections.Frozen;
using System.Reflection;

namespace Pharos.Messages.Serialization;

/// <summary>
/// Maps every <see cref="IPharosMessage"/> type to its <see cref="ManifestAttribute"/> name and back. Built once by
/// reflection over this assembly; a message type without a manifest, or two types with one name, fail at start.
/// </summary>
public static class MessageManifests
{
    private static readonly FrozenDictionary<Type, string> ByType;
    private static readonly FrozenDictionary<string, Type> ByName;

    static MessageManifests()
    {
        var types = typeof(IPharosMessage).Assembly.GetTypes()
            .Where(t => typeof(IPharosMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToList();
        var byType = new Dictionary<Type, string>();
        var byName = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            var name = type.GetCustomAttribute<ManifestAttribute>()?.Name
                       ?? throw new InvalidOperationException($"{type.FullName} implements IPharosMessage but has no [Manifest].");
            if (!byName.TryAdd(name, type))
                throw new InvalidOperationException($"Manifest '{name}' is used by both {byName[name].FullName} and {type.FullName}.");
            byType[type] = name;
        }
        ByType = byType.ToFrozenDictionary();
        ByName = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public static IEnumerable<KeyValuePair<string, Type>> All => ByName;

    public static string For(Type type) =>
        ByType.TryGetValue(type, out var name)
            ? name
            : throw new ArgumentException($"{type.FullName} is not a Pharos message with a manifest.", nameof(type));

    public static Type TypeOf(string manifest) =>
        ByName.TryGetValue(manifest, out var type)
            ? type
            : throw new System.Runtime.Serialization.SerializationException($"Unknown Pharos manifest '{manifest}'.");
}
