package org.browseros.ipc.main.window;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.main.persistence.TestJournal;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.tab.TabDeleted;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WindowTest {
  @JUnit5TestKit
  final ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(TestJournal.config(TestJournal.newDataDir())).build();

  private int counter;

  @BeforeAll
  void schema() {
    TestJournal.createSchema(testKit.system());
  }

  /** A window with its own hub, under a profile id no other test uses. */
  private record Fixture(ActorRef<Window.Command> window, ActorRef<StateHub.Command> hub, String prefix) {}

  private Fixture newWindow() {
    String profileId = "p-window-" + (++counter);
    ActorRef<StateHub.Command> hub = testKit.spawn(StateHub.create());
    ActorRef<Window.Command> window =
        testKit.spawn(Window.create(profileId, "w1", "Title", Bounds.DEFAULT, hub));
    return new Fixture(window, hub, profileId);
  }

  private static <T> T ok(TestProbe<StatusReply<T>> probe) {
    StatusReply<T> reply = probe.receiveMessage();
    assertTrue(reply.isSuccess(), () -> "expected success, got " + reply);
    return reply.getValue();
  }

  private TabInfo addTab(Fixture f, String tabId, boolean active) {
    TestProbe<StatusReply<TabInfo>> reply = testKit.createTestProbe();
    f.window().tell(new Window.AddTab(tabId, "https://" + tabId + ".example/", active, reply.getRef()));
    return ok(reply);
  }

  /** Waits until the hub's state satisfies the check. */
  private Map<String, JsonNode> awaitState(ActorRef<StateHub.Command> hub, java.util.function.Consumer<Map<String, JsonNode>> check) {
    TestProbe<StateSync> probe = testKit.createTestProbe();
    return probe.awaitAssert(Duration.ofSeconds(5), () -> {
      hub.tell(new StateHub.GetSnapshot(probe.getRef()));
      Map<String, JsonNode> state = probe.receiveMessage().set();
      check.accept(state);
      return state;
    });
  }

  private static boolean active(Map<String, JsonNode> state, String tabId) {
    return state.get("tabs/" + tabId).get("active").asBoolean();
  }

  @Test
  void shouldMakeANewTabActiveByDefaultAndDeactivateThePreviousOne() {
    Fixture f = newWindow();
    assertTrue(addTab(f, "t1", true).active());
    assertTrue(addTab(f, "t2", true).active());
    TabInfo background = addTab(f, "t3", false);
    assertFalse(background.active());

    awaitState(f.hub(), state -> {
      assertFalse(active(state, "t1"));
      assertTrue(active(state, "t2"));
      assertFalse(active(state, "t3"));
      assertEquals(List.of("t1", "t2", "t3"),
          List.of(state.get("windows/w1").get("tabs").get(0).asText(), state.get("windows/w1").get("tabs").get(1).asText(),
              state.get("windows/w1").get("tabs").get(2).asText()));
    });
  }

  @Test
  void shouldKeepAtMostOneActiveTabWhenATabIsActivated() {
    Fixture f = newWindow();
    addTab(f, "t1", true);
    addTab(f, "t2", false);
    TestProbe<StatusReply<TabInfo>> reply = testKit.createTestProbe();
    f.window().tell(new Window.UpdateTab("t2", "Second", null, null, true, reply.getRef()));
    TabInfo t2 = ok(reply);
    assertTrue(t2.active());
    assertEquals("Second", t2.title());

    awaitState(f.hub(), state -> {
      assertFalse(active(state, "t1"));
      assertTrue(active(state, "t2"));
    });
  }

  @Test
  void shouldActivateTheRightNeighbourWhenTheActiveTabIsDeletedOrTheLeftOneAtTheEnd() {
    Fixture f = newWindow();
    addTab(f, "t1", true);
    addTab(f, "t2", true);
    addTab(f, "t3", false);
    TestProbe<StatusReply<TabDeleted>> deleted = testKit.createTestProbe();

    f.window().tell(new Window.RemoveTab("t2", deleted.getRef()));
    assertEquals(new TabDeleted("t2", "w1"), ok(deleted));
    awaitState(f.hub(), state -> {
      assertFalse(state.containsKey("tabs/t2"));
      assertTrue(active(state, "t3"));
      assertFalse(active(state, "t1"));
    });

    f.window().tell(new Window.RemoveTab("t3", deleted.getRef()));
    ok(deleted);
    awaitState(f.hub(), state -> assertTrue(active(state, "t1")));

    f.window().tell(new Window.RemoveTab("t3", deleted.getRef()));
    IpcException error = (IpcException) deleted.receiveMessage().getError();
    assertEquals(ErrorCode.NOT_FOUND, error.code());
    assertEquals("No tab 't3'", error.error().message());
  }

  @Test
  void shouldCloseItsTabsWhenClosed() {
    Fixture f = newWindow();
    addTab(f, "t1", true);
    addTab(f, "t2", true);
    awaitState(f.hub(), state -> assertTrue(state.containsKey("tabs/t2")));

    TestProbe<StatusReply<WindowClosed>> closed = testKit.createTestProbe();
    f.window().tell(new Window.Close(closed.getRef()));
    assertEquals(new WindowClosed("w1", List.of("t1", "t2")), ok(closed));
    closed.expectTerminated(f.window());
    awaitState(f.hub(), state -> assertTrue(state.isEmpty(), () -> "left over: " + state.keySet()));
  }

  @Test
  void shouldUpdateAndPublishItsProperties() {
    Fixture f = newWindow();
    TestProbe<StatusReply<WindowInfo>> reply = testKit.createTestProbe();
    f.window().tell(new Window.Get(reply.getRef()));
    assertEquals(new WindowInfo("w1", "Title", Bounds.DEFAULT, WindowState.NORMAL, true, List.of()), ok(reply));

    Bounds bounds = new Bounds(10, 20, 300, 400);
    f.window().tell(new Window.Update("Renamed", bounds, WindowState.MAXIMIZED, false, reply.getRef()));
    WindowInfo updated = ok(reply);
    assertEquals(new WindowInfo("w1", "Renamed", bounds, WindowState.MAXIMIZED, false, List.of()), updated);
    awaitState(f.hub(), state -> {
      assertEquals("maximized", state.get("windows/w1").get("state").asText());
      assertEquals(300, state.get("windows/w1").get("bounds").get("width").asInt());
    });
  }
}
