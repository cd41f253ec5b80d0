package org.browseros.ipc.main.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.browseros.ipc.main.persistence.TestJournal;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.main.system.SystemMonitor;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SettingsTest {
  @JUnit5TestKit
  final ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(TestJournal.config(TestJournal.newDataDir())).build();

  private int counter;

  @BeforeAll
  void schema() {
    TestJournal.createSchema(testKit.system());
  }

  private String newProfile() {
    return "p-settings-" + (++counter);
  }

  private ActorRef<Settings.Command> spawn(String profileId, TestProbe<StateHub.Command> hub,
      TestProbe<SystemMonitor.Command> monitor) {
    return testKit.spawn(Settings.create(profileId, hub.getRef(), monitor.getRef()));
  }

  private IpcException updateFails(ActorRef<Settings.Command> settings, String key, JsonNode value) {
    TestProbe<StatusReply<Setting>> reply = testKit.createTestProbe();
    settings.tell(new Settings.Update(key, value, reply.getRef()));
    StatusReply<Setting> result = reply.receiveMessage();
    assertTrue(result.isError(), () -> "expected an error for " + key + "=" + value);
    return (IpcException) result.getError();
  }

  @Test
  void shouldRefuseUnknownKeysAndValuesThatBreakTheSchema() {
    ActorRef<Settings.Command> settings = spawn(newProfile(), testKit.createTestProbe(), testKit.createTestProbe());

    IpcException unknown = updateFails(settings, "x", TextNode.valueOf("y"));
    assertEquals(ErrorCode.VALIDATION, unknown.code());
    assertEquals("Unknown setting 'x'", unknown.error().message());

    IpcException zoom = updateFails(settings, "zoom", IntNode.valueOf(501));
    assertEquals(ErrorCode.VALIDATION, zoom.code());
    assertEquals("Setting 'zoom' must be an integer from 25 to 500", zoom.error().message());
    assertEquals(ErrorCode.VALIDATION, updateFails(settings, "zoom", TextNode.valueOf("100")).code());
    assertEquals("Setting 'theme' must be one of light, dark, system",
        updateFails(settings, "theme", TextNode.valueOf("pink")).error().message());
    assertTrue(updateFails(settings, "homepage", TextNode.valueOf("ftp://x.example/")).error().message()
        .startsWith("Setting 'homepage'"));
    assertTrue(updateFails(settings, "homepage", TextNode.valueOf("example.com")).error().message()
        .startsWith("Setting 'homepage'"));
    assertTrue(updateFails(settings, "search.engine", TextNode.valueOf("altavista")).error().message()
        .startsWith("Setting 'search.engine' must be one of duckduckgo"));
    assertEquals("Setting 'downloads.directory' must be an absolute path",
        updateFails(settings, "downloads.directory", TextNode.valueOf("relative/dir")).error().message());

    TestProbe<StatusReply<SettingsView>> get = testKit.createTestProbe();
    settings.tell(new Settings.Get("x", get.getRef()));
    IpcException notFound = (IpcException) get.receiveMessage().getError();
    assertEquals(ErrorCode.NOT_FOUND, notFound.code());
    assertEquals("Unknown setting 'x'", notFound.error().message());

    // Refused updates do not count.
    settings.tell(new Settings.Get(null, get.getRef()));
    assertEquals(0, get.receiveMessage().getValue().version());
  }

  @Test
  void shouldCountAcceptedUpdatesPublishThemAndAnnounceTheChange() {
    TestProbe<StateHub.Command> hub = testKit.createTestProbe();
    TestProbe<SystemMonitor.Command> monitor = testKit.createTestProbe();
    ActorRef<Settings.Command> settings = spawn(newProfile(), hub, monitor);
    // After recovery every key is published with its default.
    List<StateHub.Put> initial = hub.receiveSeveralMessages(SettingsSchema.keys().size()).stream()
        .map(StateHub.Put.class::cast).toList();
    assertTrue(initial.contains(new StateHub.Put("settings/zoom", IntNode.valueOf(100))));
    assertTrue(initial.contains(new StateHub.Put("settings/homepage", TextNode.valueOf("about:blank"))));

    TestProbe<StatusReply<Setting>> reply = testKit.createTestProbe();
    settings.tell(new Settings.Update("theme", TextNode.valueOf("dark"), reply.getRef()));
    assertEquals(new Setting("theme", TextNode.valueOf("dark"), 1), reply.receiveMessage().getValue());
    assertEquals(new StateHub.Put("settings/theme", TextNode.valueOf("dark")), hub.receiveMessage());
    SystemMonitor.Publish published = monitor.expectMessageClass(SystemMonitor.Publish.class);
    assertEquals(SystemEvent.SETTINGS_CHANGED, published.event().kind());
    assertEquals("theme", published.event().data().get("key"));

    settings.tell(new Settings.Update("zoom", IntNode.valueOf(150), reply.getRef()));
    assertEquals(2, reply.receiveMessage().getValue().version());

    TestProbe<StatusReply<SettingsView>> get = testKit.createTestProbe();
    settings.tell(new Settings.Get(null, get.getRef()));
    SettingsView all = get.receiveMessage().getValue();
    assertEquals(2, all.version());
    assertEquals(SettingsSchema.keys().size(), all.settings().size());
    assertEquals(IntNode.valueOf(150), all.settings().get("zoom"));
    assertEquals(TextNode.valueOf("duckduckgo"), all.settings().get("search.engine"));
    assertEquals(TextNode.valueOf("~/Downloads"), all.settings().get("downloads.directory"));
  }

  @Test
  void shouldRecoverItsValuesAndFallBackToTheDefaultForAStoredValueTheSchemaNoLongerAccepts() {
    String profileId = newProfile();
    // Write what an older schema would have accepted straight into the journal.
    TestProbe<Done> written = testKit.createTestProbe();
    ActorRef<String> writer = testKit.spawn(Writer.create(profileId, List.of(
        new Settings.SettingChanged("zoom", IntNode.valueOf(9000)),
        new Settings.SettingChanged("theme", TextNode.valueOf("dark"))), written.getRef()));
    writer.tell("write");
    written.expectMessage(Done.getInstance());
    testKit.stop(writer);

    TestProbe<StateHub.Command> hub = testKit.createTestProbe();
    ActorRef<Settings.Command> settings = LoggingTestKit.warn("no longer passes the schema")
        .expect(testKit.system(), () -> spawn(profileId, hub, testKit.createTestProbe()));
    List<StateHub.Command> published = hub.receiveSeveralMessages(SettingsSchema.keys().size());
    assertTrue(published.contains(new StateHub.Put("settings/zoom", IntNode.valueOf(100))));
    assertTrue(published.contains(new StateHub.Put("settings/theme", TextNode.valueOf("dark"))));

    TestProbe<StatusReply<SettingsView>> get = testKit.createTestProbe();
    settings.tell(new Settings.Get("zoom", get.getRef()));
    SettingsView zoom = get.receiveMessage().getValue();
    assertEquals(IntNode.valueOf(100), zoom.settings().get("zoom"));
    assertEquals(2, zoom.version());
  }

  @Test
  void shouldRecoverDespiteStoredKeysTheSchemaNoLongerKnowsOrValuesThatAreMissing() {
    String profileId = newProfile();
    TestProbe<Done> written = testKit.createTestProbe();
    ActorRef<String> writer = testKit.spawn(Writer.create(profileId, List.of(
        new Settings.SettingChanged("toolbar.layout", TextNode.valueOf("compact")),
        new Settings.SettingChanged("homepage", null),
        new Settings.SettingChanged("zoom", TextNode.valueOf("150"))), written.getRef()));
    writer.tell("write");
    written.expectMessage(Done.getInstance());
    testKit.stop(writer);

    ActorRef<Settings.Command> settings = spawn(profileId, testKit.createTestProbe(), testKit.createTestProbe());
    TestProbe<StatusReply<SettingsView>> get = testKit.createTestProbe();
    settings.tell(new Settings.Get(null, get.getRef()));
    SettingsView all = get.receiveMessage(java.time.Duration.ofSeconds(10)).getValue();
    assertEquals(SettingsSchema.keys(), List.copyOf(all.settings().keySet()));
    assertEquals(TextNode.valueOf("about:blank"), all.settings().get("homepage"));
    assertEquals(IntNode.valueOf(100), all.settings().get("zoom"));
    assertEquals(3, all.version());
    // And it still takes updates.
    TestProbe<StatusReply<Setting>> update = testKit.createTestProbe();
    settings.tell(new Settings.Update("zoom", IntNode.valueOf(90), update.getRef()));
    assertEquals(4, update.receiveMessage(java.time.Duration.ofSeconds(10)).getValue().version());
  }

  @Test
  void shouldKeepTheMemoryCurrentForReadsWhileTheJournalIsDown() {
    String profileId = newProfile();
    ActorRef<SettingsMemory.Command> memory = testKit.spawn(SettingsMemory.create());
    TestProbe<StatusReply<SettingsView>> read = testKit.createTestProbe();

    // A profile the memory never heard of reads as the schema defaults.
    memory.tell(new SettingsMemory.Get("never-loaded", "theme", read.getRef()));
    assertEquals(new SettingsView(java.util.Map.of("theme", TextNode.valueOf("system")), 0), read.receiveMessage().getValue());

    ActorRef<Settings.Command> settings = spawn(profileId, testKit.createTestProbe(), testKit.createTestProbe());
    TestProbe<StatusReply<Setting>> update = testKit.createTestProbe();
    settings.tell(new Settings.Update("theme", TextNode.valueOf("dark"), update.getRef()));
    update.receiveMessage(java.time.Duration.ofSeconds(10));

    read.awaitAssert(java.time.Duration.ofSeconds(10), () -> {
      memory.tell(new SettingsMemory.Get(profileId, null, read.getRef()));
      SettingsView view = read.receiveMessage().getValue();
      assertEquals(TextNode.valueOf("dark"), view.settings().get("theme"));
      assertEquals(IntNode.valueOf(100), view.settings().get("zoom"));
      assertEquals(1, view.version());
      return null;
    });
    // An older view arriving late does not win.
    memory.tell(new SettingsMemory.Known(profileId, java.util.Map.of(), 0));
    memory.tell(new SettingsMemory.Get(profileId, "theme", read.getRef()));
    assertEquals(TextNode.valueOf("dark"), read.receiveMessage().getValue().settings().get("theme"));
    memory.tell(new SettingsMemory.Get(profileId, "nope", read.getRef()));
    assertEquals(ErrorCode.NOT_FOUND, ((IpcException) read.receiveMessage().getError()).code());
  }

  /** Persists the given events under a profile's settings id, as a past version might have. */
  private static final class Writer extends EventSourcedBehavior<String, Settings.Event, String> {
    private final List<Settings.Event> events;
    private final ActorRef<Done> done;

    static Behavior<String> create(String profileId, List<Settings.Event> events, ActorRef<Done> done) {
      return new Writer(profileId, events, done);
    }

    private Writer(String profileId, List<Settings.Event> events, ActorRef<Done> done) {
      super(PersistenceId.ofUniqueId("Settings|" + profileId));
      this.events = events;
      this.done = done;
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public CommandHandler<String, Settings.Event, String> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onAnyCommand((s, c) -> Effect().persist(events).thenRun(x -> done.tell(Done.getInstance())));
    }

    @Override
    public EventHandler<String, Settings.Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> s);
    }

}
}
