package org.browseros.ipc.main.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.protocol.state.StateSync;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Subscribes to the synchronized state like a connection does, logs every version change in one
 * summarized line ({@link #STATE}) and keeps the current tree for the inspector.
 */
public final class StateWatcher extends AbstractBehavior<StateSync> {
  /** One INFO line per state version. */
  public static final Logger STATE = LoggerFactory.getLogger("org.browseros.ipc.monitor.state");
  private static final int LISTED_PATHS = 8;

  /** The state as last seen: immutable, replaced on every version. */
  public record View(long version, Map<String, JsonNode> state) {
    public static final View EMPTY = new View(0, Map.of());
  }

  public static Behavior<StateSync> create(CoreApi core, AtomicReference<View> view) {
    return Behaviors.setup(context -> new StateWatcher(context, core, view));
  }

  private final CoreApi core;
  private final AtomicReference<View> view;

  private StateWatcher(ActorContext<StateSync> context, CoreApi core, AtomicReference<View> view) {
    super(context);
    this.core = core;
    this.view = view;
    core.subscribeState(context.getSelf());
  }

  @Override
  public Receive<StateSync> createReceive() {
    return newReceiveBuilder()
        .onMessage(StateSync.class, this::onStateSync)
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<StateSync> onStateSync(StateSync sync) {
    View current = view.get();
    if (!sync.snapshot() && sync.version() != current.version() + 1) {
      getContext().getLog().debug("State gap: have [{}], got delta [{}]; asking for a snapshot", current.version(), sync.version());
      core.requestSnapshot(getContext().getSelf());
      return this;
    }
    Map<String, JsonNode> next = new TreeMap<>(sync.snapshot() ? Map.of() : current.state());
    next.putAll(sync.set());
    sync.removed().forEach(next::remove);
    view.set(new View(sync.version(), java.util.Collections.unmodifiableMap(next)));
    MDC.put(IpcMonitor.MDC_CHANNEL, "state:sync");
    try {
      STATE.info("State v{} ({}): {} set, {} removed [{}]", sync.version(), sync.snapshot() ? "snapshot" : "delta",
          sync.set().size(), sync.removed().size(), summary(sync));
    } finally {
      MDC.remove(IpcMonitor.MDC_CHANNEL);
    }
    return this;
  }

  private static String summary(StateSync sync) {
    String set = sync.set().keySet().stream().sorted().limit(LISTED_PATHS).collect(Collectors.joining(", "));
    String removed = sync.removed().stream().limit(LISTED_PATHS).map(p -> "-" + p).collect(Collectors.joining(", "));
    String both = set.isEmpty() ? removed : removed.isEmpty() ? set : set + ", " + removed;
    int more = sync.set().size() + sync.removed().size() - 2 * LISTED_PATHS;
    return more > 0 ? both + ", …" : both;
  }

  private Behavior<StateSync> onPostStop(PostStop signal) {
    core.unsubscribeState(getContext().getSelf());
    return this;
  }
}
