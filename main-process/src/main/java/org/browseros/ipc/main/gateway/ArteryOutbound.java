package org.browseros.ipc.main.gateway;

import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.session.ToRenderer;

/** Sends to the renderer's client actor over Pekko remoting (Artery). */
public record ArteryOutbound(ActorRef<ToRenderer> renderer) implements Outbound {
  @Override
  public void send(ToRenderer message) {
    renderer.tell(message);
  }
}
