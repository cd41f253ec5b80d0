package org.browseros.ipc.renderer;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneOffer;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.dataplane.FrameSocket;
import org.browseros.ipc.protocol.parts.EnvelopePart;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.ToMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RendererClient}'s way to main: its connection's Artery ref, and once main offered it
 * and the socket is up, the local data plane (docs/PERFORMANCE.md) for every envelope and for the
 * heartbeats (periodic, and the progress reports every 128 envelopes) and their acks. Goodbye and
 * the handshake stay on Artery.
 * Used on the client actor's thread only, except the socket's reader, which tells the client (and
 * notes heartbeat acks itself).
 *
 * <p>After its Welcome the client asks main for the data plane ({@link DataPlaneWire#OPEN}) over
 * Artery, connects to the socket main names and presents the token. Main then sends
 * {@link DataPlaneWire#SWITCH} over Artery before its first envelope on the socket; socket envelopes
 * that overtake that marker are held until it arrives. On the marker this side sends its own over
 * Artery and uses the socket from then on, so order holds in both directions across the switch.
 * From then on callers write to the socket themselves and the reader completes their calls
 * ({@link DirectLane}).
 * If main declines or the socket cannot be reached (another machine), everything stays on Artery.
 */
final class MainLink {
  private static final Logger log = LoggerFactory.getLogger(MainLink.class);

  /** An envelope the socket's reader decoded (the client calls {@link #processed} when done). */
  record SocketEnvelope(Envelope envelope, int session) implements RendererClient.Command {}

  /** The socket closed. */
  record SocketClosed(String reason, int session) implements RendererClient.Command {}

  private final ActorRef<RendererClient.Command> client;
  private final DirectLane lane;
  private final boolean enabled;
  private final boolean heartbeats;
  private final int maxPayloadBytes;
  private final int maxFrame;
  private final long maxQueuedBytes;
  private final long sendWindow;
  private final int maxInFlight;
  private final int arteryPartBytes;
  // Per socket: a reader of an abandoned socket must not take the permits of the next one.
  private Semaphore inFlight;
  // Bumped by reset(): what an earlier session's socket still reports is stale. Volatile: the reader checks it.
  private volatile int session;
  // Main acked a heartbeat over the socket since the client last asked (set by the reader thread).
  private final AtomicBoolean acked = new AtomicBoolean();
  private final ArrayDeque<Envelope> held = new ArrayDeque<>();
  private ActorRef<ToMain> connection;
  private String openRequestId;
  private FrameSocket socket;
  private boolean switched;

  MainLink(ActorRef<RendererClient.Command> client, DirectLane lane, Config config) {
    this.client = client;
    this.lane = lane;
    Config c = config.getConfig("browseros.renderer.data-plane");
    this.enabled = c.getBoolean("enabled");
    this.heartbeats = c.getBoolean("heartbeats");
    this.maxPayloadBytes = (int) Math.min(Integer.MAX_VALUE - DataPlaneWire.ENVELOPE_OVERHEAD, c.getBytes("max-payload-size"));
    this.maxFrame = maxPayloadBytes + DataPlaneWire.ENVELOPE_OVERHEAD;
    this.maxQueuedBytes = c.getBytes("max-queued-bytes");
    this.sendWindow = Math.min(c.getBytes("send-window"), maxQueuedBytes);
    this.maxInFlight = c.getInt("max-in-flight");
    this.inFlight = new Semaphore(maxInFlight);
    this.arteryPartBytes = EnvelopePart.partBytes(config);
  }

  /** Welcomed: Artery is the way to main; ask for the data plane if it is enabled. */
  void welcomed(ActorRef<ToMain> artery) {
    connection = artery;
    if (enabled) {
      Envelope open = Envelope.command(DataPlaneWire.OPEN, new byte[0]);
      openRequestId = open.id();
      connection.tell(open);
    }
  }

  /** The payload limit of the way in use: the data plane's once switched, else {@code arteryLimit}. */
  long payloadLimit(long arteryLimit) {
    return switched ? maxPayloadBytes : arteryLimit;
  }

  /** Whether envelopes go over the data plane now. */
  boolean onDataPlane() {
    return switched;
  }

  /** Sends an envelope to main over the data plane once switched, else over Artery. */
  void tell(Envelope envelope) {
    if (switched) {
      try {
        socket.send(DataPlaneWire.envelopeParts(envelope));
      } catch (IOException e) {
        // The socket is closed: the reader reports it and the client treats the connection as lost.
        log.debug("Data-plane write failed: {}", e.getMessage());
      }
    } else if (envelope.payload().length > arteryPartBytes) {
      // Artery drops a message above its frame size: a large envelope crosses in parts, back to back.
      for (EnvelopePart part : EnvelopePart.split(envelope, arteryPartBytes)) {
        connection.tell(part);
      }
    } else {
      connection.tell(envelope);
    }
  }

  /**
   * Sends a heartbeat over the data plane once switched (main acks it there); false: not switched,
   * the caller sends it over Artery.
   */
  boolean heartbeat(Heartbeat heartbeat) {
    // The lane has the socket exactly while switched (open at the switch, closed on reset).
    return lane.heartbeatOnSocket(heartbeat);
  }

  /** Whether main acked a heartbeat over the data plane since the last call. */
  boolean ackedSinceLastAsked() {
    return acked.getAndSet(false);
  }

  /** Whether an envelope that came over Artery is this link's own (main's answer to OPEN, or its marker). */
  boolean isControl(Envelope e) {
    return (openRequestId != null && openRequestId.equals(e.inReplyTo())) || DataPlaneWire.SWITCH.equals(e.channel());
  }

  /** Handles a control envelope from Artery; returns socket envelopes that were held back, to handle now in order. */
  List<Envelope> onControl(Envelope e) {
    if (openRequestId != null && openRequestId.equals(e.inReplyTo())) {
      openRequestId = null;
      if (e.type() == MessageType.ERROR) {
        log.info("Main offers no data plane: staying on Artery");
      } else {
        connect(e.payload());
      }
      return List.of();
    }
    if (socket == null || switched) {
      log.warn("Unexpected data-plane marker from main: ignored");
      return List.of();
    }
    // Main's last envelope over Artery is handled: from here on, the socket in both directions.
    connection.tell(DataPlaneWire.switchMarker());
    switched = true;
    lane.open(socket, maxPayloadBytes, session, heartbeats);
    log.debug("Switched to the data plane");
    List<Envelope> out = new ArrayList<>(held);
    held.clear();
    return out;
  }

  /** Whether a socket envelope must wait for main's marker (then it is kept, in order). */
  boolean hold(Envelope e) {
    if (switched) {
      return false;
    }
    held.add(e);
    return true;
  }

  /** The client handled one socket envelope: the reader may deliver another. */
  void processed() {
    inFlight.release();
  }

  private void connect(byte[] payload) {
    try {
      DataPlaneOffer offer = PayloadCodec.decode(payload, DataPlaneOffer.class);
      FrameSocket s = new FrameSocket(FrameSocket.connect(Path.of(offer.path())), maxFrame, maxQueuedBytes, sendWindow);
      s.start("dataplane-reader", new Reader(s, session, inFlight));
      s.send(DataPlaneWire.tokenFrame(offer.token()));
      socket = s;
    } catch (IOException | RuntimeException e) {
      // Not on main's machine, or the socket is gone: Artery carries everything, as before.
      log.info("The data plane is not reachable ({}): staying on Artery", e.toString());
    }
  }

  /** Whether a socket's report belongs to the current session (not to one before a reconnect). */
  boolean isCurrent(int socketSession) {
    return socketSession == session;
  }

  /**
   * The session with main is gone (the client reconnects): back to Artery, and a new Welcome offers
   * a new data plane. Held envelopes belonged to the old connection and are dropped.
   */
  void reset() {
    session++;
    lane.close();
    FrameSocket s = socket;
    socket = null;
    switched = false;
    openRequestId = null;
    connection = null;
    held.clear();
    acked.set(false);
    // Unblock the old reader if it waits for a permit, so that it sees its closed socket and ends.
    inFlight.release(maxInFlight);
    inFlight = new Semaphore(maxInFlight);
    if (s != null) {
      s.close("reconnecting", false);
    }
  }

  /** Closes the socket (the client stopped). */
  void close() {
    lane.stopped();
    FrameSocket s = socket;
    if (s != null) {
      s.close("renderer closed", false);
    }
  }

  private final class Reader implements FrameSocket.Handler {
    private final FrameSocket socket;
    private final int readerSession;
    private final Semaphore permits;

    Reader(FrameSocket socket, int readerSession, Semaphore permits) {
      this.socket = socket;
      this.readerSession = readerSession;
      this.permits = permits;
    }

    @Override
    public void frame(ByteBuffer body) throws IOException, InterruptedException {
      if (DataPlaneWire.kind(body) == DataPlaneWire.KIND_HEARTBEAT_ACK) {
        DataPlaneWire.decodeHeartbeatAck(body);
        // Noted here, not handed to the actor: the next heartbeat tick reads it (one wake-up less).
        if (readerSession == session) {
          acked.set(true);
        }
        return;
      }
      hand(DataPlaneWire.decodeEnvelope(body));
    }

    @Override
    public int split(ByteBuffer start, int length) {
      return DataPlaneWire.envelopeHeadLength(start);
    }

    @Override
    public void frame(ByteBuffer head, byte[] payload) throws IOException, InterruptedException {
      hand(DataPlaneWire.decodeEnvelope(head, payload));
    }

    private void hand(Envelope envelope) throws InterruptedException {
      if (lane.deliver(envelope, readerSession, permits, maxInFlight)) {
        return;
      }
      if (socket.isReaderThread()) {
        // Interrupted only when its socket closes: what it read is the closed session's.
        permits.acquire();
      } else if (!acquireForCaller()) {
        return;
      }
      client.tell(new SocketEnvelope(envelope, readerSession));
    }

    /**
     * A permit for a caller reading for its reply (invokeSync): its own interrupt must not drop an
     * envelope it has read (the flag is kept for it), and it must not wait past its socket's close,
     * which ends the session those envelopes belong to (as the reader thread's interrupt on close does).
     */
    private boolean acquireForCaller() {
      boolean interrupted = false;
      try {
        while (true) {
          try {
            if (permits.tryAcquire(50, TimeUnit.MILLISECONDS)) {
              return true;
            }
            if (!socket.isOpen()) {
              return false;
            }
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void oversize(int length) {
      log.warn("Main sent a frame of {} bytes, above the limit of {}: skipped", length, maxFrame);
    }

    @Override
    public void closed(String reason, boolean malformed) {
      client.tell(new SocketClosed(reason, readerSession));
    }
  }
}
