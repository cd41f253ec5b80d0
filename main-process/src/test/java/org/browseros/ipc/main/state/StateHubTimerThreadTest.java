package org.browseros.ipc.main.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.state.StateSync;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The production hub times its debounce windows on a JDK timer thread, not on the actor system's
 * scheduler (whose tick is coarse to save idle CPU). The system here runs on ManualTime, whose
 * scheduler never moves: every window end below came from the timer thread.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StateHubTimerThreadTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

  private TestProbe<StateSync> subscribed(ActorRef<StateHub.Command> hub) {
    TestProbe<StateSync> subscriber = testKit.createTestProbe();
    hub.tell(new StateHub.Subscribe(subscriber.getRef()));
    assertTrue(subscriber.receiveMessage().snapshot());
    return subscriber;
  }

  @Test
  void shouldPublishTheTailOfABurstWhenTheWindowEndsWithoutTheActorSystemsScheduler() {
    // Long enough that the burst's tells are all handled within it, even on a loaded machine.
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.createWithTimerThread(Duration.ofMillis(500)));
    TestProbe<StateSync> subscriber = subscribed(hub);

    Map<String, JsonNode> expected = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      hub.tell(new StateHub.Put("tabs/t" + (i % 10), IntNode.valueOf(i)));
      expected.put("tabs/t" + (i % 10), IntNode.valueOf(i));
    }

    assertEquals(new StateSync(1, false, Map.of("tabs/t0", IntNode.valueOf(0)), List.of()), subscriber.receiveMessage());
    assertEquals(new StateSync(2, false, expected, List.of()), subscriber.receiveMessage(Duration.ofSeconds(10)));
    // The window after that delta ends with nothing pending: nothing more goes out.
    subscriber.expectNoMessage(Duration.ofSeconds(1));
  }

  @Test
  void shouldSendALoneChangeAtOnceAndTheNextOneWhenTheWindowEnds() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.createWithTimerThread(Duration.ofMillis(5)));
    TestProbe<StateSync> subscriber = subscribed(hub);

    hub.tell(new StateHub.Put("settings/zoom", IntNode.valueOf(110)));
    assertEquals(new StateSync(1, false, Map.of("settings/zoom", IntNode.valueOf(110)), List.of()),
        subscriber.receiveMessage());
    hub.tell(new StateHub.Put("settings/zoom", IntNode.valueOf(120)));
    assertEquals(new StateSync(2, false, Map.of("settings/zoom", IntNode.valueOf(120)), List.of()),
        subscriber.receiveMessage(Duration.ofSeconds(10)));
  }

  @Test
  void shouldFlushPendingChangesBeforeASnapshotAndIgnoreTheCancelledWindow() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.createWithTimerThread(Duration.ofSeconds(2)));
    TestProbe<StateSync> subscriber = subscribed(hub);

    hub.tell(new StateHub.Put("tabs/a", IntNode.valueOf(1)));
    hub.tell(new StateHub.Put("tabs/b", IntNode.valueOf(2)));
    TestProbe<StateSync> asker = testKit.createTestProbe();
    hub.tell(new StateHub.GetSnapshot(asker.getRef()));
    assertEquals(2, asker.receiveMessage().version());
    assertEquals(1, subscriber.receiveMessage().version());
    assertEquals(new StateSync(2, false, Map.of("tabs/b", IntNode.valueOf(2)), List.of()), subscriber.receiveMessage());
    // The snapshot closed the window: the next change is a lone one again and goes out at once.
    hub.tell(new StateHub.Put("tabs/a", IntNode.valueOf(3)));
    assertEquals(new StateSync(3, false, Map.of("tabs/a", IntNode.valueOf(3)), List.of()),
        subscriber.receiveMessage(Duration.ofSeconds(1)));
  }
}
