using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Pharos.Messages.Serialization;

/// <summary>
/// Serializes every <see cref="IPharosMessage"/> (remote messages, persisted events, snapshots) as JSON under its
/// explicit, versioned manifest. Bound by PharosAkkaHosting.WithPharosSerializer.
/// </summary>
public sealed class PharosSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Stable for the life of the journal: it is stored beside every event.</summary>
    public const int Id = 7311;

    public override int Identifier => Id;

    public override string Manifest(object o) => MessageManifests.For(o.GetType());

    public override byte[] ToBinary(object obj) =>
        JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), PharosJson.Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        JsonSerializer.Deserialize(bytes, MessageManifests.TypeOf(manifest), PharosJson.Options)
        ?? throw new System.Runtime.Serialization.SerializationException($"'{manifest}' deserialized to null.");
}
