using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Pharos.Messages.Serialization;

/// <summary>
/// Takes the place of Akka's Newtonsoft JSON serializer: its name (<c>json</c>, which Akka binds to System.Object)
/// and its id (1), set in hocon/pharos.base.hocon. Newtonsoft builds whatever type a payload's <c>$type</c> names;
/// this reads nothing and writes nothing, so a payload that claims id 1 is dropped (and logged by Akka.Remote) before
/// any type is resolved, and a message that is neither a Pharos message nor one of Akka's is never sent.
/// </summary>
public sealed class RefusingJsonSerializer : SerializerWithStringManifest
{
    public const int NewtonsoftId = 1;

    public RefusingJsonSerializer(ExtendedActorSystem system) : base(system) { }

    // Akka passes akka.actor.serialization-settings.json (Newtonsoft's settings) when it creates the `json` serializer.
    public RefusingJsonSerializer(ExtendedActorSystem system, Config settings) : base(system) { }

    public override int Identifier => NewtonsoftId;

    // A manifest is never read: FromBinary(bytes, manifest) resolves no type from what a peer wrote.
    public override string Manifest(object o) => "";

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType()} has no serializer: only Pharos messages (IPharosMessage) " +
                                         "and Akka's own messages are sent.");

    public override object FromBinary(byte[] bytes, string manifest) =>
        throw new SerializationException("Refused a payload of Akka's Newtonsoft JSON serializer (id 1): only Pharos " +
                                         "messages and Akka's own messages are read.");
}
