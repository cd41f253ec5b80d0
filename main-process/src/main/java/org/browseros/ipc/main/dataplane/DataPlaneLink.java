package org.browseros.ipc.main.dataplane;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.gateway.Outbound;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.dataplane.DataPlaneOffer;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;

/**
 * A connection's transport: Artery until the renderer's data-plane socket is attached, then the
 * socket for every envelope (session messages stay on Artery, except the acks of heartbeats that
 * came over the socket: {@link #ackOverSocket}). Used on the connection's thread only.
 *
 * <p>The switch keeps order in both directions: main sends {@link DataPlaneWire#SWITCH} over Artery
 * right before its first envelope on the socket, and the renderer does the same; envelopes that
 * come over the socket before the renderer's marker came over Artery are held back until it has.
 */
public final class DataPlaneLink implements Outbound {
  private final Outbound artery;
  private final DataPlaneServer server;
  private final ArrayDeque<Envelope> held = new ArrayDeque<>();
  private String token;
  private DataPlaneServer.Session session;
  private boolean rendererSwitched;

  public DataPlaneLink(Outbound artery, DataPlaneServer server) {
    this.artery = artery;
    this.server = server;
  }

  @Override
  public void send(ToRenderer message) {
    if (session != null && message instanceof Envelope envelope) {
      session.send(envelope);
    } else {
      artery.send(message);
    }
  }

  /** The payload limit while this link is in use: the data plane's once attached, else {@code arteryLimit}. */
  public int payloadLimit(int arteryLimit) {
    return session != null ? server.maxPayloadBytes() : arteryLimit;
  }

  public boolean isAttached() {
    return session != null;
  }

  /**
   * The answer to the renderer's {@link DataPlaneWire#OPEN}.
   *
   * @throws IpcException NOT_FOUND when the data plane is off, CONFLICT when it was opened already
   */
  public DataPlaneOffer open(ActorRef<ToMain> connection, String rendererId) {
    if (token != null) {
      throw new IpcException(ErrorCode.CONFLICT, "The data plane was opened already");
    }
    DataPlaneOffer offer = server.offer(connection, rendererId);
    token = offer.token();
    return offer;
  }

  /** The renderer's socket presented the token: the marker goes over Artery, then everything over the socket. */
  public void attached(DataPlaneServer.Session attachedSession) {
    if (session != null) {
      attachedSession.close("a second data-plane socket for one connection");
      return;
    }
    artery.send(DataPlaneWire.switchMarker());
    session = attachedSession;
  }

  /** Whether a socket envelope must wait for the renderer's marker (then it is kept, in order). */
  public boolean hold(Envelope envelope) {
    if (rendererSwitched) {
      return false;
    }
    held.add(envelope);
    return true;
  }

  /** The renderer's marker came over Artery: the envelopes held back, in order, to handle now. */
  public List<Envelope> rendererSwitched() {
    rendererSwitched = true;
    List<Envelope> out = new ArrayList<>(held);
    held.clear();
    return out;
  }

  /** Whether {@code s} is this connection's attached socket (not a second one being refused). */
  public boolean isCurrent(DataPlaneServer.Session s) {
    return s != null && s == session;
  }

  /** Acks a heartbeat that came over the socket, over the socket: main's edge (Artery, TLS) stays quiet while idle. */
  public void ackOverSocket(HeartbeatAck ack) {
    session.sendHeartbeatAck(ack);
  }

  /** The connection handled one socket envelope. */
  public void processed() {
    if (session != null) {
      session.processed(1);
    }
  }

  /** The connection stopped: the socket closes and an unused token is forgotten. */
  public void close() {
    if (token != null) {
      server.revoke(token);
    }
    if (session != null) {
      session.close("connection closed");
    }
  }
}
