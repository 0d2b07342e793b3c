namespace Pharos.Persistence.Sqlite;

/// <summary>
/// An event or a snapshot as Akka.Persistence.Sql stores it: the bytes of its own serializer, that serializer's id and
/// its manifest. One rule for the journal and the snapshot store.
/// </summary>
internal readonly record struct StoredPayload(byte[] Bytes, string Manifest, int SerializerId)
{
    public static StoredPayload Of(Akka.Serialization.Serialization serialization, object payload)
    {
        var serializer = serialization.FindSerializerFor(payload);
        // Inside WithTransport, as Akka.Persistence.Sql does: actor references in a payload keep this node's address.
        var bytes = Akka.Serialization.Serialization.WithTransport(serialization.System, () => serializer.ToBinary(payload));
        return new StoredPayload(bytes, Akka.Serialization.Serialization.ManifestFor(serializer, payload), serializer.Identifier);
    }

    /// <summary>The payload of a row; <paramref name="serializerId"/> null in rows of older Akka.Persistence.Sql releases.</summary>
    public static object Read(Akka.Serialization.Serialization serialization, byte[] bytes, string manifest, int? serializerId)
    {
        if (serializerId is { } id) return serialization.Deserialize(bytes, id, manifest);
        // Without a serializer id the manifest is the payload's type.
        var type = Type.GetType(manifest, throwOnError: true)!;
        return serialization.FindSerializerForType(type).FromBinary(bytes, type);
    }
}
