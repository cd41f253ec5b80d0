package org.browseros.ipc.main.dataplane;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.browseros.ipc.main.gateway.Connection;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.dataplane.DataPlaneOffer;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.dataplane.FrameSocket;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.ToMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Main's end of the local data plane (issue 5, docs/PERFORMANCE.md): one Unix domain socket,
 * {@code <data-dir>/run/ipc.sock} in an owner-only directory, over which local renderers exchange
 * envelopes with their {@link Connection} instead of Artery. An extension of the edge system, so a
 * connection finds it without new wiring; it serves only once {@link #start} bound the socket.
 *
 * <p>A socket belongs to no one until its first frame presents a token that a connection offered
 * its renderer over the authenticated Artery session ({@link DataPlaneWire#OPEN}): single use,
 * valid for {@link Settings#tokenTtl}. Anything else closes it. After that the socket's reader
 * thread decodes each frame into the session's queue and tells the connection {@link Arrived} when
 * the queue was idle, holding at most {@link Settings#maxInFlight} envelopes the connection has not
 * processed yet (backpressure onto the socket). Heartbeat frames skip the queue ({@link Beat}).
 */
public final class DataPlaneServer implements Extension {
  private static final Logger log = LoggerFactory.getLogger(DataPlaneServer.class);

  public static final String SOCKET_DIRECTORY = "run";
  public static final String SOCKET_FILE = "ipc.sock";

  public static final ExtensionId<DataPlaneServer> ID = new ExtensionId<>() {
    @Override
    public DataPlaneServer createExtension(ActorSystem<?> system) {
      return new DataPlaneServer(system);
    }
  };

  /** What the socket side tells a connection. */
  public interface Event extends Connection.Command {}

  /** The renderer presented this connection's token: switch the outbound over. */
  public record Attached(Session session) implements Event {}

  /**
   * Envelopes from the socket are waiting: the connection {@link Session#take takes} them all, in
   * order, and calls {@link Session#processed(int)} for those it is done with. Told once per batch,
   * not once per envelope: while the connection works through one batch the reader queues the next.
   */
  public record Arrived(Session session) implements Event {}

  /**
   * The renderer heartbeated over the socket: the connection {@link Session#takeHeartbeat takes} the
   * latest one (heartbeats that came meanwhile are coalesced: at most one is on its way).
   */
  public record Beat(Session session) implements Event {}

  /** A frame above the limit was skipped unread (counts as processed already). */
  public record Oversize(int length, int limit) implements Event {}

  /** The socket closed; {@code malformed}: the renderer broke the frame format (a bad message). */
  public record Closed(String reason, boolean malformed) implements Event {}

  /**
   * @param maxPayloadBytes the payload limit on the data plane (above Artery's): frames above it plus the
   *     envelope's fields are refused unread
   * @param maxInFlight envelopes read but not yet processed by the connection, per socket
   * @param maxQueuedBytes bytes written to a renderer that it has not read yet; beyond, it is cut off
   * @param tokenTtl how long an offered token is valid, and how long a new socket may take to present it
   */
  public record Settings(int maxPayloadBytes, int maxInFlight, long maxQueuedBytes, Duration tokenTtl) {
    public static Settings fromConfig(com.typesafe.config.Config config) {
      com.typesafe.config.Config c = config.getConfig("browseros.gateway.data-plane");
      return new Settings(
          (int) Math.min(Integer.MAX_VALUE - DataPlaneWire.ENVELOPE_OVERHEAD, c.getBytes("max-payload-size")),
          c.getInt("max-in-flight"),
          c.getBytes("max-queued-bytes"),
          c.getDuration("token-ttl"));
    }

    int maxFrame() {
      return maxPayloadBytes + DataPlaneWire.ENVELOPE_OVERHEAD;
    }
  }

  private record Offer(ActorRef<ToMain> connection, String rendererId, long expiresNanos) {}

  private final ActorSystem<?> system;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Offer> offers = new ConcurrentHashMap<>();
  private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
  private final AtomicInteger unauthenticated = new AtomicInteger();
  private final AtomicLong attached = new AtomicLong();
  private final AtomicLong envelopesIn = new AtomicLong();
  private final AtomicLong envelopesOut = new AtomicLong();
  private volatile Settings settings;
  private volatile Path socketPath;
  private volatile ServerSocketChannel server;

  private DataPlaneServer(ActorSystem<?> system) {
    this.system = system;
  }

  public static DataPlaneServer get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /**
   * Binds {@code <dataDir>/run/ipc.sock} and starts accepting. Returns false (renderers stay on
   * Artery) when the socket cannot be bound, e.g. a path above the OS limit of ~107 bytes.
   */
  public synchronized boolean start(Path dataDir, Settings settings) {
    if (server != null) {
      return true;
    }
    Path dir = dataDir.toAbsolutePath().resolve(SOCKET_DIRECTORY);
    Path path = dir.resolve(SOCKET_FILE);
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      Files.deleteIfExists(path);
      ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      this.settings = settings;
      this.socketPath = path;
      this.server = channel;
    } catch (IOException | RuntimeException e) {
      log.warn("The data plane could not bind [{}]: renderers stay on Artery", path, e);
      return false;
    }
    Thread acceptor = new Thread(this::acceptLoop, "dataplane-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    system.getWhenTerminated().thenRun(this::close);
    log.info("Data plane listening on [{}]", path);
    return true;
  }

  public boolean isServing() {
    return server != null && server.isOpen();
  }

  /** The payload limit of envelopes on the data plane. */
  public int maxPayloadBytes() {
    Settings s = settings;
    return s == null ? 0 : s.maxPayloadBytes();
  }

  public Path socketPath() {
    return socketPath;
  }

  /** Data-plane sockets that presented a valid token since start. */
  public long attachedSessions() {
    return attached.get();
  }

  /** Envelopes received over the data plane since start. */
  public long envelopesIn() {
    return envelopesIn.get();
  }

  /** Envelopes sent over the data plane since start. */
  public long envelopesOut() {
    return envelopesOut.get();
  }

  /**
   * A fresh single-use token for {@code connection}, which the renderer presents on the socket.
   *
   * @throws IpcException NOT_FOUND when the data plane is off or not bound
   */
  public DataPlaneOffer offer(ActorRef<ToMain> connection, String rendererId) {
    if (!isServing()) {
      throw new IpcException(ErrorCode.NOT_FOUND, "The data plane is not available: stay on Artery");
    }
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String token = HexFormat.of().formatHex(bytes);
    long now = System.nanoTime();
    offers.values().removeIf(o -> o.expiresNanos() - now < 0);
    offers.put(token, new Offer(connection, rendererId, now + settings.tokenTtl().toNanos()));
    return new DataPlaneOffer(socketPath.toString(), token);
  }

  /** Forgets an offered token (its connection stopped). */
  public void revoke(String token) {
    offers.remove(token);
  }

  private void acceptLoop() {
    ServerSocketChannel channel = server;
    while (channel.isOpen()) {
      SocketChannel socket;
      try {
        socket = channel.accept();
      } catch (IOException e) {
        if (channel.isOpen()) {
          log.warn("Data plane accept failed", e);
        }
        continue;
      }
      try {
        admit(socket);
      } catch (IOException | RuntimeException e) {
        log.warn("Dropping a data-plane socket", e);
        closeQuietly(socket);
      }
    }
  }

  private void admit(SocketChannel socket) throws IOException {
    // The directory is owner-only already; the peer's uid is checked too (SO_PEERCRED).
    UnixDomainPrincipal peer = socket.getOption(ExtendedSocketOptions.SO_PEERCRED);
    String me = System.getProperty("user.name");
    if (peer == null || !peer.user().getName().equals(me)) {
      log.warn("Refusing a data-plane socket of user [{}]", peer == null ? "?" : peer.user().getName());
      closeQuietly(socket);
      return;
    }
    if (unauthenticated.get() >= 16) {
      log.warn("Refusing a data-plane socket: too many sockets without a token");
      closeQuietly(socket);
      return;
    }
    Settings s = settings;
    Session session = new Session(new FrameSocket(socket, s.maxFrame(), s.maxQueuedBytes()), s);
    unauthenticated.incrementAndGet();
    session.socket.start("dataplane-reader", session);
    system.scheduler().scheduleOnce(s.tokenTtl(), session::checkAuthenticated, system.executionContext());
  }

  /** Stops accepting and closes every socket. */
  public synchronized void close() {
    ServerSocketChannel channel = server;
    if (channel == null) {
      return;
    }
    closeQuietly(channel);
    sessions.forEach(s -> s.socket.close("main is shutting down", false));
    try {
      Files.deleteIfExists(socketPath);
    } catch (IOException e) {
      log.debug("Could not delete [{}]", socketPath, e);
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** One socket: unbound until its token arrives, then one connection's data plane. */
  public final class Session implements FrameSocket.Handler {
    private final FrameSocket socket;
    private final Semaphore inFlight;
    private final int maxInFlight;
    // Read but not taken yet: one producer (the reader thread), one consumer (the connection).
    private final ConcurrentLinkedQueue<Envelope> arrived = new ConcurrentLinkedQueue<>();
    // True while an Arrived is on its way to the connection and not yet taken.
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final Arrived arrivedSignal = new Arrived(this);
    // The latest heartbeat not taken yet; a flood of them costs the connection one message.
    private final AtomicReference<Heartbeat> heartbeat = new AtomicReference<>();
    private final Beat beatSignal = new Beat(this);
    // The connection's work this reader's tells scheduled: run here once a read is handed over.
    private final InlineExecutor.Inline inline = new InlineExecutor.Inline();
    private volatile ActorRef<ToMain> connection;
    private final AtomicBoolean authenticated = new AtomicBoolean();

    private Session(FrameSocket socket, Settings settings) {
      this.socket = socket;
      this.maxInFlight = settings.maxInFlight();
      this.inFlight = new Semaphore(maxInFlight);
    }

    /** Writes an envelope to the renderer; a failure closes the socket, and the connection hears of it. */
    public void send(Envelope envelope) {
      try {
        socket.send(DataPlaneWire.envelopeParts(envelope));
        envelopesOut.incrementAndGet();
      } catch (IOException e) {
        log.debug("Data-plane write failed: {}", e.getMessage());
      }
    }

    /** Acks a heartbeat that came over this socket, over this socket. */
    public void sendHeartbeatAck(HeartbeatAck ack) {
      try {
        socket.send(DataPlaneWire.heartbeatAckFrame(ack));
      } catch (IOException e) {
        log.debug("Data-plane write failed: {}", e.getMessage());
      }
    }

    /** The latest heartbeat read and not taken yet, or null. Called by the connection on {@link Beat}. */
    public Heartbeat takeHeartbeat() {
      return heartbeat.getAndSet(null);
    }

    /**
     * The envelopes read since the last take, oldest first (at most max-in-flight). Called by the
     * connection on {@link Arrived}; envelopes the reader adds meanwhile bring another Arrived.
     */
    public List<Envelope> take() {
      // Cleared before polling: an envelope queued after this point signals again.
      signalled.set(false);
      List<Envelope> batch = new ArrayList<>(Math.min(maxInFlight, 64));
      Envelope next;
      while (batch.size() < maxInFlight && (next = arrived.poll()) != null) {
        batch.add(next);
      }
      return batch;
    }

    /** The connection is done with {@code count} taken envelopes: the reader may deliver as many more. */
    public void processed(int count) {
      if (count > 0) {
        inFlight.release(count);
      }
    }

    public void close(String reason) {
      socket.close(reason, false);
    }

    @Override
    public void frame(ByteBuffer body) throws IOException, InterruptedException {
      if (connection == null) {
        attach(DataPlaneWire.decodeToken(body));
        return;
      }
      if (DataPlaneWire.kind(body) == DataPlaneWire.KIND_HEARTBEAT) {
        // Not queued behind envelopes (it only proves the renderer alive), and not counted as one.
        if (heartbeat.getAndSet(DataPlaneWire.decodeHeartbeat(body)) == null) {
          inline.tell(connection, beatSignal);
        }
        return;
      }
      hand(DataPlaneWire.decodeEnvelope(body));
    }

    @Override
    public int split(ByteBuffer start, int length) {
      // Only once attached: before its token a socket's frames are read whole (and refused).
      return connection == null ? 0 : DataPlaneWire.envelopeHeadLength(start);
    }

    @Override
    public void frame(ByteBuffer head, byte[] payload) throws IOException, InterruptedException {
      hand(DataPlaneWire.decodeEnvelope(head, payload));
    }

    /** To the connection, in order; waits while too many are in flight (backpressure). */
    private void hand(Envelope envelope) throws InterruptedException {
      if (!inFlight.tryAcquire()) {
        // The connection may be waiting to run on this very thread: let it, then wait.
        inline.run();
        inFlight.acquire();
      }
      envelopesIn.incrementAndGet();
      arrived.add(envelope);
      if (signalled.compareAndSet(false, true)) {
        inline.tell(connection, arrivedSignal);
      }
    }

    @Override
    public void readDrained() {
      inline.run();
    }

    private void attach(String token) {
      Offer offer = offers.remove(token);
      if (offer == null || offer.expiresNanos() - System.nanoTime() < 0) {
        log.warn("Closing a data-plane socket: unknown, used or expired token");
        socket.close("unknown, used or expired token", false);
        return;
      }
      if (authenticated.compareAndSet(false, true)) {
        unauthenticated.decrementAndGet();
      }
      connection = offer.connection();
      sessions.add(this);
      attached.incrementAndGet();
      log.debug("Data plane attached for renderer [{}]", offer.rendererId());
      connection.tell(new Attached(this));
    }

    @Override
    public void oversize(int length) {
      if (connection == null) {
        socket.close("oversize frame before the token", false);
        return;
      }
      connection.tell(new Oversize(length, settings.maxFrame()));
    }

    @Override
    public void closed(String reason, boolean malformed) {
      sessions.remove(this);
      if (authenticated.compareAndSet(false, true)) {
        unauthenticated.decrementAndGet();
      }
      ActorRef<ToMain> c = connection;
      if (c != null) {
        c.tell(new Closed(reason, malformed));
      }
    }

    private void checkAuthenticated() {
      if (connection == null) {
        socket.close("no token within " + settings.tokenTtl().toMillis() + " ms", false);
      }
    }
  }
}
