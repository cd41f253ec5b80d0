package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.renderer.IpcRenderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Versioned snapshot + deltas; a renderer that sees a gap resyncs from a snapshot. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StateSyncEndToEndTest {

  @TempDir
  static Path dataDir;

  @Test
  void shouldResyncARendererThatMissedADelta() throws Exception {
    try (MainFixture main = MainFixture.start(dataDir, 0, new IpcMain(Duration.ofSeconds(5)))) {
      IpcRenderer ipc = main.console();
      List<StateSync> applied = new CopyOnWriteArrayList<>();
      ipc.state().onChange(applied::add);
      WindowInfo before = await(ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("before", null)));
      MainFixture.awaitState(() -> ipc.state().windows().containsKey(before.windowId()), true);
      long version = ipc.state().version();

      // Force a gap: a delta five versions ahead, pushed on state:sync as main would push a real one.
      main.ipcMain().sendTo(ipc.rendererId(), Channels.STATE_SYNC,
          new StateSync(version + 5, false, Map.of("windows/bogus", TextNode.valueOf("never")), List.of()));

      // The replica refuses it, asks for a snapshot, and ends up with main's true state.
      MainFixture.awaitState(() -> applied.stream().anyMatch(StateSync::snapshot), true);
      assertFalse(ipc.state().get("windows/bogus").isPresent(), "a delta after a gap must not be applied");
      assertEquals(version, ipc.state().version());

      WindowInfo after = await(ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("after", null)));
      MainFixture.awaitState(() -> ipc.state().windows().containsKey(after.windowId()), true);
      assertTrue(ipc.state().version() > version, "deltas apply again after the resync");
    }
  }
}
