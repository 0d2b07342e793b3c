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

    // Result chunks are bytes, not fields: they keep a binary form of their own (ResultChunkCodec).
    public override byte[] ToBinary(object obj) => obj is Commands.ResultChunk chunk
        ? Commands.ResultChunkCodec.Write(chunk)
        : JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), PharosJson.Options);

    public override object FromBinary(byte[] bytes, string manifest) => manifest == ChunkManifest
        ? Commands.ResultChunkCodec.Read(bytes)
        : JsonSerializer.Deserialize(bytes, MessageManifests.TypeOf(manifest), PharosJson.Options)
          ?? throw new System.Runtime.Serialization.SerializationException($"'{manifest}' deserialized to null.");

    private static readonly string ChunkManifest = MessageManifests.For(typeof(Commands.ResultChunk));
}
