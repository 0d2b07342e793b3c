using Akka.Actor;
using Akka.Persistence;
using Google.Protobuf;

namespace Pharos.Persistence.Redis.Snapshot;

/// <summary>
/// A stored snapshot: the protobuf message Akka.Persistence.Redis writes for a <see cref="SelectedSnapshot"/>
/// (persistenceId = 1, sequenceNr = 2, timestamp = 3 as google.protobuf.Timestamp, payload = 4 as Akka's
/// PersistentPayload: serializerId = 1, payload = 2, payloadManifest = 3). The payload is deserialized only for the
/// snapshot that is chosen, so looking through large snapshots costs their bytes, not their objects.
/// </summary>
internal sealed record SnapshotEntry(SnapshotMetadata Metadata, int SerializerId, byte[] Payload, string Manifest)
{
    public static byte[] Write(ExtendedActorSystem system, SnapshotMetadata metadata, object snapshot)
    {
        var serializer = system.Serialization.FindSerializerFor(snapshot);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, snapshot);
        var payload = Akka.Serialization.Serialization.WithTransport(system, () => serializer.ToBinary(snapshot));

        var persistentPayload = Message(output =>
        {
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteInt32(serializer.Identifier);
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(payload));
            if (manifest.Length > 0)
            {
                output.WriteTag(3, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFromUtf8(manifest));
            }
        });
        var utc = DateTime.SpecifyKind(metadata.Timestamp, DateTimeKind.Utc);
        var sinceEpoch = utc - DateTime.UnixEpoch;
        var timestamp = Message(output =>
        {
            var seconds = (long)Math.Floor(sinceEpoch.TotalSeconds);
            var nanos = (int)((sinceEpoch.Ticks - seconds * TimeSpan.TicksPerSecond) * 100);
            if (seconds != 0) { output.WriteTag(1, WireFormat.WireType.Varint); output.WriteInt64(seconds); }
            if (nanos != 0) { output.WriteTag(2, WireFormat.WireType.Varint); output.WriteInt32(nanos); }
        });
        return Message(output =>
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(metadata.PersistenceId);
            output.WriteTag(2, WireFormat.WireType.Varint);
            output.WriteInt64(metadata.SequenceNr);
            output.WriteTag(3, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(timestamp));
            output.WriteTag(4, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(persistentPayload));
        });
    }

    public static SnapshotEntry Read(byte[] bytes)
    {
        string persistenceId = "";
        long sequenceNr = 0;
        var timestamp = DateTime.UnixEpoch;
        int serializerId = 0;
        byte[] payload = [];
        var manifest = "";
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: persistenceId = input.ReadString(); break;
                case 2: sequenceNr = input.ReadInt64(); break;
                case 3: timestamp = ReadTimestamp(input.ReadBytes()); break;
                case 4: (serializerId, payload, manifest) = ReadPayload(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new SnapshotEntry(new SnapshotMetadata(persistenceId, sequenceNr, timestamp), serializerId, payload, manifest);
    }

    public object Deserialize(ActorSystem system) => system.Serialization.Deserialize(Payload, SerializerId, Manifest);

    private static DateTime ReadTimestamp(ByteString bytes)
    {
        long seconds = 0;
        int nanos = 0;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: seconds = input.ReadInt64(); break;
                case 2: nanos = input.ReadInt32(); break;
                default: input.SkipLastField(); break;
            }
        }
        return DateTime.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond + nanos / 100);
    }

    private static (int SerializerId, byte[] Payload, string Manifest) ReadPayload(ByteString bytes)
    {
        int serializerId = 0;
        byte[] payload = [];
        var manifest = "";
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: serializerId = input.ReadInt32(); break;
                case 2: payload = input.ReadBytes().ToByteArray(); break;
                case 3: manifest = input.ReadBytes().ToStringUtf8(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (serializerId, payload, manifest);
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }
}
