package org.browseros.ipc.main.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import com.fasterxml.jackson.databind.JsonNode;
import org.browseros.ipc.protocol.state.StateSync;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StateHubDebounceTest {
  private static final Duration WINDOW = Duration.ofMillis(5);

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

  private final ManualTime manualTime = ManualTime.get(testKit.system());

  private TestProbe<StateSync> subscribed(ActorRef<StateHub.Command> hub) {
    TestProbe<StateSync> subscriber = testKit.createTestProbe();
    hub.tell(new StateHub.Subscribe(subscriber.getRef()));
    assertTrue(subscriber.receiveMessage().snapshot());
    return subscriber;
  }

  // The tells are enqueued before time moves, so the first flush holds all of them; the loop only
  // covers a hub that had not yet started its timer when time first moved.
  private StateSync nextDelta(TestProbe<StateSync> subscriber) {
    for (int i = 0; i < 100; i++) {
      manualTime.timePasses(WINDOW);
      try {
        return subscriber.receiveMessage(Duration.ofMillis(50));
      } catch (AssertionError notYet) {
        // the hub had not processed the first change yet
      }
    }
    throw new AssertionError("No delta after 100 windows");
  }

  @Test
  void shouldTurnABurstIntoItsFirstChangeAndOneDeltaWithTheFinalValues() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.create(WINDOW));
    hub.tell(new StateHub.Put("tabs/gone", IntNode.valueOf(0)));
    TestProbe<StateSync> subscriber = subscribed(hub);
    // A quiet window passes: the next change is the first of a burst.
    manualTime.timePasses(WINDOW);

    Map<String, JsonNode> expected = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      hub.tell(new StateHub.Put("tabs/t" + (i % 10), IntNode.valueOf(i)));
      expected.put("tabs/t" + (i % 10), IntNode.valueOf(i));
    }
    hub.tell(new StateHub.Remove("tabs/gone"));
    hub.tell(new StateHub.Put("tabs/brief", IntNode.valueOf(1)));
    hub.tell(new StateHub.Remove("tabs/brief"));

    // The first change goes out at once, without time passing ...
    assertEquals(new StateSync(2, false, Map.of("tabs/t0", IntNode.valueOf(0)), List.of()), subscriber.receiveMessage());
    subscriber.expectNoMessage(Duration.ofMillis(100));
    // ... the other 102 as one delta with the final values when the window ends.
    assertEquals(new StateSync(3, false, expected, List.of("tabs/gone", "tabs/brief")), nextDelta(subscriber));
    manualTime.expectNoMessageFor(WINDOW.multipliedBy(4), subscriber);
  }

  @Test
  void shouldSendALoneChangeAtOnceAndHoldTheNextOneForTheWindow() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.create(WINDOW));
    TestProbe<StateSync> subscriber = subscribed(hub);

    hub.tell(new StateHub.Put("settings/zoom", IntNode.valueOf(110)));
    assertEquals(new StateSync(1, false, Map.of("settings/zoom", IntNode.valueOf(110)), List.of()),
        subscriber.receiveMessage());
    hub.tell(new StateHub.Put("settings/zoom", IntNode.valueOf(120)));
    // Held while no time passes ...
    subscriber.expectNoMessage(Duration.ofMillis(200));
    // ... and out as soon as the window has.
    assertEquals(new StateSync(2, false, Map.of("settings/zoom", IntNode.valueOf(120)), List.of()),
        nextDelta(subscriber));
  }

  @Test
  void shouldNeverDelayASnapshotAndKeepVersionsConsecutive() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.create(WINDOW));
    TestProbe<StateSync> early = subscribed(hub);

    hub.tell(new StateHub.Put("tabs/a", IntNode.valueOf(1)));
    hub.tell(new StateHub.Put("tabs/b", IntNode.valueOf(2)));
    TestProbe<StateSync> asker = testKit.createTestProbe();
    hub.tell(new StateHub.GetSnapshot(asker.getRef()));
    // No time passed: the snapshot answers at once, the pending change went out just before it.
    assertEquals(new StateSync(2, true, Map.of("tabs/a", IntNode.valueOf(1), "tabs/b", IntNode.valueOf(2)), List.of()),
        asker.receiveMessage());
    assertEquals(new StateSync(1, false, Map.of("tabs/a", IntNode.valueOf(1)), List.of()), early.receiveMessage());
    assertEquals(new StateSync(2, false, Map.of("tabs/b", IntNode.valueOf(2)), List.of()), early.receiveMessage());

    hub.tell(new StateHub.Put("tabs/a", IntNode.valueOf(3)));
    assertEquals(3, early.receiveMessage().version());
  }

  @Test
  void shouldPublishEveryChangeAtOnceWhenTheWindowIsZero() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.create(Duration.ZERO));
    TestProbe<StateSync> subscriber = subscribed(hub);
    hub.tell(new StateHub.Put("tabs/a", IntNode.valueOf(1)));
    hub.tell(new StateHub.Put("tabs/a", IntNode.valueOf(2)));
    assertEquals(1, subscriber.receiveMessage().version());
    assertEquals(2, subscriber.receiveMessage().version());
  }
}
