package org.browseros.ipc.main.persistence;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.browseros.ipc.main.system.SystemMonitor;
import org.browseros.ipc.protocol.system.SystemEvent;

/**
 * Whether the journal is usable. A bounded probe (a real query through the journal's connection
 * pool, see {@link JournalProbe}) runs every {@code probe-interval}, and at once when a domain actor
 * reports that its journal failed ({@link #reportFailure}). The first failed probe flips the
 * journal to unavailable, the first good one back; each flip is logged, published as a
 * {@code system:event} ({@link #JOURNAL_UNAVAILABLE} / {@link #JOURNAL_RECOVERED}) and written to
 * the {@link Status} the domain reads on every invoke.
 *
 * <p>An actor's report alone never flips the state: a bad event in one entity also fails its
 * recovery, but says nothing about the journal. The probe decides.
 */
public final class JournalHealth extends AbstractBehavior<JournalHealth.Command> {

  /** {@code system:event} kind: writes are refused from now on (data: reason). */
  public static final String JOURNAL_UNAVAILABLE = "journal-unavailable";
  /** {@code system:event} kind: writes are accepted again (data: downMillis). */
  public static final String JOURNAL_RECOVERED = "journal-recovered";

  public interface Command {}

  /** The name of the thread probes run on (one per health monitor). */
  public static final String PROBE_THREAD = "journal-probe";

  /**
   * A domain actor saw its journal fail (published on the system event stream by
   * {@link #reportFailure}, so the actors need no reference to this one).
   */
  public record FailureReported(String persistenceId, String reason) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record Probed(Throwable failure) implements Command {}

  private enum ProbeEnded implements Command { INSTANCE }

  /** A blocking check of the journal; it throws when the journal cannot be used. */
  @FunctionalInterface
  public interface Probe {
    void check() throws Exception;
  }

  /**
   * The journal's availability as last decided, for callers outside actors (the domain reads it on
   * every invoke). Only the health actor writes it.
   */
  public static final class Status {
    private volatile boolean available = true;

    public boolean isAvailable() {
      return available;
    }
  }

  /**
   * @param probeInterval how often the journal is probed
   * @param probeTimeout how long a probe may take before it counts as a failure
   */
  public record Settings(Duration probeInterval, Duration probeTimeout) {
    public static final Settings DEFAULTS = new Settings(Duration.ofSeconds(1), Duration.ofSeconds(3));

    /** Reads {@code browseros.journal.health}; defaults apply when absent. */
    public static Settings fromConfig(Config config) {
      String path = "browseros.journal.health.";
      return new Settings(
          config.hasPath(path + "probe-interval") ? config.getDuration(path + "probe-interval") : DEFAULTS.probeInterval(),
          config.hasPath(path + "probe-timeout") ? config.getDuration(path + "probe-timeout") : DEFAULTS.probeTimeout());
    }
  }

  /** Tells every health monitor of the system that {@code persistenceId}'s journal failed. */
  public static void reportFailure(ActorContext<?> context, String persistenceId, Throwable cause) {
    context.getSystem().eventStream().tell(new EventStream.Publish<>(
        new FailureReported(persistenceId, String.valueOf(cause))));
  }

  public static Behavior<Command> create(
      Probe probe, Settings settings, Status status, ActorRef<SystemMonitor.Command> systemMonitor) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new JournalHealth(context, timers, probe, settings, status, systemMonitor)));
  }

  private final Probe probe;
  private final Settings settings;
  private final Status status;
  private final ActorRef<SystemMonitor.Command> systemMonitor;
  private final ExecutorService probeThread;
  private boolean probing;
  private long unavailableSince;

  private JournalHealth(
      ActorContext<Command> context, TimerScheduler<Command> timers, Probe probe, Settings settings,
      Status status, ActorRef<SystemMonitor.Command> systemMonitor) {
    super(context);
    context.setLoggerName(JournalHealth.class);
    this.probe = probe;
    this.settings = settings;
    this.status = status;
    this.systemMonitor = systemMonitor;
    // One thread of its own, idle between probes (idle CPU, issue 5, docs/PERFORMANCE.md, "Fourth round: idle CPU"): on
    // Pekko's blocking dispatcher each probe left it without tasks, which scheduled its shutdown
    // check (shutdown-timeout 1 s): one more timer a second, and its pool was now and then shut down
    // and its threads created anew. A probe that hangs still ties up only this thread.
    this.probeThread = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, PROBE_THREAD);
      thread.setDaemon(true);
      return thread;
    });
    context.getSystem().eventStream().tell(new EventStream.Subscribe<>(FailureReported.class, context.getSelf().narrow()));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.probeInterval());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(FailureReported.class, this::onFailureReported)
        .onMessage(Probed.class, this::onProbed)
        .onMessageEquals(ProbeEnded.INSTANCE, this::onProbeEnded)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onTick() {
    startProbe();
    return this;
  }

  private Behavior<Command> onFailureReported(FailureReported reported) {
    getContext().getLog().debug("Journal of [{}] failed ({}), probing", reported.persistenceId(), reported.reason());
    startProbe();
    return this;
  }

  private void startProbe() {
    if (probing) {
      return;
    }
    probing = true;
    CompletableFuture<Void> check = CompletableFuture.runAsync(() -> {
      try {
        probe.check();
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, probeThread);
    // The verdict comes by the timeout at the latest; the next probe waits until this one returned,
    // so a hanging database never ties up more than one thread.
    getContext().pipeToSelf(check.copy().orTimeout(settings.probeTimeout().toMillis(), TimeUnit.MILLISECONDS),
        (ok, failure) -> new Probed(failure));
    getContext().pipeToSelf(check, (ok, failure) -> ProbeEnded.INSTANCE);
  }

  private Behavior<Command> onPostStop() {
    probeThread.shutdownNow();
    return this;
  }

  private Behavior<Command> onProbeEnded() {
    probing = false;
    return this;
  }

  private Behavior<Command> onProbed(Probed probed) {
    boolean ok = probed.failure() == null;
    if (ok == status.isAvailable()) {
      if (!ok) {
        getContext().getLog().debug("Journal still unavailable: {}", reason(probed.failure()));
      }
      return this;
    }
    status.available = ok;
    long now = System.currentTimeMillis();
    if (ok) {
      long down = now - unavailableSince;
      getContext().getLog().info("Journal recovered after {} ms: writes are accepted again", down);
      publish(new SystemEvent(JOURNAL_RECOVERED, null, "The journal is available again: writes are accepted",
          Map.of("downMillis", Long.toString(down)), now));
    } else {
      unavailableSince = now;
      String reason = reason(probed.failure());
      getContext().getLog().warn("Journal unavailable, refusing writes until it recovers: {}", reason);
      publish(new SystemEvent(JOURNAL_UNAVAILABLE, null,
          "The journal is unavailable: writes are refused until it recovers", Map.of("reason", reason), now));
    }
    return this;
  }

  private void publish(SystemEvent event) {
    systemMonitor.tell(new SystemMonitor.Publish(event));
  }

  private String reason(Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return "no answer within " + settings.probeTimeout().toMillis() + " ms";
    }
    String message = String.valueOf(cause.getMessage());
    return cause.getClass().getSimpleName() + ": " + (message.length() > 300 ? message.substring(0, 300) + "..." : message);
  }
}
