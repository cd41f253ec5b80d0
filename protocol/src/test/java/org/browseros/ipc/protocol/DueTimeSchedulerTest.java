package org.browseros.ipc.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.SchedulerException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.event.NoLogging$;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import scala.concurrent.ExecutionContext;
import scala.concurrent.duration.FiniteDuration;

class DueTimeSchedulerTest {
  final ExecutorService pool = Executors.newSingleThreadExecutor();
  final ExecutionContext ec = ExecutionContext.fromExecutorService(pool);
  final DueTimeScheduler scheduler = new DueTimeScheduler(ConfigFactory.empty(), NoLogging$.MODULE$,
      r -> new Thread(r, "due-test-scheduler"));

  @AfterEach
  void tearDown() {
    scheduler.close();
    pool.shutdownNow();
  }

  private static FiniteDuration ms(long millis) {
    return FiniteDuration.apply(millis, TimeUnit.MILLISECONDS);
  }

  @Test
  void shouldRunAOneShotTimerOnItsExecutionContextWhenDueAndNotBefore() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);
    String[] thread = new String[1];
    long start = System.nanoTime();
    long[] at = new long[1];
    scheduler.scheduleOnce(ms(150), () -> {
      at[0] = System.nanoTime();
      thread[0] = Thread.currentThread().getName();
      ran.countDown();
    }, ec);
    assertTrue(ran.await(10, TimeUnit.SECONDS));
    assertTrue(at[0] - start >= TimeUnit.MILLISECONDS.toNanos(150), "not before it is due");
    assertFalse(thread[0].equals("due-test-scheduler"), "on the execution context, not the timer thread");
  }

  @Test
  void shouldFireTimersDueInOneSlotTogetherAndNeverEarly() throws Exception {
    long slot = TimeUnit.MILLISECONDS.toNanos(200);
    DueTimeScheduler slotted = new DueTimeScheduler(ConfigFactory.parseString(DueTimeScheduler.SLOT + " = 200ms"),
        NoLogging$.MODULE$, r -> new Thread(r, "slotted-test-scheduler"));
    try {
      assertEquals(5.0, slotted.maxFrequency());
      // 20 timers due 5 ms apart: without slots 20 separate firings; with 200 ms slots at most two.
      int count = 20;
      long[] due = new long[count];
      long[] fired = new long[count];
      CountDownLatch all = new CountDownLatch(count);
      ExecutionContext onTimerThread = ExecutionContext.fromExecutor(Runnable::run);
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        int n = i;
        due[i] = start + TimeUnit.MILLISECONDS.toNanos(5L * i);
        slotted.scheduleOnce(ms(5L * i), () -> {
          fired[n] = System.nanoTime();
          all.countDown();
        }, onTimerThread);
      }
      assertTrue(all.await(10, TimeUnit.SECONDS));
      List<Long> firings = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        assertTrue(fired[i] >= due[i], "timer " + i + " fired before it was due");
        firings.add(fired[i]);
      }
      firings.sort(null);
      int passes = 1;
      for (int i = 1; i < count; i++) {
        if (firings.get(i) - firings.get(i - 1) > TimeUnit.MILLISECONDS.toNanos(3)) {
          passes++;
        }
      }
      // Two slots at most, each fired in one pass of the timer thread (one more if it was preempted).
      assertTrue(passes <= 3, "fired in " + passes + " passes: " + firings);
      // Fixed rate with a period of whole slots: every run stays on a slot boundary (on the monotonic
      // clock), give or take the thread's wake-up latency on a loaded machine.
      List<Long> runs = java.util.Collections.synchronizedList(new ArrayList<>());
      CountDownLatch three = new CountDownLatch(3);
      Cancellable periodic = slotted.schedule(ms(10), ms(400), () -> {
        runs.add(System.nanoTime());
        three.countDown();
      }, onTimerThread);
      assertTrue(three.await(10, TimeUnit.SECONDS));
      periodic.cancel();
      for (long run : runs.subList(0, 3)) {
        assertTrue(Math.floorMod(run, slot) < TimeUnit.MILLISECONDS.toNanos(60), "on a slot boundary: " + runs);
      }
    } finally {
      slotted.close();
    }
  }

  @Test
  void shouldNotRunACancelledTimerAndCancelOnlyOnce() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    Cancellable c = scheduler.scheduleOnce(ms(100), runs::incrementAndGet, ec);
    assertTrue(c.cancel());
    assertFalse(c.cancel(), "already cancelled");
    assertTrue(c.isCancelled());
    // A later timer runs: the cancelled one, due before it, did not.
    CountDownLatch later = new CountDownLatch(1);
    scheduler.scheduleOnce(ms(300), later::countDown, ec);
    assertTrue(later.await(10, TimeUnit.SECONDS));
    assertEquals(0, runs.get());

    CountDownLatch done = new CountDownLatch(1);
    Cancellable ranAlready = scheduler.scheduleOnce(ms(0), done::countDown, ec);
    assertTrue(done.await(10, TimeUnit.SECONDS));
    assertFalse(ranAlready.cancel(), "a timer that ran cannot be cancelled");
  }

  @Test
  void shouldRepeatAtItsRateUntilCancelled() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch three = new CountDownLatch(3);
    Cancellable c = scheduler.scheduleAtFixedRate(ms(0), ms(50), () -> {
      runs.incrementAndGet();
      three.countDown();
    }, ec);
    assertTrue(three.await(10, TimeUnit.SECONDS));
    assertTrue(c.cancel());
    int after = runs.get();
    CountDownLatch later = new CountDownLatch(1);
    scheduler.scheduleOnce(ms(200), later::countDown, ec);
    assertTrue(later.await(10, TimeUnit.SECONDS));
    assertTrue(runs.get() <= after + 1, "at most one run already handed over when cancelled");
    assertThrows(IllegalArgumentException.class, () -> scheduler.scheduleAtFixedRate(ms(0), ms(0), () -> {}, ec));
  }

  @Test
  void shouldRunPendingRunOnCloseTasksWhenClosedAndRefuseNewTimers() {
    AtomicInteger closing = new AtomicInteger();
    AtomicInteger plain = new AtomicInteger();
    scheduler.scheduleOnce(ms(60_000), (Scheduler.TaskRunOnClose) closing::incrementAndGet, ec);
    scheduler.scheduleOnce(ms(60_000), plain::incrementAndGet, ec);
    Cancellable cancelled = scheduler.scheduleOnce(ms(60_000), (Scheduler.TaskRunOnClose) closing::incrementAndGet, ec);
    cancelled.cancel();

    scheduler.close();

    assertEquals(1, closing.get(), "the pending run-on-close task ran, the cancelled one did not");
    assertEquals(0, plain.get());
    // As Pekko's own scheduler: an IllegalStateException caused by a SchedulerException.
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> scheduler.scheduleOnce(ms(1), () -> {}, ec));
    assertTrue(refused.getCause() instanceof SchedulerException);
  }

  /** Voluntary + involuntary context switches of this JVM's thread whose name starts with {@code name}. */
  private static long switchesOf(String name) throws IOException {
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        if (Files.readString(task.resolve("comm")).trim().startsWith(name)) {
          long n = 0;
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
              n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
          return n;
        }
      }
    }
    List<String> names = new ArrayList<>();
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        names.add(Files.readString(task.resolve("comm")).trim());
      }
    }
    throw new IllegalStateException("no thread " + name + " in " + names);
  }

  @Test
  void shouldDriveAnActorSystemsTimersWithoutWakingWhileNothingIsDue() throws Exception {
    ActorTestKit kit = ActorTestKit.create("due", ConfigFactory.parseString(
        "pekko.scheduler.implementation = " + DueTimeScheduler.class.getName()).withFallback(ConfigFactory.load()));
    try {
      assertTrue(kit.system().classicSystem().scheduler() instanceof DueTimeScheduler);
      TestProbe<String> probe = kit.createTestProbe();
      ActorRef<String> ticking = kit.spawn(Behaviors.withTimers(timers -> {
        timers.startTimerAtFixedRate("tick", "tick", Duration.ofMillis(100));
        return Behaviors.receiveMessage(m -> {
          probe.ref().tell(m);
          return Behaviors.same();
        });
      }));
      probe.expectMessage("tick");
      probe.expectMessage("tick");
      kit.stop(ticking);

      // Nothing due: Pekko's own scheduler would wake every tick (10 times in this second at 100 ms).
      long before = switchesOf("due-scheduler-");
      probe.expectNoMessage(Duration.ofSeconds(1));
      long woke = switchesOf("due-scheduler-") - before;
      assertTrue(woke <= 3, "the scheduler thread woke " + woke + " times in an idle second");
    } finally {
      kit.shutdownTestKit();
    }
  }
}
