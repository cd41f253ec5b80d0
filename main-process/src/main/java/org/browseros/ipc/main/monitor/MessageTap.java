package org.browseros.ipc.main.monitor;

import org.browseros.ipc.main.gateway.Outbound;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.protocol.Envelope;

/**
 * The one hook into the edge: every envelope a connection receives from its renderer, and every
 * envelope it sends to it, in the connection's own order. Called on the connection's thread, so an
 * implementation must be thread-safe, quick and must never throw.
 *
 * <p>A reply is matched to its request by {@link Envelope#inReplyTo()}; the tap sees both.
 */
public interface MessageTap {

  /** Watches nothing. */
  MessageTap NONE = new MessageTap() {
    @Override
    public void inbound(Caller caller, Envelope envelope) {}

    @Override
    public void outbound(Caller caller, Envelope envelope) {}
  };

  /** An envelope from the renderer, before any check. */
  void inbound(Caller caller, Envelope envelope);

  /** An envelope to the renderer (reply, error, push, state update, system event, invoke). */
  void outbound(Caller caller, Envelope envelope);

  /** {@code outbound}, reporting every envelope it sends to {@code tap} first. */
  static Outbound tapped(Outbound outbound, Caller caller, MessageTap tap) {
    if (tap == NONE) {
      return outbound;
    }
    return message -> {
      if (message instanceof Envelope envelope) {
        tap.outbound(caller, envelope);
      }
      outbound.send(message);
    };
  }
}
