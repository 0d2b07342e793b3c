using System.Runtime.Serialization;
using System.Text;
using Akka.Serialization;

namespace Pharos.Persistence.Testing;

/// <summary>An event no serializer can write: bound to <see cref="FailingSerializer"/>.</summary>
public sealed record Unserializable(string Name);

/// <summary>Throws on every ToBinary, as a serializer does for a type it cannot handle.</summary>
public sealed class FailingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override int Identifier => 7_345_001;
    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType().Name} cannot be serialized (by design of the test)");

    public override object FromBinary(byte[] bytes, Type? type) =>
        throw new SerializationException("nothing was ever written by this serializer");
}

/// <summary>An event written by a serializer with an explicit, versioned string manifest.</summary>
public sealed record ManifestedEvent(string Text, int Version);

/// <summary>
/// Writes <see cref="ManifestedEvent"/> as UTF-8 text under the manifest "ev.v{Version}"; reading needs the manifest
/// back, so a round trip proves the plugin keeps the manifest with the event.
/// </summary>
public sealed class ManifestedSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override int Identifier => 7_345_002;

    public override string Manifest(object o) => o is ManifestedEvent e
        ? "ev.v" + e.Version
        : throw new ArgumentException($"cannot serialize {o.GetType()}");

    public override byte[] ToBinary(object obj) => Encoding.UTF8.GetBytes(((ManifestedEvent)obj).Text);

    public override object FromBinary(byte[] bytes, string manifest) =>
        manifest.StartsWith("ev.v", StringComparison.Ordinal)
            ? new ManifestedEvent(Encoding.UTF8.GetString(bytes), int.Parse(manifest[4..]))
            : throw new SerializationException("unknown manifest " + manifest);
}
