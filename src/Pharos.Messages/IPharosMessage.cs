namespace Pharos.Messages;

/// <summary>
/// Marker for every message that crosses a node boundary or is persisted. HOCON binds it to
/// <see cref="Serialization.PharosSerializer"/>, so each implementation needs a <see cref="ManifestAttribute"/>.
/// </summary>
public interface IPharosMessage;

/// <summary>Marker for events that QueueActor persists; each has a golden sample under tests/Pharos.Messages.Tests/Golden.</summary>
public interface IPersistedEvent : IPharosMessage;

/// <summary>
/// The stable, versioned name a message is stored and sent under. Never change a published manifest: add a new
/// type with the next version and keep the old one readable.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ManifestAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
