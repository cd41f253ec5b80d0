package org.browseros.ipc.main.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.gateway.TestCore;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.state.StateSync;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The inspector's copy of the synchronized state: snapshots, deltas, gaps, and views that stay as they were read. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class StateWatcherTest {
  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static JsonNode json(String text) {
    return PayloadCodec.parseJson(text);
  }

  private StateWatcher.View view(ActorRef<StateWatcher.Command> watcher) throws Exception {
    return StateWatcher.views(watcher, testKit.scheduler()).get().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  /** The watcher's subscription, once it has subscribed. */
  private static ActorRef<StateSync> subscriber(TestCore core) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (core.stateSubscribers.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return core.stateSubscribers.get(0);
  }

  @Test
  void shouldApplyDeltasToTheSnapshotAndKeepEachViewAsItWasRead() throws Exception {
    TestCore core = new TestCore();
    ActorRef<StateWatcher.Command> watcher = testKit.spawn(StateWatcher.create(core));
    ActorRef<StateSync> hub = subscriber(core);

    hub.tell(new StateSync(1, true, Map.of("windows/w1", json("{\"title\":\"Docs\"}"), "tabs/t1", json("{}")), List.of()));
    hub.tell(new StateSync(2, false, Map.of("windows/w1", json("{\"title\":\"Mail\"}")), List.of("tabs/t1")));
    StateWatcher.View second = view(watcher);
    hub.tell(new StateSync(3, false, Map.of("tabs/t2", json("{}")), List.of()));
    StateWatcher.View third = view(watcher);

    assertEquals(2, second.version());
    assertEquals(Map.of("windows/w1", json("{\"title\":\"Mail\"}")), second.state());
    assertEquals(3, third.version());
    assertEquals(List.of("tabs/t2", "windows/w1"), List.copyOf(third.state().keySet()), "sorted by path");
    // A view is a copy: the delta after it did not reach it.
    assertEquals(1, second.state().size());
  }

  @Test
  void shouldAskForASnapshotAfterAGapAndReplaceEverythingWithIt() throws Exception {
    TestCore core = new TestCore();
    ActorRef<StateWatcher.Command> watcher = testKit.spawn(StateWatcher.create(core));
    ActorRef<StateSync> hub = subscriber(core);
    hub.tell(new StateSync(1, true, Map.of("windows/w1", json("{}")), List.of()));

    hub.tell(new StateSync(3, false, Map.of("tabs/t9", json("{}")), List.of()));
    ActorRef<StateSync> requester = core.snapshotRequests.poll(5, TimeUnit.SECONDS);
    assertSame(hub, requester, "the snapshot goes to the watcher's subscription");
    assertEquals(1, view(watcher).version(), "the delta after the gap is not applied");

    hub.tell(new StateSync(5, true, Map.of("windows/w2", json("{}")), List.of()));
    StateWatcher.View resynced = view(watcher);
    assertEquals(5, resynced.version());
    assertEquals(Map.of("windows/w2", json("{}")), resynced.state());
  }

  @Test
  void shouldUnsubscribeWhenStopped() throws Exception {
    TestCore core = new TestCore();
    ActorRef<StateWatcher.Command> watcher = testKit.spawn(StateWatcher.create(core));
    subscriber(core);
    testKit.stop(watcher, Duration.ofSeconds(5));
    assertEquals(List.of(), core.stateSubscribers);
  }
}
