package org.browseros.ipc.renderer;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.parts.EnvelopePart;
import org.browseros.ipc.protocol.parts.Reassembly;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Refused;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.browseros.ipc.protocol.state.StateSync;

/**
 * Main's side of the wire for tests: a gateway that welcomes (or refuses) a Hello, and a
 * connection that answers a few test channels the way main's connection would.
 *
 * <ul>
 *   <li>{@code test:echo}: replies with the request's payload
 *   <li>{@code test:fail}: replies with a VALIDATION error
 *   <li>{@code test:silent}: never replies
 *   <li>{@code test:refuse} (send): answered with a PERMISSION error
 *   <li>anything else (invoke): replies NOT_FOUND
 * </ul>
 */
public final class TestMain {
  private TestMain() {}

  public static final String SECRET = "s3cret-for-tests";
  /** Half of Artery's default frame, as main's ArteryOutbound. */
  static final int PART_BYTES = 128 * 1024;

  /** An actor system like main's edge: remote, 127.0.0.1, a free port, jackson-cbor from protocol. */
  public static Config config() {
    return ConfigFactory.parseString(String.join("\n",
            "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]",
            "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"",
            "pekko.loglevel = DEBUG",
            "pekko.actor.provider = remote",
            "pekko.remote.artery.transport = tcp",
            "pekko.remote.artery.canonical.hostname = 127.0.0.1",
            "pekko.remote.artery.canonical.port = 0"))
        .withFallback(ConfigFactory.load());
  }

  /**
   * @param refuse the error to refuse every Hello with, or null to welcome it
   * @param heartbeatMillis the interval the Welcome asks for
   * @param ackHeartbeats whether the connection acks heartbeats
   * @param initialState the snapshot pushed right after the Welcome, or null
   * @param afterWelcome an envelope sent right after the Welcome (and the snapshot), as main's first invoke or push, or null
   */
  public record Settings(
      IpcError refuse, long heartbeatMillis, boolean ackHeartbeats, StateSync initialState, Envelope afterWelcome) {
    public Settings(IpcError refuse, long heartbeatMillis, boolean ackHeartbeats, StateSync initialState) {
      this(refuse, heartbeatMillis, ackHeartbeats, initialState, null);
    }

    public static Settings welcoming(StateSync initialState) {
      return new Settings(null, 200, true, initialState);
    }
  }

  public static Behavior<ToGateway> gateway(Settings settings, ActorRef<Hello> hellos, ActorRef<Object> fromRenderer) {
    return Behaviors.setup(ctx -> Behaviors.receive(ToGateway.class)
        .onMessage(Hello.class, hello -> {
          hellos.tell(hello);
          if (settings.refuse() != null) {
            hello.renderer().tell(new Refused(settings.refuse()));
            return Behaviors.same();
          }
          if (!SECRET.equals(hello.secret())) {
            hello.renderer().tell(new Refused(IpcError.of(ErrorCode.PERMISSION, "Unknown launch secret")));
            return Behaviors.same();
          }
          String id = hello.rendererId() == null ? "console-1" : hello.rendererId();
          ActorRef<ToMain> connection = ctx.spawnAnonymous(connection(settings, hello.renderer(), fromRenderer));
          hello.renderer().tell(new Welcome(id, "standard", "default", connection, settings.heartbeatMillis()));
          if (settings.initialState() != null) {
            hello.renderer().tell(Envelope.of("state:sync", MessageType.STATE_UPDATE,
                PayloadCodec.encode(settings.initialState())));
          }
          if (settings.afterWelcome() != null) {
            hello.renderer().tell(settings.afterWelcome());
          }
          return Behaviors.same();
        })
        .build());
  }

  private static Behavior<ToMain> connection(
      Settings settings, ActorRef<ToRenderer> renderer, ActorRef<Object> fromRenderer) {
    // As main's connection: envelopes above one Artery frame arrive in parts, answers go in parts.
    Reassembly parts = new Reassembly(2 << 20, 256 * 1024, 2);
    return Behaviors.receive(ToMain.class)
        .onMessage(EnvelopePart.class, part -> {
          if (parts.accept(part) instanceof Reassembly.Complete complete) {
            fromRenderer.tell(complete.envelope());
            answer(complete.envelope(), renderer);
          }
          return Behaviors.same();
        })
        .onMessage(Heartbeat.class, hb -> {
          if (settings.ackHeartbeats()) {
            renderer.tell(new HeartbeatAck(hb.seq(), hb.sentAtNanos()));
          }
          return Behaviors.same();
        })
        .onMessage(Goodbye.class, bye -> {
          fromRenderer.tell(bye);
          return Behaviors.stopped();
        })
        .onMessage(Envelope.class, e -> {
          // The renderer asks for the data plane after its Welcome; this main offers none (NOT_FOUND below).
          if (!e.channel().startsWith("dataplane:")) {
            fromRenderer.tell(e);
          }
          answer(e, renderer);
          return Behaviors.same();
        })
        .build();
  }

  private static void tell(ActorRef<ToRenderer> renderer, Envelope e) {
    if (e.payload().length > PART_BYTES) {
      EnvelopePart.split(e, PART_BYTES).forEach(renderer::tell);
    } else {
      renderer.tell(e);
    }
  }

  private static void answer(Envelope e, ActorRef<ToRenderer> renderer) {
    if (e.isReply()) {
      return;
    }
    if (e.isRequest()) {
      switch (e.channel()) {
        case "test:echo" -> tell(renderer, e.reply(e.payload()));
        case "test:fail" -> renderer.tell(e.replyError(IpcError.of(ErrorCode.VALIDATION, "payload refused")));
        case "test:silent" -> { }
        default -> renderer.tell(e.replyError(IpcError.of(ErrorCode.NOT_FOUND, "No such channel '" + e.channel() + "'")));
      }
    } else if (e.channel().equals("test:refuse")) {
      renderer.tell(e.replyError(IpcError.of(ErrorCode.PERMISSION, "not allowed")));
    }
  }
}
