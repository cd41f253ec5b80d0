package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.navigation.NavigateBack;
import org.browseros.ipc.protocol.navigation.NavigateForward;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.renderers.RenderersQuery;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.system.PowerState;
import org.browseros.ipc.protocol.system.PowerStateQuery;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabDelete;
import org.browseros.ipc.protocol.tab.TabDeleted;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowClose;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowState;
import org.browseros.ipc.protocol.window.WindowUpdate;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererChannels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every built-in channel, over real remoting, against a real main process with a launched renderer JVM. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BuiltInChannelsEndToEndTest {

  @TempDir
  static Path dataDir;

  MainFixture main;
  IpcRenderer ipc;

  @BeforeAll
  void startMain() throws Exception {
    main = MainFixture.start(dataDir, 1, new IpcMain(Duration.ofSeconds(5)));
    ipc = main.console();
  }

  @AfterAll
  void stopMain() {
    if (main != null) {
      main.close();
    }
  }

  private static ErrorCode codeOf(ExecutionException e) {
    return IpcException.errorOf(e).code();
  }

  @Test
  void shouldManageWindowsTabsAndNavigation() throws Exception {
    WindowInfo window = await(ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("Docs", new Bounds(10, 20, 800, 600))));
    assertEquals("Docs", window.title());
    assertEquals(new Bounds(10, 20, 800, 600), window.bounds());
    assertEquals(WindowState.NORMAL, window.state());

    TabInfo tab = await(ipc.invoke(Channels.TAB_CREATE, new TabCreate(window.windowId(), "https://example.org/", null)));
    assertEquals(window.windowId(), tab.windowId());
    assertEquals("https://example.org/", tab.url());
    assertTrue(tab.active());
    assertFalse(tab.canGoBack());

    await(ipc.invoke(Channels.NAVIGATE, new Navigate(tab.tabId(), "https://example.org/a")));
    TabInfo atB = await(ipc.invoke(Channels.NAVIGATE, new Navigate(tab.tabId(), "https://example.org/b")));
    assertTrue(atB.canGoBack());
    TabInfo back = await(ipc.invoke(Channels.NAVIGATE_BACK, new NavigateBack(tab.tabId())));
    assertEquals("https://example.org/a", back.url());
    assertTrue(back.canGoForward());
    TabInfo forward = await(ipc.invoke(Channels.NAVIGATE_FORWARD, new NavigateForward(tab.tabId())));
    assertEquals("https://example.org/b", forward.url());
    assertFalse(forward.canGoForward());

    TabInfo pinned = await(ipc.invoke(Channels.TAB_UPDATE, new TabUpdate(tab.tabId(), "Example", true, true, null)));
    assertTrue(pinned.pinned());
    assertTrue(pinned.muted());
    assertEquals("Example", pinned.title());

    TabInfo second = await(ipc.invoke(Channels.TAB_CREATE, new TabCreate(window.windowId(), null, true)));
    assertTrue(second.active());
    WindowInfo withTabs = await(ipc.invoke(Channels.WINDOW_UPDATE,
        new WindowUpdate(window.windowId(), "Docs 2", null, WindowState.MAXIMIZED, false)));
    assertEquals(List.of(tab.tabId(), second.tabId()), withTabs.tabs());
    assertEquals(WindowState.MAXIMIZED, withTabs.state());
    assertEquals("Docs 2", withTabs.title());

    TabDeleted deleted = await(ipc.invoke(Channels.TAB_DELETE, new TabDelete(second.tabId())));
    assertEquals(second.tabId(), deleted.tabId());
    WindowClosed closed = await(ipc.invoke(Channels.WINDOW_CLOSE, new WindowClose(window.windowId())));
    assertEquals(List.of(tab.tabId()), closed.closedTabs());

    ExecutionException gone = assertThrows(ExecutionException.class,
        () -> await(ipc.invoke(Channels.NAVIGATE, new Navigate(tab.tabId(), "https://example.org/c"))));
    assertEquals(ErrorCode.NOT_FOUND, codeOf(gone));
  }

  @Test
  void shouldAnswerTypedErrorsForBadInput() throws Exception {
    WindowInfo window = await(ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate(null, null)));
    assertEquals(ErrorCode.NOT_FOUND, codeOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke(Channels.TAB_UPDATE, new TabUpdate("t999", "x", null, null, null))))));
    assertEquals(ErrorCode.VALIDATION, codeOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke(Channels.TAB_CREATE, new TabCreate(window.windowId(), "javascript:alert(1)", null))))));
    assertEquals(ErrorCode.VALIDATION, codeOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke(Channels.SETTINGS_UPDATE, new SettingsUpdate("zoom", IntNode.valueOf(1000)))))));
    assertEquals(ErrorCode.VALIDATION, codeOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke("tab:create", PayloadCodec.parseJson("{\"windowId\":\"" + window.windowId() + "\",\"evil\":1}"))))));
    assertEquals(ErrorCode.NOT_FOUND, codeOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke("app:nothing", PayloadCodec.parseJson("{}"))))));
    assertEquals(ErrorCode.CONFLICT, codeOf(assertThrows(ExecutionException.class, () -> {
      TabInfo fresh = await(ipc.invoke(Channels.TAB_CREATE, new TabCreate(window.windowId(), null, null)));
      await(ipc.invoke(Channels.NAVIGATE_BACK, new NavigateBack(fresh.tabId())));
    })));
  }

  @Test
  void shouldUpdateAndReadSettingsAndAnnounceTheChange() throws Exception {
    LinkedBlockingQueue<SystemEvent> events = new LinkedBlockingQueue<>();
    ipc.on(Channels.SYSTEM_EVENT, events::add);
    Setting theme = await(ipc.invoke(Channels.SETTINGS_UPDATE, new SettingsUpdate("theme", TextNode.valueOf("dark"))));
    assertEquals("dark", theme.value().asText());
    SettingsView one = await(ipc.invoke(Channels.SETTINGS_GET, new SettingsGet("theme")));
    assertEquals(TextNode.valueOf("dark"), one.settings().get("theme"));
    assertEquals(theme.version(), one.version());
    SettingsView all = await(ipc.invoke(Channels.SETTINGS_GET, new SettingsGet(null)));
    assertTrue(all.settings().keySet().containsAll(List.of("theme", "homepage", "zoom", "search.engine", "downloads.directory")));
    SystemEvent changed;
    do {
      changed = events.poll(10, TimeUnit.SECONDS);
      assertNotNull(changed, "no settings-changed event");
    } while (!SystemEvent.SETTINGS_CHANGED.equals(changed.kind()));
    // The synchronized state carries the setting too.
    JsonNode synced = MainFixture.awaitState(() -> ipc.state().get("settings/theme").orElse(null), TextNode.valueOf("dark"));
    assertEquals("dark", synced.asText());
  }

  @Test
  void shouldReportPowerStateAndRenderers() throws Exception {
    PowerState power = await(ipc.invoke(Channels.POWER_STATE, new PowerStateQuery()));
    assertTrue(List.of("ac", "battery", "unknown").contains(power.source()), power.toString());
    RendererList renderers = await(ipc.invoke(Channels.RENDERERS_LIST, new RenderersQuery()));
    RendererInfo launched = renderers.renderers().stream().filter(r -> r.rendererId().equals("renderer-1")).findFirst().orElseThrow();
    assertEquals("connected", launched.status());
    assertNotNull(launched.pid());
    assertTrue(renderers.renderers().stream().anyMatch(r -> r.rendererId().equals(ipc.rendererId()) && "attached".equals(r.status())));
  }

  @Test
  void shouldSynchronizeStateToTheLaunchedRenderer() throws Exception {
    WindowInfo window = await(ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("Synced", null)));
    MainFixture.awaitState(() -> ipc.state().windows().containsKey(window.windowId()), true);
    long version = ipc.state().version();
    // The launched renderer JVM has applied the same versions: ask it, main-to-renderer.
    long rendererVersion = MainFixture.awaitState(() -> {
      var status = await(main.ipcMain().invoke("renderer-1", RendererChannels.RENDERER_INFO, new RendererChannels.RendererInfoQuery()));
      return status.stateVersion() >= version ? version : status.stateVersion();
    }, version);
    assertEquals(version, rendererVersion);
  }
}
