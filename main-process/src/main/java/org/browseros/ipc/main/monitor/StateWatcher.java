package org.browseros.ipc.main.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.protocol.state.StateSync;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Subscribes to the synchronized state like a connection does, logs every version change in one
 * summarized line ({@link #STATE}) and keeps the current tree for the inspector, which asks for it
 * ({@link GetView}). The tree is updated in place: a copy per delta cost as many puts as there are
 * paths, and with 10,000 tabs that copy was the largest part of main's CPU while tabs were opened.
 * A copy is made only when the inspector asks.
 */
public final class StateWatcher extends AbstractBehavior<StateWatcher.Command> {
  /** One INFO line per state version. */
  public static final Logger STATE = LoggerFactory.getLogger("org.browseros.ipc.monitor.state");
  private static final int LISTED_PATHS = 8;
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

  public interface Command {}

  /** The current tree, as an immutable copy. */
  public record GetView(ActorRef<View> replyTo) implements Command {}

  private record Synced(StateSync sync) implements Command {}

  /** The state at one version: immutable. */
  public record View(long version, Map<String, JsonNode> state) {}

  public static Behavior<Command> create(CoreApi core) {
    return Behaviors.setup(context -> new StateWatcher(context, core));
  }

  /** What the inspector reads: asks the watcher for its current tree. */
  public static Supplier<CompletionStage<View>> views(ActorRef<Command> watcher, Scheduler scheduler) {
    return () -> AskPattern.ask(watcher, GetView::new, ASK_TIMEOUT, scheduler);
  }

  private final CoreApi core;
  private final ActorRef<StateSync> subscriber;
  private final TreeMap<String, JsonNode> state = new TreeMap<>();
  private long version;

  private StateWatcher(ActorContext<Command> context, CoreApi core) {
    super(context);
    this.core = core;
    this.subscriber = context.messageAdapter(StateSync.class, Synced::new);
    core.subscribeState(subscriber);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Synced.class, this::onSynced)
        .onMessage(GetView.class, this::onGetView)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<Command> onSynced(Synced synced) {
    StateSync sync = synced.sync();
    if (!sync.snapshot() && sync.version() != version + 1) {
      getContext().getLog().debug("State gap: have [{}], got delta [{}]; asking for a snapshot", version, sync.version());
      core.requestSnapshot(subscriber);
      return this;
    }
    if (sync.snapshot()) {
      state.clear();
    }
    state.putAll(sync.set());
    sync.removed().forEach(state::remove);
    version = sync.version();
    MDC.put(IpcMonitor.MDC_CHANNEL, "state:sync");
    try {
      STATE.info("State v{} ({}): {} set, {} removed [{}]", sync.version(), sync.snapshot() ? "snapshot" : "delta",
          sync.set().size(), sync.removed().size(), summary(sync));
    } finally {
      MDC.remove(IpcMonitor.MDC_CHANNEL);
    }
    return this;
  }

  private Behavior<Command> onGetView(GetView get) {
    get.replyTo().tell(new View(version, Collections.unmodifiableMap(new TreeMap<>(state))));
    return this;
  }

  private static String summary(StateSync sync) {
    String set = sync.set().keySet().stream().sorted().limit(LISTED_PATHS).collect(Collectors.joining(", "));
    String removed = sync.removed().stream().limit(LISTED_PATHS).map(p -> "-" + p).collect(Collectors.joining(", "));
    String both = set.isEmpty() ? removed : removed.isEmpty() ? set : set + ", " + removed;
    int more = sync.set().size() + sync.removed().size() - 2 * LISTED_PATHS;
    return more > 0 ? both + ", …" : both;
  }

  private Behavior<Command> onPostStop(PostStop signal) {
    core.unsubscribeState(subscriber);
    return this;
  }
}
