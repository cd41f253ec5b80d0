package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.main.dataplane.DataPlaneServer;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code IpcRenderer.invokeSync}, Electron's {@code sendSync}: the reply on the calling thread, or the invoke's typed error. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InvokeSyncEndToEndTest {
  public record Seq(int n) {}

  static final Channel<Seq, Seq> ECHO = Channel.invoke("app:echo", Seq.class, Seq.class);
  static final Channel<Seq, Seq> REFUSE = Channel.invoke("app:refuse", Seq.class, Seq.class);
  static final Channel<Seq, Seq> NEVER = Channel.invoke("app:never", Seq.class, Seq.class);
  static final Channel<Seq, Seq> UNHANDLED = Channel.invoke("app:unhandled", Seq.class, Seq.class);
  static final Channel<Seq, Seq> PUSH_THEN_REPLY = Channel.invoke("app:push-then-reply", Seq.class, Seq.class);
  static final Channel<Seq, Void> PUSHED = Channel.mainToRenderer("app:pushed", Seq.class);

  @TempDir
  static Path dataDir;

  MainFixture main;
  IpcRenderer console;

  @BeforeAll
  void start() throws Exception {
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(5));
    ipcMain.handle(ECHO, (event, payload) -> payload);
    ipcMain.handle(REFUSE, (event, payload) -> {
      throw new IpcException(ErrorCode.CONFLICT, "refused " + payload.n());
    });
    ipcMain.handleAsync(NEVER, (event, payload) -> new CompletableFuture<Seq>());
    ipcMain.handle(PUSH_THEN_REPLY, (event, payload) -> {
      ipcMain.sendTo(event.rendererId(), PUSHED, payload);
      return payload;
    });
    main = MainFixture.start(dataDir, 0, ipcMain, DataPlaneEndToEndTest.rateLimitsOff());
    DataPlaneServer dataPlane = DataPlaneServer.get(main.node().edgeSystem());
    console = main.console();
    // On the data plane, where the spin pays (over Artery the reply would come the same way, slower).
    MainFixture.awaitState(() -> {
      long in = dataPlane.envelopesIn();
      console.invokeSync(ECHO, new Seq(0));
      return dataPlane.envelopesIn() > in;
    }, true);
  }

  @AfterAll
  void stop() {
    if (main != null) {
      main.close();
    }
  }

  @Test
  void shouldReturnEachReplyOnTheCallingThreadInOrder() {
    for (int i = 1; i <= 2000; i++) {
      assertEquals(new Seq(i), console.invokeSync(ECHO, new Seq(i)));
    }
  }

  @Test
  void shouldShowAPushSentByTheHandlerBeforeItsReplyReturns() {
    // As Electron's event.sender.send inside ipcMain.handle: the push arrives before the reply. The
    // spinning caller reads the socket itself; what it reads ahead of its reply (the push) still
    // reaches the renderer's listeners first, none lost, in order.
    List<Integer> seen = new CopyOnWriteArrayList<>();
    try (Subscription subscription = console.on(PUSHED, pushed -> seen.add(pushed.n()))) {
      for (int i = 1; i <= 500; i++) {
        assertEquals(new Seq(i), console.invokeSync(PUSH_THEN_REPLY, new Seq(i)));
        assertEquals(i, seen.size(), "the push of call " + i + " was seen before its reply returned");
        assertEquals(i, seen.get(i - 1));
      }
    }
  }

  @Test
  void shouldThrowTheTypedErrorOfTheInvoke() {
    assertEquals(ErrorCode.CONFLICT, assertThrows(IpcException.class, () -> console.invokeSync(REFUSE, new Seq(1))).error().code());
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(IpcException.class, () -> console.invokeSync(UNHANDLED, new Seq(1))).error().code());
    long t0 = System.nanoTime();
    IpcException timeout = assertThrows(IpcException.class, () -> console.invokeSync(NEVER, new Seq(1), Duration.ofMillis(300)));
    assertEquals(ErrorCode.TIMEOUT, timeout.error().code());
    assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(300), "not before its timeout");
    assertEquals(new Seq(2), console.invokeSync(ECHO, new Seq(2)), "and the connection goes on");
  }

  @Test
  void shouldThrowInternalAndKeepTheInterruptWhenInterrupted() {
    Thread.currentThread().interrupt();
    try {
      IpcException e = assertThrows(IpcException.class, () -> console.invokeSync(NEVER, new Seq(1), Duration.ofSeconds(30)));
      assertEquals(ErrorCode.INTERNAL, e.error().code());
      assertTrue(Thread.currentThread().isInterrupted());
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void shouldRefuseAtOnceOnTheThreadThatReadsReplies() throws Exception {
    // A reply on the data plane completes its caller's stage on the socket's reader thread, most of
    // the time (the client actor takes it when it has envelopes of its own to handle first).
    for (int attempt = 0; attempt < 200; attempt++) {
      CompletableFuture<Object> outcome = new CompletableFuture<>();
      console.invoke(ECHO, new Seq(attempt)).whenComplete((reply, failure) -> {
        if (!Thread.currentThread().getName().startsWith("dataplane-reader")) {
          outcome.complete("not on the reader");
          return;
        }
        try {
          outcome.complete(console.invokeSync(ECHO, new Seq(-1)));
        } catch (IpcException e) {
          outcome.complete(e);
        }
      });
      Object result = outcome.get(10, TimeUnit.SECONDS);
      if (result instanceof IpcException e) {
        assertEquals(ErrorCode.INTERNAL, e.error().code());
        assertTrue(e.getMessage().contains("reader thread"), e.getMessage());
        return;
      }
      assertEquals("not on the reader", result);
    }
    throw new AssertionError("no reply was delivered on the data plane's reader thread in 200 invokes");
  }
}
