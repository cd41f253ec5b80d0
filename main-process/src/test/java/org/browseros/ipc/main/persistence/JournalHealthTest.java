package org.browseros.ipc.main.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.browseros.ipc.main.system.SystemMonitor;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JournalHealthTest {
  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  /** A probe the test breaks and repairs, counting its runs. */
  private static final class FakeProbe implements JournalHealth.Probe {
    final AtomicBoolean up = new AtomicBoolean(true);
    final AtomicInteger runs = new AtomicInteger();

    @Override
    public void check() throws SQLException {
      runs.incrementAndGet();
      if (!up.get()) {
        throw new SQLException("Connection refused");
      }
    }
  }

  private static SystemEvent published(TestProbe<SystemMonitor.Command> monitor) {
    SystemMonitor.Command command = monitor.receiveMessage(Duration.ofSeconds(10));
    assertTrue(command instanceof SystemMonitor.Publish, () -> "not a publication: " + command);
    return ((SystemMonitor.Publish) command).event();
  }

  @Test
  void shouldFlipToUnavailableAndBackOnceEachAndPublishBoth() {
    FakeProbe probe = new FakeProbe();
    JournalHealth.Status status = new JournalHealth.Status();
    TestProbe<SystemMonitor.Command> monitor = testKit.createTestProbe();
    ActorRef<JournalHealth.Command> health = testKit.spawn(JournalHealth.create(probe,
        new JournalHealth.Settings(Duration.ofMillis(50), Duration.ofSeconds(2)), status, monitor.getRef()));

    assertTrue(status.isAvailable());
    probe.up.set(false);
    SystemEvent down = published(monitor);
    assertEquals(JournalHealth.JOURNAL_UNAVAILABLE, down.kind());
    assertEquals("SQLException: Connection refused", down.data().get("reason"));
    assertFalse(status.isAvailable());
    // Failed probes go on without publishing again.
    int runs = probe.runs.get();
    monitor.awaitAssert(Duration.ofSeconds(10), () -> {
      assertTrue(probe.runs.get() >= runs + 3);
      return null;
    });
    monitor.expectNoMessage(Duration.ofMillis(100));

    probe.up.set(true);
    SystemEvent up = published(monitor);
    assertEquals(JournalHealth.JOURNAL_RECOVERED, up.kind());
    assertTrue(Long.parseLong(up.data().get("downMillis")) > 0);
    assertTrue(status.isAvailable());
    testKit.stop(health);
  }

  @Test
  void shouldProbeAtOnceWhenAnActorReportsAFailureButLetTheProbeDecide() {
    FakeProbe probe = new FakeProbe();
    JournalHealth.Status status = new JournalHealth.Status();
    TestProbe<SystemMonitor.Command> monitor = testKit.createTestProbe();
    // No periodic probe within the test: only reports trigger one.
    ActorRef<JournalHealth.Command> health = testKit.spawn(JournalHealth.create(probe,
        new JournalHealth.Settings(Duration.ofHours(1), Duration.ofSeconds(2)), status, monitor.getRef()));

    // A failed recovery of one entity with a healthy journal (a bad event, say) changes nothing.
    // The actor subscribes as it starts: report until a probe ran.
    monitor.awaitAssert(Duration.ofSeconds(10), () -> {
      testKit.system().eventStream().tell(new EventStream.Publish<>(
          new JournalHealth.FailureReported("Tab|p|t1", "bad event")));
      assertTrue(probe.runs.get() >= 1, "no probe after a report");
      return null;
    });
    monitor.expectNoMessage(Duration.ofMillis(200));
    assertTrue(status.isAvailable());

    probe.up.set(false);
    testKit.system().eventStream().tell(new EventStream.Publish<>(
        new JournalHealth.FailureReported("Settings|p", "Connection refused")));
    assertEquals(JournalHealth.JOURNAL_UNAVAILABLE, published(monitor).kind());
    assertFalse(status.isAvailable());
    testKit.stop(health);
  }

  @Test
  void shouldRunEveryProbeOnOneThreadOfItsOwn() {
    java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    AtomicInteger runs = new AtomicInteger();
    TestProbe<SystemMonitor.Command> monitor = testKit.createTestProbe();
    ActorRef<JournalHealth.Command> health = testKit.spawn(JournalHealth.create(() -> {
      threads.add(Thread.currentThread());
      runs.incrementAndGet();
    }, new JournalHealth.Settings(Duration.ofMillis(20), Duration.ofSeconds(2)), new JournalHealth.Status(), monitor.getRef()));

    monitor.awaitAssert(Duration.ofSeconds(10), () -> {
      assertTrue(runs.get() >= 5, "probes so far: " + runs.get());
      return null;
    });
    assertEquals(1, threads.size(), () -> "probe threads: " + threads);
    Thread thread = threads.iterator().next();
    assertEquals(JournalHealth.PROBE_THREAD, thread.getName());
    assertTrue(thread.isDaemon());
    // Stopping the monitor ends its thread.
    testKit.stop(health);
    monitor.awaitAssert(Duration.ofSeconds(10), () -> {
      assertFalse(thread.isAlive());
      return null;
    });
  }

  @Test
  void shouldCountAProbeThatHangsAsAFailure() throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    JournalHealth.Status status = new JournalHealth.Status();
    TestProbe<SystemMonitor.Command> monitor = testKit.createTestProbe();
    ActorRef<JournalHealth.Command> health = testKit.spawn(JournalHealth.create(
        () -> release.await(30, TimeUnit.SECONDS),
        new JournalHealth.Settings(Duration.ofMillis(50), Duration.ofMillis(300)), status, monitor.getRef()));
    try {
      SystemEvent down = published(monitor);
      assertEquals(JournalHealth.JOURNAL_UNAVAILABLE, down.kind());
      assertEquals("no answer within 300 ms", down.data().get("reason"));
      assertFalse(status.isAvailable());
      // The hung probe is not stacked with more: once it returns (fine) the journal is back.
      release.countDown();
      assertEquals(JournalHealth.JOURNAL_RECOVERED, published(monitor).kind());
    } finally {
      release.countDown();
      testKit.stop(health);
    }
  }
}
