package org.browseros.ipc.protocol;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Welcome;

/**
 * Start-up (issue 5): the first {@link Hello} and {@link Welcome} each side serializes or reads make
 * Jackson build their serializers (annotation introspection, the Scala module, reflection): about
 * 0.1-0.25 s of cold code on the 2-core VM, on the connection's critical path, after the TLS
 * handshakes. This runs that once on a background thread right after the actor system is up, on
 * samples that go nowhere (placeholder ids and secret), so that the real ones find it built. A
 * failure changes nothing: the real message pays for it, as before.
 */
public final class SessionWarmUp {
  private SessionWarmUp() {}

  /** Starts the warm-up on a daemon thread; returns at once. */
  public static void start(ActorSystem<?> system) {
    Thread thread = new Thread(() -> run(system), "session-warm-up");
    thread.setDaemon(true);
    thread.start();
  }

  /** Serializes and reads back a sample Hello, Welcome and Envelope with the system's serializers; false if that failed. */
  static boolean run(ActorSystem<?> system) {
    try {
      ActorRef<Object> nobody = system.ignoreRef();
      Serialization serialization = SerializationExtension.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
      for (Object sample : List.of(
          new Hello("warm-up", "warm-up", nobody.unsafeUpcast(), Hello.PROTOCOL_VERSION),
          new Welcome("warm-up", "warm-up", "warm-up", nobody.unsafeUpcast(), 1000, "warm-up", "warm-up"),
          Envelope.command("warm-up", new byte[0]))) {
        Serializer serializer = serialization.findSerializerFor(sample);
        byte[] bytes = serialization.serialize(sample).get();
        serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, sample)).get();
      }
      return true;
    } catch (Exception | LinkageError e) {
      system.log().debug("Session warm-up failed (the first real message pays for it): {}", e.toString());
      return false;
    }
  }
}
