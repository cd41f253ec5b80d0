package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererChannels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** ipcMain/ipcRenderer semantics as Electron users expect them, across real JVM boundaries. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ElectronSemanticsEndToEndTest {
  public record Text(String text) {}

  static final Channel<Text, Text> ECHO = Channel.invoke("app:echo", Text.class, Text.class);
  static final Channel<Text, Text> ONCE = Channel.invoke("app:once", Text.class, Text.class);
  static final Channel<Text, Text> FAIL = Channel.invoke("app:fail", Text.class, Text.class);
  static final Channel<Text, Text> FAIL_ASYNC = Channel.invoke("app:fail-async", Text.class, Text.class);
  static final Channel<Text, Text> SLOW = Channel.invoke("app:slow", Text.class, Text.class);
  static final Channel<Text, Void> LOG = Channel.rendererToMain("app:log", Text.class);
  static final Channel<Text, Void> NEWS = Channel.mainToRenderer("app:news", Text.class);
  static final Channel<Text, Void> ALL = Channel.broadcast("app:all", Text.class);
  static final Channel<Text, Text> ASK_RENDERER = Channel.invoke("app:ask", Text.class, Text.class);

  @TempDir
  static Path dataDir;

  MainFixture main;
  IpcMain ipcMain;
  IpcRenderer ipc;
  final List<String> seen = new CopyOnWriteArrayList<>();

  @BeforeAll
  void startMain() throws Exception {
    ipcMain = new IpcMain(Duration.ofSeconds(5));
    ipcMain.handle(ECHO, (event, payload) -> new Text(payload.text() + " from " + event.rendererId()));
    ipcMain.handleOnce(ONCE, (event, payload) -> payload);
    ipcMain.handle(FAIL, (event, payload) -> {
      throw new IllegalStateException("handler broke on " + payload.text());
    });
    ipcMain.handleAsync(FAIL_ASYNC, (event, payload) -> CompletableFuture.failedFuture(new RuntimeException("async broke")));
    ipcMain.handleAsync(SLOW, (event, payload) -> {
      seen.add("invoke " + payload.text());
      return CompletableFuture.supplyAsync(() -> payload, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
    });
    ipcMain.on(LOG, (event, payload) -> seen.add("send " + payload.text()));
    main = MainFixture.start(dataDir, 1, ipcMain);
    ipc = main.console();
  }

  @AfterAll
  void stopMain() {
    if (main != null) {
      main.close();
    }
  }

  private static IpcError errorOf(ExecutionException e) {
    return IpcException.errorOf(e);
  }

  @Test
  void shouldAnswerInvokesFromHandlers() throws Exception {
    assertEquals(new Text("hi from " + ipc.rendererId()), await(ipc.invoke(ECHO, new Text("hi"))));
  }

  @Test
  void shouldReportAMissingHandler() {
    IpcError error = errorOf(assertThrows(ExecutionException.class, () -> await(ipc.invoke(
        Channel.invoke("app:unknown", Text.class, Text.class), new Text("x")))));
    assertEquals(ErrorCode.NOT_FOUND, error.code());
    assertEquals("No handler registered for 'app:unknown'", error.message());
  }

  @Test
  void shouldRefuseASecondHandler() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ipcMain.handle(ECHO, (event, payload) -> payload));
    assertEquals("Attempted to register a second handler for 'app:echo'", e.getMessage());
  }

  @Test
  void shouldCarryHandlerExceptionsToTheCaller() {
    assertEquals("handler broke on x", errorOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke(FAIL, new Text("x"))))).message());
    assertEquals("async broke", errorOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke(FAIL_ASYNC, new Text("x"))))).message());
  }

  @Test
  void shouldAnswerHandleOnceOnce() throws Exception {
    assertEquals(new Text("1"), await(ipc.invoke(ONCE, new Text("1"))));
    assertEquals(ErrorCode.NOT_FOUND, errorOf(assertThrows(ExecutionException.class,
        () -> await(ipc.invoke(ONCE, new Text("2"))))).code());
  }

  @Test
  void shouldHandleOneRenderersMessagesInOrderAcrossSendAndInvoke() throws Exception {
    seen.clear();
    var first = ipc.invoke(SLOW, new Text("1"));
    ipc.send(LOG, new Text("2"));
    var third = ipc.invoke(SLOW, new Text("3"));
    ipc.send(LOG, new Text("4"));
    await(first);
    await(third);
    MainFixture.awaitState(() -> seen.size(), 4);
    assertEquals(List.of("invoke 1", "send 2", "invoke 3", "send 4"), seen);
  }

  @Test
  void shouldPushAndBroadcastToRenderers() throws Exception {
    CompletableFuture<Text> news = new CompletableFuture<>();
    CompletableFuture<Text> all = new CompletableFuture<>();
    ipc.once(NEWS, news::complete);
    ipc.once(ALL, all::complete);
    ipcMain.sendTo(ipc.rendererId(), NEWS, new Text("just for you"));
    ipcMain.broadcast(ALL, new Text("for everyone"));
    assertEquals(new Text("just for you"), news.get(10, TimeUnit.SECONDS));
    assertEquals(new Text("for everyone"), all.get(10, TimeUnit.SECONDS));
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(IpcException.class,
        () -> ipcMain.sendTo("renderer-404", NEWS, new Text("x"))).code());
  }

  @Test
  void shouldInvokeRenderersFromMainWithTimeouts() throws Exception {
    var status = await(ipcMain.invoke("renderer-1", RendererChannels.RENDERER_INFO, new RendererChannels.RendererInfoQuery()));
    assertEquals("renderer-1", status.rendererId());
    assertEquals(main.renderer("renderer-1").pid().longValue(), status.pid());

    ipc.handle(ASK_RENDERER, payload -> new Text(payload.text().toUpperCase()));
    assertEquals(new Text("LOUD"), await(ipcMain.invoke(ipc.rendererId(), ASK_RENDERER, new Text("loud"))));

    IpcError unhandled = errorOf(assertThrows(ExecutionException.class,
        () -> await(ipcMain.invoke("renderer-1", ASK_RENDERER, new Text("x")))));
    assertEquals("No handler registered for 'app:ask'", unhandled.message());

    Channel<Text, Text> stuck = Channel.invoke("app:stuck", Text.class, Text.class);
    ipc.handle(stuck, payload -> new CompletableFuture<Text>());
    IpcError timeout = errorOf(assertThrows(ExecutionException.class,
        () -> await(ipcMain.invoke(ipc.rendererId(), stuck, new Text("x"), Duration.ofMillis(300)))));
    assertEquals(ErrorCode.TIMEOUT, timeout.code());
    assertTrue(main.ipcMain().connectedRenderers().contains("renderer-1"));
  }
}
