package org.browseros.ipc.main.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.browseros.ipc.protocol.state.StateSync;

/**
 * The synchronized state: a flat map of paths ({@code windows/<id>}, {@code tabs/<id>},
 * {@code settings/<key>}) to JSON values with one version, +1 per change. Subscribers get a
 * snapshot at once, then deltas. Domain actors put their state after each persisted change and
 * after recovery; the hub itself is not persisted (it is rebuilt by those puts).
 *
 * <p>With a debounce window ({@code browseros.state.debounce}, 0 = off) a change after a quiet
 * window goes out at once; the changes that follow within the window are collected and go out as
 * one delta with their final values when it ends, and so on while changes keep coming. A burst
 * thus costs two deltas (its first change, then the rest), a lone change costs no delay, and no
 * change waits longer than one window. The version counts published deltas, so a replica still
 * sees {@code version + 1} or a gap. A snapshot is never delayed: pending changes are published
 * first, then the snapshot.
 *
 * <p>The window's end comes from a JDK timer thread ({@link #create()}), not from the actor
 * system's scheduler: the core system's scheduler ticks every 100 ms to save idle CPU
 * (docs/PERFORMANCE.md, "Idle CPU and start-up"), which would stretch a 5 ms window to up to
 * 200 ms. The timer thread sleeps until a window ends and not at all while the state is quiet.
 */
public final class StateHub extends AbstractBehavior<StateHub.Command> {

  public interface Command {}

  /** Sets a path; a value equal to the current one is not a change. */
  public record Put(String path, JsonNode value) implements Command {}

  public record Remove(String path) implements Command {}

  public record Subscribe(ActorRef<StateSync> subscriber) implements Command {}

  public record Unsubscribe(ActorRef<StateSync> subscriber) implements Command {}

  public record GetSnapshot(ActorRef<StateSync> replyTo) implements Command {}

  private record SubscriberTerminated(ActorRef<StateSync> subscriber) implements Command {}

  private enum Flush implements Command { INSTANCE }

  /** The end of the debounce window opened as {@code generation} (JDK timer; stale ones are ignored). */
  private record WindowEnded(long generation) implements Command {}

  /** One daemon thread for every hub's window ends; it only tells, so it never blocks. */
  private static final class WindowTimer {
    static final ScheduledThreadPoolExecutor EXECUTOR = create();

    private static ScheduledThreadPoolExecutor create() {
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
        Thread thread = new Thread(runnable, "browseros-state-debounce");
        thread.setDaemon(true);
        return thread;
      });
      executor.setRemoveOnCancelPolicy(true);
      return executor;
    }
  }

  /** The config key of the debounce window. */
  public static final String DEBOUNCE_KEY = "browseros.state.debounce";

  private final Map<String, JsonNode> state = new TreeMap<>();
  private final Set<ActorRef<StateSync>> subscribers = new HashSet<>();
  private final Duration debounce;
  // Pekko's timers (tests drive them with ManualTime), or null: the JDK timer thread.
  private final TimerScheduler<Command> timers;
  private ScheduledFuture<?> window;
  private long windowGeneration;
  // Changes since the last published delta (debounce on only).
  private final Map<String, JsonNode> pendingSet = new HashMap<>();
  private final Set<String> pendingRemoved = new LinkedHashSet<>();
  private long version;

  /** The hub with the debounce window of the actor system's config ({@value #DEBOUNCE_KEY}, absent = off). */
  public static Behavior<Command> create() {
    return Behaviors.setup(context -> {
      Config config = context.getSystem().settings().config();
      Duration debounce = config.hasPath(DEBOUNCE_KEY) ? config.getDuration(DEBOUNCE_KEY) : Duration.ZERO;
      return new StateHub(context, null, debounce);
    });
  }

  /**
   * The hub with a given debounce window (zero publishes one delta per change), its windows timed by
   * the actor system's scheduler: as precise as that scheduler's tick (tests, with ManualTime).
   */
  public static Behavior<Command> create(Duration debounce) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new StateHub(context, timers, debounce)));
  }

  /** The hub with a given debounce window timed by a JDK timer thread, as {@link #create()} is. */
  public static Behavior<Command> createWithTimerThread(Duration debounce) {
    return Behaviors.setup(context -> new StateHub(context, null, debounce));
  }

  private StateHub(ActorContext<Command> context, TimerScheduler<Command> timers, Duration debounce) {
    super(context);
    this.timers = timers;
    this.debounce = debounce.isNegative() ? Duration.ZERO : debounce;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Put.class, this::onPut)
        .onMessage(Remove.class, this::onRemove)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessage(GetSnapshot.class, this::onGetSnapshot)
        .onMessage(SubscriberTerminated.class, this::onSubscriberTerminated)
        .onMessage(Flush.class, flush -> onFlush())
        .onMessage(WindowEnded.class, this::onWindowEnded)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onPut(Put put) {
    if (put.path() == null || put.value() == null) {
      getContext().getLog().warn("Ignoring put without path or value [{}]", put.path());
      return this;
    }
    if (put.value().equals(state.get(put.path()))) {
      return this;
    }
    state.put(put.path(), put.value());
    if (debounce.isZero()) {
      publish(new StateSync(++version, false, Map.of(put.path(), put.value()), List.of()));
    } else {
      pendingRemoved.remove(put.path());
      pendingSet.put(put.path(), put.value());
      scheduleFlush();
    }
    return this;
  }

  private Behavior<Command> onRemove(Remove remove) {
    if (remove.path() == null || state.remove(remove.path()) == null) {
      return this;
    }
    if (debounce.isZero()) {
      publish(new StateSync(++version, false, Map.of(), List.of(remove.path())));
    } else {
      pendingSet.remove(remove.path());
      pendingRemoved.add(remove.path());
      scheduleFlush();
    }
    return this;
  }

  // The timer runs while deltas went out within the last window: no timer means quiet, so the
  // change goes out now and opens a window; with one, it waits for the window's end.
  private void scheduleFlush() {
    if (!windowOpen()) {
      flushPending();
      openWindow();
    }
  }

  private Behavior<Command> onFlush() {
    if (!pendingSet.isEmpty() || !pendingRemoved.isEmpty()) {
      flushPending();
      openWindow();
    }
    return this;
  }

  private Behavior<Command> onWindowEnded(WindowEnded ended) {
    if (window == null || ended.generation() != windowGeneration) {
      return this;
    }
    window = null;
    return onFlush();
  }

  private Behavior<Command> onPostStop() {
    closeWindow();
    return this;
  }

  private boolean windowOpen() {
    return timers != null ? timers.isTimerActive(Flush.INSTANCE) : window != null;
  }

  private void openWindow() {
    if (timers != null) {
      timers.startSingleTimer(Flush.INSTANCE, debounce);
      return;
    }
    long generation = ++windowGeneration;
    ActorRef<Command> self = getContext().getSelf();
    window = WindowTimer.EXECUTOR.schedule(() -> self.tell(new WindowEnded(generation)), debounce.toNanos(),
        TimeUnit.NANOSECONDS);
  }

  private void closeWindow() {
    if (timers != null) {
      timers.cancel(Flush.INSTANCE);
    } else if (window != null) {
      window.cancel(false);
      window = null;
    }
  }

  private void flushPending() {
    closeWindow();
    if (pendingSet.isEmpty() && pendingRemoved.isEmpty()) {
      return;
    }
    StateSync delta = new StateSync(++version, false, Map.copyOf(pendingSet), List.copyOf(pendingRemoved));
    pendingSet.clear();
    pendingRemoved.clear();
    publish(delta);
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    // Existing subscribers get the pending changes as a delta; the new one only the snapshot.
    flushPending();
    if (subscribers.add(subscribe.subscriber())) {
      getContext().watchWith(subscribe.subscriber(), new SubscriberTerminated(subscribe.subscriber()));
      getContext().getLog().debug("State subscriber [{}] added", subscribe.subscriber().path());
    }
    subscribe.subscriber().tell(snapshot());
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe unsubscribe) {
    if (subscribers.remove(unsubscribe.subscriber())) {
      getContext().unwatch(unsubscribe.subscriber());
    }
    return this;
  }

  private Behavior<Command> onGetSnapshot(GetSnapshot get) {
    flushPending();
    get.replyTo().tell(snapshot());
    return this;
  }

  private Behavior<Command> onSubscriberTerminated(SubscriberTerminated terminated) {
    subscribers.remove(terminated.subscriber());
    getContext().getLog().debug("State subscriber [{}] terminated, dropped", terminated.subscriber().path());
    return this;
  }

  private StateSync snapshot() {
    return new StateSync(version, true, Map.copyOf(state), List.of());
  }

  private void publish(StateSync delta) {
    for (ActorRef<StateSync> subscriber : subscribers) {
      subscriber.tell(delta);
    }
  }
}
