package org.browseros.ipc.protocol.session;

import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.CborSerializable;

/**
 * The handshake a renderer sends to the gateway ({@code /user/gateway} on the edge system).
 *
 * @param rendererId the id main launched it under (from its environment); null for a console
 * @param secret its one-time launch secret, or the devtools credential for a console
 * @param renderer where main sends envelopes, acks and the welcome
 * @param protocolVersion {@link #PROTOCOL_VERSION} of the renderer's build
 */
public record Hello(String rendererId, String secret, ActorRef<ToRenderer> renderer, int protocolVersion)
    implements ToGateway, CborSerializable {
  public static final int PROTOCOL_VERSION = 1;

  @Override
  public String toString() {
    return "Hello[rendererId=" + rendererId + ", secret=<redacted>, renderer=" + renderer
        + ", protocolVersion=" + protocolVersion + "]";
  }
}
