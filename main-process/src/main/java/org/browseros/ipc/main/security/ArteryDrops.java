package org.browseros.ipc.main.security;

import java.util.EnumMap;
import java.util.Map;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.DeadLetterActorRef;
import org.apache.pekko.actor.EmptyLocalActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.event.Logging;

/**
 * Counts what the edge's Artery transport drops before any of our actors sees it, by
 * {@link Kind}, and logs one WARN line per drop (at most {@link #WARN_PER_SECOND} a second per kind;
 * the next line says how many were not logged). Subscribes to the edge system's event stream:
 *
 * <ul>
 *   <li>untrusted-mode drops: DEBUG events of Artery's {@code MessageDispatcher}, which
 *       {@link ArteryDropFilter} publishes (Pekko publishes nothing else for them);</li>
 *   <li>messages to a path where no actor lives: the {@link DeadLetter} Pekko publishes with the
 *       looked-up empty reference as recipient;</li>
 *   <li>handshakes addressed to another system name (say {@code pekko://core@<edge port>}): the
 *       WARN event of Artery's {@code InboundHandshake}.</li>
 * </ul>
 *
 * The text of Pekko's log events is matched: checked against Pekko 1.7.0, and
 * {@code HostileRendererEndToEndTest} fails if a Pekko upgrade changes it.
 */
public final class ArteryDrops extends AbstractBehavior<ArteryDrops.Command> {

  /** What was dropped. {@link #key()} is the name in the stats JSON and the log. */
  public enum Kind {
    /** An actor selection to a path other than the trusted ones, or carrying a PossiblyHarmful message. */
    SELECTION("selection"),
    /** A system message: watch, unwatch, terminate, create, ... */
    SYSTEM_MESSAGE("system-message"),
    /** Any other PossiblyHarmful message: PoisonPill, Kill, ReceiveTimeout, ... */
    POSSIBLY_HARMFUL("possibly-harmful"),
    /** A message to the remote daemon (remote deployment). */
    DAEMON("daemon"),
    /** A message to a path where no actor lives. */
    UNKNOWN_RECIPIENT("unknown-recipient"),
    /** A handshake request addressed to another actor system than the edge. */
    WRONG_ADDRESS("wrong-address");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  /** Where the counts go: the IPC monitor. */
  public interface Sink {
    void dropped(Kind kind);
  }

  public interface Command {}

  private record Logged(Logging.LogEvent event) implements Command {}

  private record DeadLettered(DeadLetter deadLetter) implements Command {}

  static final int WARN_PER_SECOND = 5;
  private static final String HANDSHAKE_CLASS = "org.apache.pekko.remote.artery.InboundHandshake";

  public static Behavior<Command> create(Sink sink) {
    return Behaviors.setup(context -> new ArteryDrops(context, sink));
  }

  private final Sink sink;
  private final Map<Kind, long[]> warnWindows = new EnumMap<>(Kind.class);

  private ArteryDrops(ActorContext<Command> context, Sink sink) {
    super(context);
    this.sink = sink;
    var events = context.getSystem().eventStream();
    events.tell(new EventStream.Subscribe<>(Logging.LogEvent.class, context.messageAdapter(Logging.LogEvent.class, Logged::new)));
    events.tell(new EventStream.Subscribe<>(DeadLetter.class, context.messageAdapter(DeadLetter.class, DeadLettered::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Logged.class, this::onLogged)
        .onMessage(DeadLettered.class, this::onDeadLettered)
        .build();
  }

  private Behavior<Command> onLogged(Logged logged) {
    Logging.LogEvent event = logged.event();
    String message = String.valueOf(event.message());
    if (ArteryDropFilter.isDispatcher(event.logSource())) {
      Kind kind = dispatcherKind(event, message);
      if (kind != null) {
        dropped(kind, message);
      }
    } else if (event instanceof Logging.Warning && event.logClass().getName().startsWith(HANDSHAKE_CLASS)
        && message.startsWith("Dropping Handshake Request")) {
      dropped(Kind.WRONG_ADDRESS, message);
    }
    return this;
  }

  /** The kind of an Artery MessageDispatcher log event, null if it is not about a drop. */
  static Kind dispatcherKind(Logging.LogEvent event, String message) {
    if (event instanceof Logging.Debug) {
      if (message.startsWith("dropping daemon message")) {
        return Kind.DAEMON;
      }
      if (message.contains("dropping inbound actor selection")) {
        return Kind.SELECTION;
      }
      if (message.contains("dropping inbound PossiblyHarmful message of type [org.apache.pekko.dispatch.sysmsg.")) {
        return Kind.SYSTEM_MESSAGE;
      }
      if (message.contains("dropping inbound PossiblyHarmful message")) {
        return Kind.POSSIBLY_HARMFUL;
      }
    } else if (event instanceof Logging.Error && message.startsWith("dropping message")) {
      return Kind.UNKNOWN_RECIPIENT;
    }
    return null;
  }

  private Behavior<Command> onDeadLettered(DeadLettered dead) {
    // An empty local ref is what resolving a path without an actor gives; deadLetters itself is
    // where our own stray replies go, not a drop of something sent to us.
    if (dead.deadLetter().recipient() instanceof EmptyLocalActorRef
        && !(dead.deadLetter().recipient() instanceof DeadLetterActorRef)) {
      dropped(Kind.UNKNOWN_RECIPIENT, "message [" + className(dead.deadLetter().message()) + "] to ["
          + dead.deadLetter().recipient().path() + "] from [" + dead.deadLetter().sender() + "]");
    }
    return this;
  }

  private void dropped(Kind kind, String detail) {
    sink.dropped(kind);
    long now = System.nanoTime();
    long[] window = warnWindows.computeIfAbsent(kind, k -> new long[] {now, 0, 0});
    if (now - window[0] >= 1_000_000_000L) {
      window[0] = now;
      window[1] = 0;
    }
    if (window[1] < WARN_PER_SECOND) {
      window[1]++;
      long suppressed = window[2];
      window[2] = 0;
      if (suppressed > 0) {
        getContext().getLog().warn("Edge transport dropped [{}] ({} more not logged): {}", kind.key(), suppressed, detail);
      } else {
        getContext().getLog().warn("Edge transport dropped [{}]: {}", kind.key(), detail);
      }
    } else {
      window[2]++;
    }
  }

  private static String className(Object message) {
    return message == null ? "null" : message.getClass().getName();
  }
}
