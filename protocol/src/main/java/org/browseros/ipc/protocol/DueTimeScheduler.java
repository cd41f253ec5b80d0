package org.browseros.ipc.protocol;

import com.typesafe.config.Config;
import java.io.Closeable;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.SchedulerException;
import org.apache.pekko.event.LoggingAdapter;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

/**
 * An actor system's scheduler ({@code pekko.scheduler.implementation}) whose thread sleeps until
 * the next timer is due, instead of waking every {@code tick-duration} as Pekko's
 * {@code LightArrayRevolverScheduler} does whether or not anything is due (idle CPU, issue 5,
 * docs/PERFORMANCE.md "Idle CPU and start-up"). Built on a one-thread
 * {@link ScheduledThreadPoolExecutor}: a timer runs its task on the given execution context when it
 * is due (not up to a tick late), cancelled timers leave its queue at once (so they never wake it),
 * and closing it runs the pending tasks marked {@link Scheduler.TaskRunOnClose} (dispatchers' shutdown
 * actions), as Pekko's own scheduler does. The configured {@code tick-duration} is not used.
 *
 * <p>{@code pekko.scheduler.due-time-slot} (optional, default 0 = off): when set, each timer's due
 * time is rounded up to the next multiple of the slot on the JVM's monotonic clock, so that timers
 * due within one slot fire together, in one wake-up of the thread (and of the actors they wake), as
 * with a tick scheduler of that tick; unlike one, the thread still sleeps through empty slots. A
 * timer then fires up to one slot late, never early. For a system with many periodic timers (a
 * cluster node), where firing each when due woke the thread more often than ticks did.
 */
public final class DueTimeScheduler implements Scheduler, Closeable {
  private final ScheduledThreadPoolExecutor timer;
  private final LoggingAdapter log;
  // Pending timers whose task must run when the scheduler closes.
  private final Set<Timer> runOnClose = ConcurrentHashMap.newKeySet();
  private final long slotNanos;

  /** The optional slot that due times are rounded up to (see the class comment). */
  public static final String SLOT = "pekko.scheduler.due-time-slot";

  /** The constructor Pekko calls (config, log, thread factory). */
  public DueTimeScheduler(Config config, LoggingAdapter log, ThreadFactory threadFactory) {
    this.log = log;
    this.slotNanos = config.hasPath(SLOT) ? config.getDuration(SLOT).toNanos() : 0;
    this.timer = new ScheduledThreadPoolExecutor(1, threadFactory);
    timer.setRemoveOnCancelPolicy(true);
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    timer.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
  }

  @Override
  public Cancellable scheduleOnce(FiniteDuration delay, Runnable runnable, ExecutionContext executor) {
    Timer t = new Timer(runnable, executor, true);
    try {
      t.start(timer.schedule(t, slotted(delay.toNanos()), TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      runOnClose.remove(t);
      throw shutDown();
    }
    return t;
  }

  /** Fixed rate, as Pekko's {@code schedule} and {@code scheduleAtFixedRate}. */
  @Override
  public Cancellable schedule(FiniteDuration initialDelay, FiniteDuration interval, Runnable runnable,
      ExecutionContext executor) {
    if (interval.toNanos() <= 0) {
      throw new IllegalArgumentException("Task scheduled with [" + interval + "] interval (must be > 0)");
    }
    Timer t = new Timer(runnable, executor, false);
    try {
      // A period that is a multiple of the slot keeps every later run on a slot boundary as well.
      t.start(timer.scheduleAtFixedRate(t, slotted(initialDelay.toNanos()), interval.toNanos(), TimeUnit.NANOSECONDS));
    } catch (RejectedExecutionException e) {
      runOnClose.remove(t);
      throw shutDown();
    }
    return t;
  }

  /** The delay until the due time, rounded up to the end of its slot when slots are on. */
  private long slotted(long delayNanos) {
    long delay = Math.max(0, delayNanos);
    if (slotNanos <= 0 || delay > Long.MAX_VALUE / 4) {
      return delay;
    }
    long due = System.nanoTime() + delay;
    return delay + Math.floorMod(-due, slotNanos);
  }

  /** What Pekko's own scheduler throws then (callers in Pekko expect this type). */
  private static IllegalStateException shutDown() {
    String message = "cannot enqueue after timer shutdown";
    return new IllegalStateException(message, SchedulerException.apply(message));
  }

  /** Without slots timers are not quantised: up to one a millisecond is a fair figure for callers that ask. */
  @Override
  public double maxFrequency() {
    return slotNanos > 0 ? 1e9 / slotNanos : 1000.0;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    // Dispatchers' shutdown actions and the like: run now rather than dropped (as Pekko's scheduler does).
    for (Timer t : runOnClose) {
      if (t.state.compareAndSet(ACTIVE, DONE)) {
        runOnClose(t.task);
      }
    }
    runOnClose.clear();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void runOnClose(Runnable task) {
    try {
      task.run();
    } catch (SchedulerException e) {
      // scheduling again while closing: nothing to do
    } catch (RuntimeException e) {
      log.error(e, "exception while executing timer task");
    }
  }

  private static final int ACTIVE = 0;
  private static final int CANCELLED = 1;
  private static final int DONE = 2;

  /** One timer: runs its task on its execution context when due; cancellable once. */
  private final class Timer implements Runnable, Cancellable {
    private final Runnable task;
    private final ExecutionContext executor;
    private final boolean once;
    private final AtomicInteger state = new AtomicInteger(ACTIVE);
    private volatile ScheduledFuture<?> future;

    Timer(Runnable task, ExecutionContext executor, boolean once) {
      this.task = task;
      this.executor = executor;
      this.once = once;
      if (task instanceof Scheduler.TaskRunOnClose) {
        runOnClose.add(this);
      }
    }

    void start(ScheduledFuture<?> f) {
      future = f;
      if (state.get() == CANCELLED) {
        f.cancel(false);
      }
    }

    @Override
    public void run() {
      if (once) {
        if (!state.compareAndSet(ACTIVE, DONE)) {
          return;
        }
        runOnClose.remove(this);
      } else if (state.get() != ACTIVE) {
        return;
      }
      try {
        executor.execute(task);
      } catch (RuntimeException e) {
        executor.reportFailure(e);
      }
    }

    @Override
    public boolean cancel() {
      if (!state.compareAndSet(ACTIVE, CANCELLED)) {
        return false;
      }
      runOnClose.remove(this);
      ScheduledFuture<?> f = future;
      if (f != null) {
        f.cancel(false);
      }
      return true;
    }

    @Override
    public boolean isCancelled() {
      return state.get() == CANCELLED;
    }
  }
}
