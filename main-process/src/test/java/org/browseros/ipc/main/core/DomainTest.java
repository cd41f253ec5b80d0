package org.browseros.ipc.main.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.persistence.JournalSchema;
import org.browseros.ipc.main.persistence.TestJournal;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.Direction;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.navigation.NavigateBack;
import org.browseros.ipc.protocol.renderers.RenderersQuery;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.system.PowerState;
import org.browseros.ipc.protocol.system.PowerStateQuery;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabDelete;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowClose;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowState;
import org.browseros.ipc.protocol.window.WindowUpdate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DomainTest {
  @JUnit5TestKit
  final ActorTestKit testKit =
      new JUnit5TestKitBuilder().withCustomConfig(TestJournal.config(TestJournal.newDataDir())).build();

  private DomainFixture core;
  private int counter;

  @BeforeAll
  void start() throws Exception {
    core = DomainFixture.start(testKit);
    // Creating the schema again is harmless (every start-up does it).
    JournalSchema.createIfNotExists(testKit.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private String newProfile() {
    return "p-domain-" + (++counter);
  }

  @Test
  void shouldServeEveryBuiltInInvokeChannelButRenderersList() {
    for (Channel<?, ?> channel : Channels.builtIn().values()) {
      boolean expected = channel.isInvoke() && !channel.equals(Channels.RENDERERS_LIST);
      assertEquals(expected, core.domain.serves(channel), channel.name());
    }
    assertFalse(core.domain.serves(Channel.dynamic("app:echo", Direction.INVOKE)));
    IpcException e = core.failure(Channels.RENDERERS_LIST, new RenderersQuery(), "x");
    assertEquals(ErrorCode.NOT_FOUND, e.code());
  }

  @Test
  void shouldCreateWindowsAndTabsWithDefaults() {
    String p = newProfile();
    WindowInfo window = core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), p);
    assertEquals(new WindowInfo("w1", "New Window", Bounds.DEFAULT, WindowState.NORMAL, true, List.of()), window);

    TabInfo blank = core.call(Channels.TAB_CREATE, new TabCreate("w1", null, null), p);
    assertEquals(new TabInfo("t1", "w1", "about:blank", "about:blank", false, false, false, false, true), blank);

    core.call(Channels.SETTINGS_UPDATE, new SettingsUpdate("homepage", TextNode.valueOf("https://home.example/")), p);
    TabInfo home = core.call(Channels.TAB_CREATE, new TabCreate("w1", null, false), p);
    assertEquals("https://home.example/", home.url());
    assertEquals("https://home.example/", home.title());
    assertFalse(home.active());

    WindowInfo second = core.call(Channels.WINDOW_CREATE, new WindowCreate("Mine\u0007", new Bounds(1, 2, 3, 4)), p);
    assertEquals("w2", second.windowId());
    assertEquals("Mine", second.title());
    WindowInfo updated = core.call(Channels.WINDOW_UPDATE,
        new WindowUpdate("w2", null, null, WindowState.FULLSCREEN, false), p);
    assertEquals(new WindowInfo("w2", "Mine", new Bounds(1, 2, 3, 4), WindowState.FULLSCREEN, false, List.of()), updated);
  }

  @Test
  void shouldNavigateThroughTheCallersProfile() {
    String p = newProfile();
    core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), p);
    core.call(Channels.TAB_CREATE, new TabCreate("w1", "https://a.example/", null), p);
    TabInfo b = core.call(Channels.NAVIGATE, new Navigate("t1", "https://b.example/"), p);
    assertTrue(b.canGoBack());
    TabInfo a = core.call(Channels.NAVIGATE_BACK, new NavigateBack("t1"), p);
    assertEquals("https://a.example/", a.url());
    IpcException again = core.failure(Channels.NAVIGATE_BACK, new NavigateBack("t1"), p);
    assertEquals(ErrorCode.CONFLICT, again.code());
    assertEquals("Tab 't1' cannot go back", again.error().message());

    TabInfo pinned = core.call(Channels.TAB_UPDATE, new TabUpdate("t1", null, true, null, null), p);
    assertTrue(pinned.pinned());
    assertTrue(pinned.active());

    // Another profile does not see this one's tabs.
    assertEquals(ErrorCode.NOT_FOUND, core.failure(Channels.NAVIGATE, new Navigate("t1", "https://c.example/"), newProfile()).code());
  }

  @Test
  void shouldCloseAWindowWithItsTabs() {
    String p = newProfile();
    core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), p);
    core.call(Channels.TAB_CREATE, new TabCreate("w1", "https://a.example/", null), p);
    core.call(Channels.TAB_CREATE, new TabCreate("w1", "https://b.example/", null), p);
    assertEquals(new WindowClosed("w1", List.of("t1", "t2")), core.call(Channels.WINDOW_CLOSE, new WindowClose("w1"), p));

    IpcException gone = core.failure(Channels.TAB_DELETE, new TabDelete("t2"), p);
    assertEquals(ErrorCode.NOT_FOUND, gone.code());
    assertEquals("No tab 't2'", gone.error().message());
    assertEquals(ErrorCode.NOT_FOUND, core.failure(Channels.WINDOW_CLOSE, new WindowClose("w1"), p).code());
    // Ids are never reused.
    assertEquals("w2", core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), p).windowId());
    assertEquals("t3", core.call(Channels.TAB_CREATE, new TabCreate("w2", null, null), p).tabId());
  }

  @Test
  void shouldFailWithTypedErrors() {
    String p = newProfile();
    core.call(Channels.WINDOW_CREATE, new WindowCreate(null, null), p);
    core.call(Channels.TAB_CREATE, new TabCreate("w1", null, null), p);

    IpcException noTab = core.failure(Channels.TAB_UPDATE, new TabUpdate("t9", "x", null, null, null), p);
    assertEquals(ErrorCode.NOT_FOUND, noTab.code());
    assertEquals("No tab 't9'", noTab.error().message());
    assertEquals(ErrorCode.NOT_FOUND, core.failure(Channels.TAB_CREATE, new TabCreate("w9", null, null), p).code());

    IpcException missing = core.failure(Channels.TAB_CREATE, new TabCreate(null, null, null), p);
    assertEquals(ErrorCode.VALIDATION, missing.code());
    assertEquals("windowId is required", missing.error().message());
    assertEquals(ErrorCode.VALIDATION, core.failure(Channels.NAVIGATE, new Navigate(null, "https://a.example/"), p).code());
    assertEquals(ErrorCode.VALIDATION, core.failure(Channels.WINDOW_CLOSE, new WindowClose(""), p).code());

    for (String bad : List.of("javascript:alert(1)", "file:///etc/passwd", "https://", "not a url", "ftp://x.example/")) {
      IpcException e = core.failure(Channels.NAVIGATE, new Navigate("t1", bad), p);
      assertEquals(ErrorCode.VALIDATION, e.code(), bad);
    }
    assertEquals(ErrorCode.VALIDATION,
        core.failure(Channels.WINDOW_CREATE, new WindowCreate(null, new Bounds(0, 0, 0, 10)), p).code());
    assertEquals(ErrorCode.VALIDATION,
        core.failure(Channels.WINDOW_UPDATE, new WindowUpdate("w1", "x".repeat(1025), null, null, null), p).code());
    assertEquals(ErrorCode.VALIDATION,
        core.failure(Channels.SETTINGS_UPDATE, new SettingsUpdate("x", TextNode.valueOf("y")), p).code());
    assertEquals(ErrorCode.NOT_FOUND, core.failure(Channels.SETTINGS_GET, new SettingsGet("x"), p).code());
    // A payload of the wrong type never reaches the profile.
    @SuppressWarnings({"unchecked", "rawtypes"})
    Channel<Object, ?> raw = (Channel) Channels.NAVIGATE;
    assertEquals(ErrorCode.VALIDATION, core.failure(raw, "not a payload", p).code());
  }

  @Test
  void shouldAnswerSettingsAndPower() {
    String p = newProfile();
    JsonNode theme = core.call(Channels.SETTINGS_GET, new SettingsGet("theme"), p).settings().get("theme");
    assertEquals(TextNode.valueOf("system"), theme);
    assertEquals(1, core.call(Channels.SETTINGS_UPDATE, new SettingsUpdate("theme", TextNode.valueOf("light")), p).version());
    assertEquals(5, core.call(Channels.SETTINGS_GET, new SettingsGet(null), p).settings().size());
    // The test config points at a directory that does not exist.
    assertEquals(new PowerState("unknown", null, "unknown"), core.call(Channels.POWER_STATE, new PowerStateQuery(), p));
  }

  @Test
  void shouldFailWithTimeoutRatherThanHang() throws Exception {
    // A node that never joins its cluster never starts a shard: requests wait until the ask timeout.
    Config impatient = ConfigFactory
        .parseString("browseros.domain.ask-timeout = 300ms\n"
            // Its region has nothing to hand over: do not wait for that at shutdown.
            + "pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 1s").withFallback(testKit.system().settings().config());
    ActorTestKit unjoined = ActorTestKit.create("unjoined", impatient);
    try {
      CompletableFuture<Domain> started = new CompletableFuture<>();
      unjoined.spawn(Behaviors.<Void>setup(context -> {
        started.complete(Domain.start(context, unjoined.system().settings().config()));
        return Behaviors.empty();
      }), "core");
      Domain domain = started.get(10, TimeUnit.SECONDS);
      ExecutionException failure = assertThrows(
          ExecutionException.class,
          () -> domain.invoke(Channels.WINDOW_CREATE, new WindowCreate(null, null), DomainFixture.caller("p"))
              .toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertEquals(ErrorCode.TIMEOUT, ((IpcException) failure.getCause()).code());
    } finally {
      unjoined.shutdownTestKit();
    }
  }
}
