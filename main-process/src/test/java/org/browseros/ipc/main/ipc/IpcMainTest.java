package org.browseros.ipc.main.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.junit.jupiter.api.Test;

class IpcMainTest {
  record Ping(String text) {}

  static final Channel<Ping, Ping> PING = Channel.invoke("app:ping", Ping.class, Ping.class);
  static final Channel<Ping, Void> NOTE = Channel.rendererToMain("app:note", Ping.class);

  final IpcMain ipcMain = new IpcMain(Duration.ofSeconds(1));

  @Test
  void shouldRefuseASecondHandlerWithElectronsMessage() {
    ipcMain.handle(PING, (event, payload) -> payload);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ipcMain.handle(PING, (event, payload) -> payload));
    assertEquals("Attempted to register a second handler for 'app:ping'", e.getMessage());
    ipcMain.removeHandler("app:ping");
    ipcMain.handle(PING, (event, payload) -> payload);
    assertTrue(ipcMain.takeHandler("app:ping").isPresent());
  }

  @Test
  void shouldKeepBuiltInChannelsForTheMainProcess() {
    assertThrows(IllegalArgumentException.class, () -> ipcMain.handle(Channels.TAB_CREATE, (event, payload) -> null));
    assertThrows(IllegalArgumentException.class, () -> ipcMain.on(Channels.STATE_RESYNC, (event, payload) -> {}));
  }

  @Test
  void shouldRefuseListenersOnInvokeChannelsAndHandlersOnEventChannels() {
    assertThrows(IllegalArgumentException.class, () -> ipcMain.on(PING, (event, payload) -> {}));
    assertThrows(IllegalArgumentException.class,
        () -> ipcMain.handle(Channel.rendererToMain("app:other", Ping.class), (event, payload) -> null));
  }

  @Test
  void shouldGiveAHandleOnceHandlerToExactlyOneCaller() {
    ipcMain.handleOnce(PING, (event, payload) -> payload);
    assertTrue(ipcMain.takeHandler("app:ping").isPresent());
    assertTrue(ipcMain.takeHandler("app:ping").isEmpty());
  }

  @Test
  void shouldRemoveListenersByHandleByReferenceAndAll() {
    IpcMain.Listener<Ping> a = (event, payload) -> {};
    IpcMain.Listener<Ping> b = (event, payload) -> {};
    Subscription sa = ipcMain.on(NOTE, a);
    ipcMain.on(NOTE, b);
    ipcMain.once(NOTE, a);
    assertEquals(3, ipcMain.listenerCount("app:note"));
    sa.unsubscribe();
    sa.unsubscribe();
    assertEquals(2, ipcMain.listenerCount("app:note"));
    ipcMain.removeListener("app:note", b);
    assertEquals(1, ipcMain.listenerCount("app:note"));
    assertEquals(1, ipcMain.takeListeners("app:note").size());
    assertEquals(0, ipcMain.listenerCount("app:note"), "a once-listener is consumed by its first message");
    ipcMain.on(NOTE, a);
    ipcMain.removeAllListeners("app:note");
    assertEquals(0, ipcMain.listenerCount("app:note"));
  }

  @Test
  void shouldFailWithConnectionWhenTheGatewayIsNotRunning() {
    IpcException e = assertThrows(IpcException.class, () -> ipcMain.sendTo("renderer-1", Channel.mainToRenderer("app:push", Ping.class), new Ping("x")));
    assertEquals(ErrorCode.CONNECTION, e.code());
  }
}
