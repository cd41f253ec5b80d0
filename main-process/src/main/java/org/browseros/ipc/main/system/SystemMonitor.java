package org.browseros.ipc.main.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.browseros.ipc.protocol.system.PowerState;
import org.browseros.ipc.protocol.system.SystemEvent;

/**
 * System facts for renderers: the power state (read from sysfs on demand), a fan-out of
 * {@link SystemEvent}s to subscribers, and a periodic low-memory check that publishes
 * {@code low-memory} once per crossing of the threshold.
 */
public final class SystemMonitor extends AbstractBehavior<SystemMonitor.Command> {

  public interface Command {}

  public record GetPowerState(ActorRef<PowerState> replyTo) implements Command {}

  public record Subscribe(ActorRef<SystemEvent> subscriber) implements Command {}

  public record Unsubscribe(ActorRef<SystemEvent> subscriber) implements Command {}

  public record Publish(SystemEvent event) implements Command {}

  private enum CheckMemory implements Command { INSTANCE }

  private record SubscriberTerminated(ActorRef<SystemEvent> subscriber) implements Command {}

  private final Path powerSupplyDir;
  private final double threshold;
  private final DoubleSupplier heapUsage;
  private final Set<ActorRef<SystemEvent>> subscribers = new HashSet<>();
  private boolean lowMemoryArmed = true;

  /** The heap used/max ratio of this JVM. */
  public static double heapUsage() {
    Runtime rt = Runtime.getRuntime();
    return (double) (rt.totalMemory() - rt.freeMemory()) / rt.maxMemory();
  }

  public static Behavior<Command> create(Path powerSupplyDir, Duration checkInterval, double threshold) {
    return create(powerSupplyDir, checkInterval, threshold, SystemMonitor::heapUsage);
  }

  /** As {@link #create(Path, Duration, double)} with the heap usage measured by {@code heapUsage}. */
  public static Behavior<Command> create(
      Path powerSupplyDir, Duration checkInterval, double threshold, DoubleSupplier heapUsage) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new SystemMonitor(context, timers, powerSupplyDir, checkInterval, threshold, heapUsage)));
  }

  private SystemMonitor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Path powerSupplyDir,
      Duration checkInterval,
      double threshold,
      DoubleSupplier heapUsage) {
    super(context);
    this.powerSupplyDir = powerSupplyDir;
    this.threshold = threshold;
    this.heapUsage = heapUsage;
    timers.startTimerWithFixedDelay(CheckMemory.INSTANCE, checkInterval);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetPowerState.class, this::onGetPowerState)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessage(Publish.class, this::onPublish)
        .onMessageEquals(CheckMemory.INSTANCE, this::onCheckMemory)
        .onMessage(SubscriberTerminated.class, this::onSubscriberTerminated)
        .build();
  }

  private Behavior<Command> onGetPowerState(GetPowerState get) {
    get.replyTo().tell(PowerSupply.read(powerSupplyDir));
    return this;
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    if (subscribers.add(subscribe.subscriber())) {
      getContext().watchWith(subscribe.subscriber(), new SubscriberTerminated(subscribe.subscriber()));
    }
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe unsubscribe) {
    if (subscribers.remove(unsubscribe.subscriber())) {
      getContext().unwatch(unsubscribe.subscriber());
    }
    return this;
  }

  private Behavior<Command> onPublish(Publish publish) {
    getContext().getLog().debug("System event [{}]: {}", publish.event().kind(), publish.event().detail());
    for (ActorRef<SystemEvent> subscriber : subscribers) {
      subscriber.tell(publish.event());
    }
    return this;
  }

  private Behavior<Command> onCheckMemory() {
    double usage = heapUsage.getAsDouble();
    if (usage > threshold && lowMemoryArmed) {
      lowMemoryArmed = false;
      String percent = String.format(Locale.ROOT, "%.0f", usage * 100);
      getContext().getLog().warn("Low memory: heap {}% used (threshold {})", percent, threshold);
      getContext().getSelf().tell(new Publish(new SystemEvent(
          SystemEvent.LOW_MEMORY, null, "Heap " + percent + "% used",
          Map.of("heapUsedPercent", percent), System.currentTimeMillis())));
    } else if (usage <= threshold && !lowMemoryArmed) {
      lowMemoryArmed = true;
    }
    return this;
  }

  private Behavior<Command> onSubscriberTerminated(SubscriberTerminated terminated) {
    subscribers.remove(terminated.subscriber());
    return this;
  }
}
