package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.renderer.IpcRenderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Window, tab and settings state is event-sourced: a restarted main process restores the session. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SessionRestoreEndToEndTest {

  @TempDir
  static Path dataDir;

  @Test
  void shouldRestoreWindowsTabsHistoryAndSettingsAfterARestart() throws Exception {
    WindowInfo window;
    TabInfo tab;
    try (MainFixture main = MainFixture.start(dataDir, 0, new IpcMain(Duration.ofSeconds(5)))) {
      IpcRenderer ipc = main.console();
      window = await(ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("Kept", null)));
      tab = await(ipc.invoke(Channels.TAB_CREATE, new TabCreate(window.windowId(), "https://example.org/1", null)));
      await(ipc.invoke(Channels.NAVIGATE, new Navigate(tab.tabId(), "https://example.org/2")));
      await(ipc.invoke(Channels.SETTINGS_UPDATE, new SettingsUpdate("zoom", IntNode.valueOf(150))));
    }
    try (MainFixture main = MainFixture.start(dataDir, 0, new IpcMain(Duration.ofSeconds(5)))) {
      IpcRenderer ipc = main.console();
      MainFixture.awaitState(() -> ipc.state().tabs().containsKey(tab.tabId()), true);
      TabInfo restored = ipc.state().tabs().get(tab.tabId());
      assertEquals("https://example.org/2", restored.url());
      assertTrue(restored.canGoBack(), "history survives the restart");
      assertEquals("Kept", ipc.state().windows().get(window.windowId()).title());
      assertEquals(150, await(ipc.invoke(Channels.SETTINGS_GET, new SettingsGet("zoom"))).settings().get("zoom").asInt());
      // Ids keep counting: a new window does not reuse an old id.
      WindowInfo next = await(ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("New", null)));
      assertTrue(!next.windowId().equals(window.windowId()));
    }
  }
}
