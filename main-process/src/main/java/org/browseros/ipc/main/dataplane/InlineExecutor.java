package org.browseros.ipc.main.dataplane;

import com.typesafe.config.Config;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.apache.pekko.dispatch.ForkJoinExecutorConfigurator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's dispatcher executor (issue 5, docs/PERFORMANCE.md "One wake-up on main"): Pekko's
 * fork-join pool, except for what a data-plane reader thread schedules while it {@linkplain
 * Inline#tell tells} an actor. That (the connection's mailbox, when it was idle) runs on the reader
 * thread itself once the read is handed over ({@link Inline#run}), instead of waking a pool thread:
 * a request read from the socket is checked, handled and answered with one wake-up in main, the
 * reader's. Everything else, and everything the inline run schedules in turn, goes to the pool.
 *
 * <p>The actor model is unchanged: a mailbox runs on one thread at a time whichever thread that is,
 * and a mailbox already scheduled on the pool stays there. Set on a dispatcher with {@code executor
 * = "org.browseros.ipc.main.dataplane.InlineExecutor$Configurator"}; its {@code fork-join-executor}
 * section sizes the pool as usual.
 */
public final class InlineExecutor extends AbstractExecutorService {
  private static final Logger log = LoggerFactory.getLogger(InlineExecutor.class);

  // Set only for the duration of Inline.tell, on the reader thread.
  private static final ThreadLocal<Inline> CAPTURING = new ThreadLocal<>();

  private final ExecutorService pool;

  private InlineExecutor(ExecutorService pool) {
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    Inline inline = CAPTURING.get();
    if (inline != null) {
      inline.tasks.add(task);
    } else {
      pool.execute(task);
    }
  }

  @Override
  public void shutdown() {
    pool.shutdown();
  }

  @Override
  public List<Runnable> shutdownNow() {
    return pool.shutdownNow();
  }

  @Override
  public boolean isShutdown() {
    return pool.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return pool.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return pool.awaitTermination(timeout, unit);
  }

  /** Pekko's fork-join executor, wrapped. Instantiated by Pekko from the dispatcher's config. */
  public static final class Configurator extends ExecutorServiceConfigurator {
    private final ForkJoinExecutorConfigurator forkJoin;

    public Configurator(Config config, DispatcherPrerequisites prerequisites) {
      super(config, prerequisites);
      this.forkJoin = new ForkJoinExecutorConfigurator(config.getConfig("fork-join-executor"), prerequisites);
    }

    @Override
    public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
      ExecutorServiceFactory pool = forkJoin.createExecutorServiceFactory(id, threadFactory);
      return () -> new InlineExecutor(pool.createExecutorService());
    }
  }

  /**
   * One reader thread's captured work, run by that thread when its read is handed over. Used by
   * one thread only. Work must not stay captured while the thread blocks: whatever it waits for
   * may be that work, so {@link #run} comes first.
   */
  public static final class Inline {
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

    /** Tells {@code target}; if that schedules its mailbox on an {@link InlineExecutor}, it runs at the next {@link #run}. */
    public <T> void tell(ActorRef<T> target, T message) {
      CAPTURING.set(this);
      try {
        target.tell(message);
      } finally {
        CAPTURING.set(null);
      }
    }

    /** Runs what was captured, oldest first, on this thread; what they schedule goes to the pool. */
    public void run() {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException e) {
          // A mailbox run handles its actor's failures itself; this is a task that escaped that.
          log.error("A task handed off by a data-plane reader failed", e);
        }
      }
    }

    /** Work captured and not run yet. */
    public boolean isEmpty() {
      return tasks.isEmpty();
    }
  }
}
