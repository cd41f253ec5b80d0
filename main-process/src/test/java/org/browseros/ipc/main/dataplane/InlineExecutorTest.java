package org.browseros.ipc.main.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The edge's executor: what a reader thread's {@code Inline.tell} schedules runs on that thread at
 * its next {@code run()}, and nothing else leaves the pool.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class InlineExecutorTest {
  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(ConfigFactory.parseString(
          "pekko.actor.default-dispatcher.executor = \"" + InlineExecutor.Configurator.class.getName() + "\""))
      .build();

  /** Where a message was handled; {@code forward}, if set, is told the same question next. */
  record Where(ActorRef<String> replyTo, ActorRef<Where> forward) {}

  static Behavior<Where> reporter() {
    return Behaviors.receiveMessage(where -> {
      where.replyTo().tell(Thread.currentThread().getName());
      if (where.forward() != null) {
        where.forward().tell(new Where(where.replyTo(), null));
      }
      return Behaviors.same();
    });
  }

  // A stand-in for a data-plane reader: one thread of its own, named as the readers are.
  final ExecutorService reader = Executors.newSingleThreadExecutor(r -> new Thread(r, "dataplane-reader"));

  @AfterEach
  void stopReader() throws InterruptedException {
    reader.shutdownNow();
    assertTrue(reader.awaitTermination(10, TimeUnit.SECONDS));
  }

  private void onReader(Runnable step) throws Exception {
    reader.submit(step).get(10, TimeUnit.SECONDS);
  }

  @Test
  void shouldRunWhatATellScheduledOnTheReaderThreadAtItsNextRun() throws Exception {
    ActorRef<Where> actor = testKit.spawn(reporter());
    TestProbe<String> probe = testKit.createTestProbe();
    InlineExecutor.Inline inline = new InlineExecutor.Inline();

    onReader(() -> inline.tell(actor, new Where(probe.getRef(), null)));
    // Captured: no pool thread picked the mailbox up meanwhile.
    probe.expectNoMessage(Duration.ofMillis(300));
    assertFalse(inline.isEmpty());

    onReader(inline::run);
    assertEquals("dataplane-reader", probe.expectMessageClass(String.class));
    assertTrue(inline.isEmpty());
  }

  @Test
  void shouldRunEverythingElseOnThePool() throws Exception {
    ActorRef<Where> second = testKit.spawn(reporter());
    ActorRef<Where> first = testKit.spawn(reporter());
    TestProbe<String> probe = testKit.createTestProbe();
    InlineExecutor.Inline inline = new InlineExecutor.Inline();

    // A plain tell from the reader thread is not captured.
    onReader(() -> first.tell(new Where(probe.getRef(), null)));
    assertNotEquals("dataplane-reader", probe.expectMessageClass(String.class));

    // What an inline run tells in turn goes to the pool. A tell is captured only when the mailbox is
    // idle, and the pool thread that answered the plain tell may still be finishing that run: then
    // the pool handles this one too (and answers twice), and the tell is tried again.
    for (int attempt = 1; ; attempt++) {
      onReader(() -> inline.tell(first, new Where(probe.getRef(), second)));
      if (!inline.isEmpty()) {
        break;
      }
      probe.expectMessageClass(String.class);
      probe.expectMessageClass(String.class);
      assertTrue(attempt < 20, "the tell was never captured: the mailbox never became idle");
    }
    onReader(inline::run);
    assertEquals("dataplane-reader", probe.expectMessageClass(String.class));
    String forwarded = probe.expectMessageClass(String.class);
    assertTrue(forwarded.contains("default-dispatcher"), forwarded);
  }

  @Test
  void shouldLeaveActorsOnOtherDispatchersAlone() throws Exception {
    ActorRef<Where> blocking = testKit.spawn(reporter(), "blocking", DispatcherSelector.blocking());
    TestProbe<String> probe = testKit.createTestProbe();
    InlineExecutor.Inline inline = new InlineExecutor.Inline();

    onReader(() -> inline.tell(blocking, new Where(probe.getRef(), null)));
    String thread = probe.expectMessageClass(String.class);
    assertTrue(thread.contains("blocking-io-dispatcher"), thread);
    assertTrue(inline.isEmpty());
  }
}
