package org.browseros.ipc.main.tab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.main.persistence.TestJournal;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TabTest {
  @JUnit5TestKit
  final ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(TestJournal.config(TestJournal.newDataDir())).build();

  @BeforeAll
  void schema() {
    TestJournal.createSchema(testKit.system());
  }

  private int counter;

  private String newTabId() {
    return "tab-test-" + (++counter);
  }

  private ActorRef<Tab.Command> spawn(String tabId, TestProbe<StateHub.Command> hub) {
    return testKit.spawn(Tab.create("p-tab", tabId, "w1", "https://a.example/", "https://a.example/", true, hub.ref()));
  }

  private static TabInfo ok(TestProbe<StatusReply<TabInfo>> probe) {
    StatusReply<TabInfo> reply = probe.receiveMessage();
    assertTrue(reply.isSuccess(), () -> "expected success, got " + reply);
    return reply.getValue();
  }

  @Test
  void shouldGoBackAndForwardAndDropForwardEntriesOnNavigate() {
    TestProbe<StateHub.Command> hub = testKit.createTestProbe();
    TestProbe<StatusReply<TabInfo>> reply = testKit.createTestProbe();
    ActorRef<Tab.Command> tab = spawn(newTabId(), hub);

    tab.tell(new Tab.Navigate("https://b.example/", reply.getRef()));
    TabInfo b = ok(reply);
    assertEquals("https://b.example/", b.url());
    assertTrue(b.canGoBack());
    assertFalse(b.canGoForward());

    tab.tell(new Tab.Navigate("https://c.example/", reply.getRef()));
    ok(reply);
    tab.tell(new Tab.GoBack(reply.getRef()));
    assertEquals("https://b.example/", ok(reply).url());
    tab.tell(new Tab.GoBack(reply.getRef()));
    TabInfo a = ok(reply);
    assertEquals("https://a.example/", a.url());
    assertFalse(a.canGoBack());
    assertTrue(a.canGoForward());

    tab.tell(new Tab.GoForward(reply.getRef()));
    assertEquals("https://b.example/", ok(reply).url());

    // Navigating from the middle drops c.
    tab.tell(new Tab.Navigate("https://d.example/", reply.getRef()));
    TabInfo d = ok(reply);
    assertFalse(d.canGoForward());
    tab.tell(new Tab.GoBack(reply.getRef()));
    assertEquals("https://b.example/", ok(reply).url());
    tab.tell(new Tab.GoForward(reply.getRef()));
    assertEquals("https://d.example/", ok(reply).url());
  }

  @Test
  void shouldRefuseBackAndForwardWithConflictWhenThereIsNothingThere() {
    String tabId = newTabId();
    TestProbe<StatusReply<TabInfo>> reply = testKit.createTestProbe();
    ActorRef<Tab.Command> tab = spawn(tabId, testKit.createTestProbe());

    tab.tell(new Tab.GoBack(reply.getRef()));
    StatusReply<TabInfo> back = reply.receiveMessage();
    assertTrue(back.isError());
    IpcException error = (IpcException) back.getError();
    assertEquals(ErrorCode.CONFLICT, error.code());
    assertEquals("Tab '" + tabId + "' cannot go back", error.error().message());

    tab.tell(new Tab.GoForward(reply.getRef()));
    IpcException forward = (IpcException) reply.receiveMessage().getError();
    assertEquals(ErrorCode.CONFLICT, forward.code());
    assertEquals("Tab '" + tabId + "' cannot go forward", forward.error().message());
  }

  @Test
  void shouldPublishItsStateAfterRecoveryAndAfterEachChange() {
    String tabId = newTabId();
    TestProbe<StateHub.Command> hub = testKit.createTestProbe();
    TestProbe<StatusReply<TabInfo>> reply = testKit.createTestProbe();
    ActorRef<Tab.Command> tab = spawn(tabId, hub);

    StateHub.Put initial = hub.expectMessageClass(StateHub.Put.class);
    assertEquals("tabs/" + tabId, initial.path());
    assertEquals("https://a.example/", initial.value().get("url").asText());

    tab.tell(new Tab.Update("Hello", true, true, null, reply.getRef()));
    TabInfo updated = ok(reply);
    assertEquals(new TabInfo(tabId, "w1", "https://a.example/", "Hello", false, false, true, true, true), updated);
    StateHub.Put put = hub.expectMessageClass(StateHub.Put.class);
    assertEquals(PayloadCodec.toTree(updated), put.value());

    tab.tell(new Tab.SetActive(false));
    StateHub.Put inactive = hub.expectMessageClass(StateHub.Put.class);
    assertFalse(inactive.value().get("active").asBoolean());
  }

  @Test
  void shouldRecoverHistoryWhenRestarted() {
    String tabId = newTabId();
    TestProbe<StatusReply<TabInfo>> reply = testKit.createTestProbe();
    ActorRef<Tab.Command> tab = spawn(tabId, testKit.createTestProbe());
    tab.tell(new Tab.Navigate("https://b.example/", reply.getRef()));
    ok(reply);
    tab.tell(new Tab.Update(null, true, null, null, reply.getRef()));
    ok(reply);
    testKit.stop(tab);

    ActorRef<Tab.Command> again = spawn(tabId, testKit.createTestProbe());
    again.tell(new Tab.Get(reply.getRef()));
    TabInfo recovered = ok(reply);
    assertEquals("https://b.example/", recovered.url());
    assertTrue(recovered.canGoBack());
    assertTrue(recovered.pinned());
    again.tell(new Tab.GoBack(reply.getRef()));
    assertEquals("https://a.example/", ok(reply).url());
  }
}
