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
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
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

  /** The config key of the debounce window. */
  public static final String DEBOUNCE_KEY = "browseros.state.debounce";

  private final Map<String, JsonNode> state = new TreeMap<>();
  private final Set<ActorRef<StateSync>> subscribers = new HashSet<>();
  private final Duration debounce;
  private final TimerScheduler<Command> timers;
  // Changes since the last published delta (debounce on only).
  private final Map<String, JsonNode> pendingSet = new HashMap<>();
  private final Set<String> pendingRemoved = new LinkedHashSet<>();
  private long version;

  /** The hub with the debounce window of the actor system's config ({@value #DEBOUNCE_KEY}, absent = off). */
  public static Behavior<Command> create() {
    return Behaviors.setup(context -> {
      Config config = context.getSystem().settings().config();
      Duration debounce = config.hasPath(DEBOUNCE_KEY) ? config.getDuration(DEBOUNCE_KEY) : Duration.ZERO;
      return create(debounce);
    });
  }

  /** The hub with a given debounce window; zero publishes one delta per change. */
  public static Behavior<Command> create(Duration debounce) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new StateHub(context, timers, debounce)));
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
    if (!timers.isTimerActive(Flush.INSTANCE)) {
      flushPending();
      timers.startSingleTimer(Flush.INSTANCE, debounce);
    }
  }

  private Behavior<Command> onFlush() {
    if (!pendingSet.isEmpty() || !pendingRemoved.isEmpty()) {
      flushPending();
      timers.startSingleTimer(Flush.INSTANCE, debounce);
    }
    return this;
  }

  private void flushPending() {
    timers.cancel(Flush.INSTANCE);
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
