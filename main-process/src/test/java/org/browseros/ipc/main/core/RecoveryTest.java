package org.browseros.ipc.main.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.browseros.ipc.main.persistence.TestJournal;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.navigation.NavigateBack;
import org.browseros.ipc.protocol.navigation.NavigateForward;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabDelete;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowClose;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A main process that stops and starts again on the same journal gets its session back, published. */
@ExtendWith(LogCapturingExtension.class)
class RecoveryTest {
  private static final String PROFILE = "default";

  private interface Life {
    void run(ActorTestKit kit, DomainFixture core) throws Exception;
  }

  /** One life of main's core on the journal of {@code config}: started, used, shut down. */
  private static void live(String name, Config config, Life life) throws Exception {
    ActorTestKit kit = ActorTestKit.create(name, config);
    try {
      life.run(kit, DomainFixture.start(kit));
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void shouldRestoreAndRepublishTheDefaultProfileAfterARestart() throws Exception {
    Path dataDir = TestJournal.newDataDir();
    Config config = TestJournal.config(dataDir);

    live("recovery-first", config, (first, core) -> {
      core.call(Channels.WINDOW_CREATE, new WindowCreate("Work", new Bounds(5, 6, 700, 500)), PROFILE);
      core.call(Channels.TAB_CREATE, new TabCreate("w1", "https://a.example/", null), PROFILE);
      core.call(Channels.NAVIGATE, new Navigate("t1", "https://b.example/"), PROFILE);
      core.call(Channels.NAVIGATE, new Navigate("t1", "https://c.example/"), PROFILE);
      core.call(Channels.NAVIGATE_BACK, new NavigateBack("t1"), PROFILE);
      core.call(Channels.TAB_CREATE, new TabCreate("w1", "https://d.example/", null), PROFILE);
      core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), PROFILE);
      core.call(Channels.WINDOW_CLOSE, new WindowClose("w2"), PROFILE);
      core.call(Channels.SETTINGS_UPDATE, new SettingsUpdate("theme", TextNode.valueOf("dark")), PROFILE);
      core.call(Channels.SETTINGS_UPDATE, new SettingsUpdate("zoom", IntNode.valueOf(125)), PROFILE);
    });

    live("recovery-second", config, (second, core) -> {
      // Nothing is asked of the profile: the wake at start-up alone must bring the state back.
      TestProbe<StateSync> subscriber = second.createTestProbe();
      core.domain.stateHub().tell(new StateHub.Subscribe(subscriber.getRef()));
      Map<String, JsonNode> state = new HashMap<>();
      subscriber.awaitAssert(Duration.ofSeconds(15), () -> {
        StateSync sync = subscriber.receiveMessage(Duration.ofSeconds(10));
        if (sync.snapshot()) {
          state.clear();
        }
        state.putAll(sync.set());
        sync.removed().forEach(state::remove);
        assertTrue(state.containsKey("windows/w1") && state.containsKey("tabs/t1") && state.containsKey("tabs/t2")
            && state.containsKey("settings/theme") && state.containsKey("settings/zoom")
            && state.containsKey("tabs/t1") && !state.get("tabs/t1").get("active").asBoolean(),
            () -> "not yet restored: " + state.keySet());
        return null;
      });

      assertEquals("Work", state.get("windows/w1").get("title").asText());
      assertEquals(700, state.get("windows/w1").get("bounds").get("width").asInt());
      assertEquals(List.of("t1", "t2"),
          List.of(state.get("windows/w1").get("tabs").get(0).asText(), state.get("windows/w1").get("tabs").get(1).asText()));
      assertFalse(state.containsKey("windows/w2"));
      JsonNode t1 = state.get("tabs/t1");
      assertEquals("https://b.example/", t1.get("url").asText());
      assertTrue(t1.get("canGoBack").asBoolean());
      assertTrue(t1.get("canGoForward").asBoolean());
      assertTrue(state.get("tabs/t2").get("active").asBoolean());
      assertEquals(TextNode.valueOf("dark"), state.get("settings/theme"));
      assertEquals(IntNode.valueOf(125), state.get("settings/zoom"));

      TabInfo forward = core.call(Channels.NAVIGATE_FORWARD, new NavigateForward("t1"), PROFILE);
      assertEquals("https://c.example/", forward.url());
      assertEquals(2, core.call(Channels.SETTINGS_GET, new SettingsGet(null), PROFILE).version());
      // Closed window w2 stays closed and its id is not reused.
      assertEquals("w3", core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), PROFILE).windowId());
      assertEquals("t3", core.call(Channels.TAB_CREATE, new TabCreate("w3", null, null), PROFILE).tabId());
    });
  }

  /**
   * The profile snapshots every 100 events and updates its tab index in place between snapshots: a
   * restart must find every tab from the snapshot and the events after it, and none of a closed window.
   */
  @Test
  void shouldRestoreEveryTabFromTheProfilesSnapshotAndTheEventsAfterIt() throws Exception {
    Path dataDir = TestJournal.newDataDir();
    Config config = TestJournal.config(dataDir);

    live("recovery-snapshot-first", config, (first, core) -> {
      core.call(Channels.WINDOW_CREATE, new WindowCreate("Kept", null), PROFILE);
      core.call(Channels.WINDOW_CREATE, new WindowCreate("Closed", null), PROFILE);
      // 2 windows and 120 tabs: 122 events, the snapshot after the 100th.
      for (int i = 1; i <= 120; i++) {
        core.call(Channels.TAB_CREATE, new TabCreate(i % 2 == 1 ? "w1" : "w2", "https://" + i + ".example/", false), PROFILE);
      }
      core.call(Channels.TAB_DELETE, new TabDelete("t119"), PROFILE);
      core.call(Channels.WINDOW_CLOSE, new WindowClose("w2"), PROFILE);
    });

    live("recovery-snapshot-second", config, (second, core) -> {
      // Tabs of w1 from before the snapshot and after it still reach their window.
      assertEquals("https://x.example/", core.call(Channels.NAVIGATE, new Navigate("t1", "https://x.example/"), PROFILE).url());
      assertEquals("https://y.example/", core.call(Channels.NAVIGATE, new Navigate("t117", "https://y.example/"), PROFILE).url());
      assertEquals(ErrorCode.NOT_FOUND, core.failure(Channels.NAVIGATE, new Navigate("t119", "https://z.example/"), PROFILE).code());
      assertEquals(ErrorCode.NOT_FOUND, core.failure(Channels.NAVIGATE, new Navigate("t2", "https://z.example/"), PROFILE).code(),
          "a tab of the closed window");
      assertEquals(ErrorCode.NOT_FOUND, core.failure(Channels.NAVIGATE, new Navigate("t120", "https://z.example/"), PROFILE).code(),
          "a tab of the closed window, created after the snapshot");
      assertEquals("t121", core.call(Channels.TAB_CREATE, new TabCreate("w1", null, null), PROFILE).tabId());
    });
  }
}
