package org.browseros.ipc.main.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
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
import org.browseros.ipc.protocol.state.StateSync;

/**
 * The synchronized state: a flat map of paths ({@code windows/<id>}, {@code tabs/<id>},
 * {@code settings/<key>}) to JSON values with one version, +1 per change. Subscribers get a
 * snapshot at once, then one delta per change. Domain actors put their state after each persisted
 * change and after recovery; the hub itself is not persisted (it is rebuilt by those puts).
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

  private final Map<String, JsonNode> state = new TreeMap<>();
  private final Set<ActorRef<StateSync>> subscribers = new HashSet<>();
  private long version;

  public static Behavior<Command> create() {
    return Behaviors.setup(StateHub::new);
  }

  private StateHub(ActorContext<Command> context) {
    super(context);
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
    publish(new StateSync(++version, false, Map.of(put.path(), put.value()), List.of()));
    return this;
  }

  private Behavior<Command> onRemove(Remove remove) {
    if (remove.path() == null || state.remove(remove.path()) == null) {
      return this;
    }
    publish(new StateSync(++version, false, Map.of(), List.of(remove.path())));
    return this;
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
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
