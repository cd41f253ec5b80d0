package org.browseros.ipc.main.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.state.StateSync;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StateHubTest {
  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  @Test
  void shouldSendASnapshotAtOnceThenOneDeltaPerChange() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.create());
    hub.tell(new StateHub.Put("settings/zoom", IntNode.valueOf(100)));
    TestProbe<StateSync> subscriber = testKit.createTestProbe();
    hub.tell(new StateHub.Subscribe(subscriber.getRef()));
    assertEquals(new StateSync(1, true, Map.of("settings/zoom", IntNode.valueOf(100)), List.of()),
        subscriber.receiveMessage());

    hub.tell(new StateHub.Put("tabs/t1", TextNode.valueOf("x")));
    assertEquals(new StateSync(2, false, Map.of("tabs/t1", TextNode.valueOf("x")), List.of()),
        subscriber.receiveMessage());
    // Putting the same value again is not a change.
    hub.tell(new StateHub.Put("tabs/t1", TextNode.valueOf("x")));
    hub.tell(new StateHub.Remove("tabs/t1"));
    assertEquals(new StateSync(3, false, Map.of(), List.of("tabs/t1")), subscriber.receiveMessage());
    hub.tell(new StateHub.Remove("tabs/none"));

    TestProbe<StateSync> asker = testKit.createTestProbe();
    hub.tell(new StateHub.GetSnapshot(asker.getRef()));
    assertEquals(new StateSync(3, true, Map.of("settings/zoom", IntNode.valueOf(100)), List.of()),
        asker.receiveMessage());
    subscriber.expectNoMessage();

    hub.tell(new StateHub.Unsubscribe(subscriber.getRef()));
    hub.tell(new StateHub.Put("tabs/t2", TextNode.valueOf("y")));
    hub.tell(new StateHub.GetSnapshot(asker.getRef()));
    assertEquals(4, asker.receiveMessage().version());
    subscriber.expectNoMessage();
  }

  @Test
  void shouldDropASubscriberThatStopped() {
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.create());
    TestProbe<StateSync> dead = testKit.createTestProbe();
    TestProbe<StateSync> alive = testKit.createTestProbe();
    hub.tell(new StateHub.Subscribe(dead.getRef()));
    hub.tell(new StateHub.Subscribe(alive.getRef()));
    dead.receiveMessage();
    alive.receiveMessage();

    LoggingTestKit.debug("terminated, dropped").expect(testKit.system(), () -> {
      dead.stop();
      return null;
    });
    hub.tell(new StateHub.Put("tabs/t1", TextNode.valueOf("x")));
    assertEquals(1, alive.receiveMessage().version());
  }
}
