using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;
using Pharos.Actors.Configuration;

namespace Pharos.Actors.Membership.Transport;

/// <summary>The certificates <see cref="MutualTlsTransport"/> uses: HOCON cannot carry them.</summary>
public sealed class ClusterTlsSetup(ClusterTls tls) : Setup
{
    public ClusterTls Tls { get; } = tls;
}

/// <summary>
/// The cluster port with mutual TLS: TCP, then TLS where both ends present a certificate that must chain to
/// PHAROS_TLS_CA (<see cref="ClusterTls.Refusal"/>; host names are not checked), then length-prefixed frames.
/// </summary>
/// <remarks>
/// Akka's DotNetty transport does TLS too, but since Akka.NET 1.5.50 any failed outgoing handshake stops the whole
/// node (exit 79), including one that fails because the peer closed the connection mid-handshake: a member that shuts
/// down (downed, or leaving) while another connects to it stopped that other node, and a rogue member could stop every
/// node that connects to it. Here a failed handshake fails that connection only: Akka.Remote gates the address and
/// tries again later, and the failure detector and the split brain resolver deal with a peer that stays out of reach.
/// A node stops (exit 79, as Akka's) only when it refuses a peer's certificate before any handshake of its own has
/// succeeded: its CA or the peer's certificate is wrong, which no retry mends.
/// </remarks>
public sealed class MutualTlsTransport : Akka.Remote.Transport.Transport
{
    /// <summary>Where its settings are; hocon/pharos.base.hocon has the fixed ones, the node's host the rest.</summary>
    public const string ConfigPath = "akka.remote.pharos-tls";

    // A peer that connects and never finishes its handshake holds a slot until handshake-timeout; past this many at
    // once, new connections are closed at once rather than buffered.
    private const int MaxPendingHandshakes = 64;

    private readonly ClusterTls _tls;
    private readonly ILoggingAdapter _log;
    private readonly string _host;
    private readonly int _port;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _handshakeTimeout;
    private readonly TaskCompletionSource<IAssociationEventListener> _associations = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<long, TlsAssociationHandle> _handles = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SslStreamCertificateContext _certificate;
    private TcpListener? _listener;
    private Address? _localAddress;
    private long _nextHandle;
    private int _pendingHandshakes;
    private volatile bool _anyHandshakeSucceeded;

    public MutualTlsTransport(ActorSystem system, Config config)
    {
        System = system;
        Config = config;
        var setup = system.Settings.Setup.Get<ClusterTlsSetup>();
        _tls = setup.HasValue ? setup.Value.Tls
            : throw new ConfigurationException($"{nameof(MutualTlsTransport)} needs a {nameof(ClusterTlsSetup)} in the actor system's setup.");
        _log = Logging.GetLogger(system, typeof(MutualTlsTransport));
        _host = config.GetString("hostname");
        _port = config.GetInt("port");
        _connectTimeout = config.GetTimeSpan("connection-timeout");
        _handshakeTimeout = config.GetTimeSpan("handshake-timeout");
        MaximumPayloadBytes = config.GetByteSize("maximum-frame-size") ?? 1024 * 1024;
        SchemeIdentifier = "ssl.tcp";
        _certificate = SslStreamCertificateContext.Create(_tls.Certificate, additionalCertificates: null, offline: true);
    }

    public override bool IsResponsibleFor(Address remote) => true;

    public override Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var listener = new TcpListener(BindAddress(_host), _port);
        // A node restarted on its fixed port binds again at once, whatever connections of its last run linger.
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start(backlog: 1024);
        _listener = listener;
        var address = new Address(SchemeIdentifier, System.Name, _host, ((IPEndPoint)listener.LocalEndpoint).Port);
        _localAddress = address;
        // Remoting registers its listener once it knows every transport's address; connections wait in the backlog.
        _associations.Task.ContinueWith(registered => _ = AcceptLoop(listener, registered.Result),
            TaskContinuationOptions.OnlyOnRanToCompletion);
        return Task.FromResult((address, _associations));
    }

    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        var local = _localAddress ?? throw new InvalidOperationException("The transport associates only once it listens.");
        if (remoteAddress.Host is not { } host || remoteAddress.Port is not { } port)
            throw new InvalidAssociationException($"{remoteAddress} names no host and port.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var refusal = new StrongBox<string?>();
        try
        {
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                deadline.CancelAfter(_connectTimeout);
                await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
            }
            var stream = await HandshakeAsync(socket, remoteAddress, asServer: false, refusal).ConfigureAwait(false);
            return Track(new TlsAssociationHandle(local, remoteAddress, stream, (int)MaximumPayloadBytes, _log, Forget));
        }
        catch (Exception e) when (e is not InvalidAssociationException)
        {
            socket.Dispose();
            if (refusal.Value is { } refused && !_anyHandshakeSucceeded) StopMisconfigured(remoteAddress, refused);
            // Akka.Remote gates the address for a few seconds and tries again; this node goes on.
            throw new InvalidAssociationException($"No TLS connection to {remoteAddress}: {Describe(e, refusal.Value)}", e);
        }
    }

    public override async Task<bool> Shutdown()
    {
        _stopping.Cancel();
        _listener?.Stop();
        var handles = _handles.Values.ToList();
        foreach (var handle in handles) handle.Disassociate("the node is shutting down", _log);
        // What is queued is flushed, within a bound: a peer that stopped reading does not hold up the shutdown.
        await Task.WhenAny(Task.WhenAll(handles.Select(h => h.Closed)), Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        return true;
    }

    private async Task AcceptLoop(TcpListener listener, IAssociationEventListener associations)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested) return;
                _log.Warning("Accepting a cluster connection failed: {0}", e.Message);
                continue;
            }
            if (Interlocked.Increment(ref _pendingHandshakes) > MaxPendingHandshakes)
            {
                Interlocked.Decrement(ref _pendingHandshakes);
                _log.Warning("Turned away a cluster connection from {0}: {1} handshakes are already under way",
                    socket.RemoteEndPoint, MaxPendingHandshakes);
                socket.Dispose();
                continue;
            }
            _ = AcceptAsync(socket, associations);
        }
    }

    private async Task AcceptAsync(Socket socket, IAssociationEventListener associations)
    {
        var endpoint = (IPEndPoint)socket.RemoteEndPoint!;
        var peer = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        var remoteAddress = new Address(SchemeIdentifier, System.Name, peer.ToString(), endpoint.Port);
        var refusal = new StrongBox<string?>();
        SslStream stream;
        try
        {
            socket.NoDelay = true;
            stream = await HandshakeAsync(socket, remoteAddress, asServer: true, refusal).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever one connection does, it fails alone. A refused certificate was logged by Refusal already.
            socket.Dispose();
            if (!_stopping.IsCancellationRequested && refusal.Value is null)
                _log.Warning("Turned away a cluster connection from {0}: {1}", remoteAddress, Describe(e, null));
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _pendingHandshakes);
        }
        var handle = Track(new TlsAssociationHandle(_localAddress!, remoteAddress, stream, (int)MaximumPayloadBytes, _log, Forget));
        associations.Notify(new InboundAssociation(handle));
    }

    /// <summary>
    /// The TLS handshake on a connected socket, as either side, within handshake-timeout: this node presents its
    /// certificate, and the peer's must chain to the cluster CA (why not, if not, in <paramref name="refusal"/>).
    /// </summary>
    private async Task<SslStream> HandshakeAsync(Socket socket, Address peer, bool asServer, StrongBox<string?> refusal)
    {
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            deadline.CancelAfter(_handshakeTimeout);
            RemoteCertificateValidationCallback validate = (_, certificate, _, _) => (refusal.Value = Refusal(certificate, peer)) is null;
            if (asServer)
            {
                await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _certificate,
                    ClientCertificateRequired = true,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = validate,
                }, deadline.Token).ConfigureAwait(false);
            }
            else
            {
                await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = peer.Host,
                    ClientCertificateContext = _certificate,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = validate,
                }, deadline.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _anyHandshakeSucceeded = true;
        return stream;
    }

    /// <summary>Null when the peer's certificate chains to the cluster CA; why not otherwise (logged here, once).</summary>
    private string? Refusal(X509Certificate? certificate, Address peer)
    {
        var refusal = _tls.Refusal(certificate switch
        {
            null => null,
            X509Certificate2 full => full,
            _ => X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()),
        });
        if (refusal is not null) _log.Warning("Refused the TLS connection with {0}: {1}", peer, refusal);
        return refusal;
    }

    private void StopMisconfigured(Address peer, string refusal)
    {
        _log.Error("Stopping: this node refused the certificate of {0} before any TLS handshake of its own succeeded ({1}). " +
                   "PHAROS_TLS_CA must be the CA that issued the cluster's certificates.", peer, refusal);
        CoordinatedShutdown.Get(System).Run(new ClusterTlsRefusedReason(refusal));
    }

    private TlsAssociationHandle Track(TlsAssociationHandle handle)
    {
        _handles[handle.Id = Interlocked.Increment(ref _nextHandle)] = handle;
        return handle;
    }

    private void Forget(TlsAssociationHandle handle) => _handles.TryRemove(handle.Id, out _);

    private static string Describe(Exception e, string? refusal) => refusal ?? e switch
    {
        OperationCanceledException => "no answer in time",
        _ when e.InnerException is { } inner => $"{e.GetType().Name}: {e.Message} ({inner.Message})",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static IPAddress BindAddress(string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address)) return address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
    }
}

/// <summary>Why a node stopped itself: it refused a peer's certificate before any handshake of its own succeeded.</summary>
public sealed class ClusterTlsRefusedReason(string refusal) : CoordinatedShutdown.Reason
{
    /// <summary>Akka's own code for a node stopped by TLS, which deployments already know.</summary>
    public override int ExitCode => 79;

    public override string ToString() => $"The cluster TLS certificates do not match: {refusal}";
}
