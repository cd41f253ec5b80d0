package org.browseros.ipc.main.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.Config;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.browseros.ipc.main.persistence.JournalHealth;
import org.browseros.ipc.main.persistence.TestJournal;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.PowerStateQuery;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The journal on an H2 TCP server that the test stops and starts again: while it is down writes
 * fail at once with UNAVAILABLE and reads answer from memory; when it is back, writes work again
 * without a restart, and everything acknowledged survives.
 */
@ExtendWith(LogCapturingExtension.class)
class JournalOutageTest {
  private static final String PROFILE = "default";
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  static {
    // Loopback only (the build sets it too; this covers a run from an IDE).
    System.setProperty("h2.bindAddress", "127.0.0.1");
  }

  private static Server tcpServer(Path baseDir, int port) throws SQLException {
    return Server.createTcpServer("-tcpPort", Integer.toString(port), "-baseDir", baseDir.toString(), "-ifNotExists")
        .start();
  }

  private static SystemEvent awaitEvent(TestProbe<SystemEvent> events, String kind) {
    List<SystemEvent> seen = events.fishForMessage(Duration.ofSeconds(30), event -> kind.equals(event.kind())
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    return seen.get(seen.size() - 1);
  }

  private static <P> void assertRefusedAtOnce(DomainFixture core, Channel<P, ?> channel, P payload) {
    long start = System.nanoTime();
    IpcException refused = core.failure(channel, payload, PROFILE);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(ErrorCode.UNAVAILABLE, refused.code(), () -> channel.name() + ": " + refused.getMessage());
    assertTrue(refused.error().message().startsWith("The journal is unavailable: writes are refused until it recovers"),
        refused.error().message());
    // A refusal, not a request that waited for the ask timeout.
    assertTrue(took.compareTo(ASK_TIMEOUT) < 0, () -> channel.name() + " took " + took);
  }

  /** On a busy machine the first shard can take longer than an ask timeout to start. */
  private static void awaitProfile(ActorTestKit testKit, DomainFixture core) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(500), () ->
        core.call(Channels.SETTINGS_GET, new SettingsGet("theme"), PROFILE));
  }

  @Test
  void shouldRefuseWritesAnswerReadsFromMemoryAndRecoverByItselfWhenTheJournalComesBack() throws Exception {
    Path dataDir = TestJournal.newDataDir();
    Path dbDir = dataDir.resolve("h2");
    Server server = tcpServer(dbDir, 0);
    int port = server.getPort();
    Config config = TestJournal.config(dataDir,
        "browseros.journal.url = \"jdbc:h2:tcp://127.0.0.1:" + port + "/browseros;WRITE_DELAY=0\"\n"
            + "browseros.journal.health.probe-interval = 200ms\n"
            + "browseros.domain.ask-timeout = " + ASK_TIMEOUT.toMillis() + "ms\n");
    try {
      ActorTestKit first = ActorTestKit.create("journal-outage", config);
      try {
        DomainFixture core = DomainFixture.start(first);
        awaitProfile(first, core);
        TestProbe<SystemEvent> events = first.createTestProbe();
        core.domain.subscribeSystemEvents(events.getRef());
        core.call(Channels.WINDOW_CREATE, new WindowCreate("Work", null), PROFILE);
        core.call(Channels.TAB_CREATE, new TabCreate("w1", "https://a.example/", null), PROFILE);
        core.call(Channels.NAVIGATE, new Navigate("t1", "https://b.example/"), PROFILE);
        core.call(Channels.SETTINGS_UPDATE, new SettingsUpdate("theme", TextNode.valueOf("dark")), PROFILE);
        assertTrue(core.domain.journalAvailable());

        server.stop();
        SystemEvent down = awaitEvent(events, JournalHealth.JOURNAL_UNAVAILABLE);
        assertTrue(down.data().containsKey("reason"), () -> "no reason in " + down);
        assertTrue(!core.domain.journalAvailable());

        assertRefusedAtOnce(core, Channels.WINDOW_CREATE, new WindowCreate(null, null));
        assertRefusedAtOnce(core, Channels.TAB_CREATE, new TabCreate("w1", "https://x.example/", null));
        assertRefusedAtOnce(core, Channels.NAVIGATE, new Navigate("t1", "https://x.example/"));
        assertRefusedAtOnce(core, Channels.SETTINGS_UPDATE, new SettingsUpdate("zoom", IntNode.valueOf(200)));

        // Reads: settings from memory, the state tree from the hub, power from sysfs.
        SettingsView theme = core.call(Channels.SETTINGS_GET, new SettingsGet("theme"), PROFILE);
        assertEquals(TextNode.valueOf("dark"), theme.settings().get("theme"));
        assertEquals(1, theme.version());
        SettingsView all = core.call(Channels.SETTINGS_GET, new SettingsGet(null), PROFILE);
        assertEquals(IntNode.valueOf(100), all.settings().get("zoom"));
        assertEquals(5, all.settings().size());
        IpcException unknown = core.failure(Channels.SETTINGS_GET, new SettingsGet("nope"), PROFILE);
        assertEquals(ErrorCode.NOT_FOUND, unknown.code());
        core.call(Channels.POWER_STATE, new PowerStateQuery(), PROFILE);
        TestProbe<StateSync> snapshot = first.createTestProbe();
        core.domain.requestSnapshot(snapshot.getRef());
        StateSync state = snapshot.receiveMessage(Duration.ofSeconds(10));
        assertEquals("Work", state.set().get("windows/w1").get("title").asText());
        assertEquals("https://b.example/", state.set().get("tabs/t1").get("url").asText());

        server = tcpServer(dbDir, port);
        awaitEvent(events, JournalHealth.JOURNAL_RECOVERED);
        assertTrue(core.domain.journalAvailable());
        // No retry: the first writes after the recovery succeed.
        assertEquals("t2", core.call(Channels.TAB_CREATE, new TabCreate("w1", "https://c.example/", null), PROFILE).tabId());
        assertEquals(2, core.call(Channels.SETTINGS_UPDATE, new SettingsUpdate("zoom", IntNode.valueOf(125)), PROFILE).version());
      } finally {
        first.shutdownTestKit();
      }

      // Everything acknowledged, before and after the outage, is in the journal.
      ActorTestKit second = ActorTestKit.create("journal-outage-after", config);
      try {
        DomainFixture core = DomainFixture.start(second);
        awaitProfile(second, core);
        TestProbe<StateSync> subscriber = second.createTestProbe();
        core.domain.subscribeState(subscriber.getRef());
        Map<String, JsonNode> state = new HashMap<>();
        subscriber.awaitAssert(Duration.ofSeconds(20), () -> {
          StateSync sync = subscriber.receiveMessage(Duration.ofSeconds(10));
          if (sync.snapshot()) {
            state.clear();
          }
          state.putAll(sync.set());
          sync.removed().forEach(state::remove);
          assertTrue(state.containsKey("windows/w1") && state.containsKey("tabs/t1") && state.containsKey("tabs/t2")
              && IntNode.valueOf(125).equals(state.get("settings/zoom")), () -> "not yet restored: " + state.keySet());
          return null;
        });
        assertEquals("https://b.example/", state.get("tabs/t1").get("url").asText());
        assertEquals("https://c.example/", state.get("tabs/t2").get("url").asText());
        assertEquals(TextNode.valueOf("dark"), state.get("settings/theme"));
        assertEquals(2, core.call(Channels.SETTINGS_GET, new SettingsGet(null), PROFILE).version());
        // The refused writes left nothing behind: the next ids are the ones after t2 and w1.
        assertEquals("w2", core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), PROFILE).windowId());
      } finally {
        second.shutdownTestKit();
      }
    } finally {
      server.stop();
    }
  }
}
