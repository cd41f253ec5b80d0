package org.browseros.ipc.main.gateway;

import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.parts.EnvelopePart;
import org.browseros.ipc.protocol.session.ToRenderer;

/**
 * Sends to the renderer's client actor over Pekko remoting (Artery). An envelope whose payload is
 * above {@code partBytes} goes as consecutive {@link EnvelopePart}s: Artery drops a message above
 * its {@code maximum-frame-size} (256 KiB), with no error to anyone.
 */
public record ArteryOutbound(ActorRef<ToRenderer> renderer, int partBytes) implements Outbound {

  /** Half of Artery's default maximum-frame-size (256 KiB). */
  public static final int DEFAULT_PART_BYTES = 128 * 1024;

  public ArteryOutbound(ActorRef<ToRenderer> renderer) {
    this(renderer, DEFAULT_PART_BYTES);
  }

  @Override
  public void send(ToRenderer message) {
    if (message instanceof Envelope e && e.payload().length > partBytes) {
      for (EnvelopePart part : EnvelopePart.split(e, partBytes)) {
        renderer.tell(part);
      }
    } else {
      renderer.tell(message);
    }
  }
}
