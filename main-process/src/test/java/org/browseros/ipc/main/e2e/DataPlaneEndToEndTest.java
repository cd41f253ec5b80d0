package org.browseros.ipc.main.e2e;

import static org.browseros.ipc.main.e2e.MainFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.dataplane.DataPlaneServer;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererChannels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Local renderers move their envelopes to the Unix-socket data plane, in order, and Artery remains the fallback. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(LogCapturingExtension.class)
class DataPlaneEndToEndTest {
  public record Seq(int n) {}

  public record Blob(byte[] data) {}

  static final Channel<Seq, Seq> CALL = Channel.invoke("app:call", Seq.class, Seq.class);
  static final Channel<Seq, Void> NOTE = Channel.rendererToMain("app:note", Seq.class);
  static final Channel<Blob, Blob> BLOB = Channel.invoke("app:blob", Blob.class, Blob.class);

  @TempDir
  static Path dataDir;

  MainFixture main;
  final List<Integer> seen = new CopyOnWriteArrayList<>();

  @BeforeAll
  void startMain() throws Exception {
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(5));
    ipcMain.handle(CALL, (event, payload) -> {
      seen.add(payload.n());
      return payload;
    });
    ipcMain.on(NOTE, (event, payload) -> seen.add(payload.n()));
    ipcMain.handle(BLOB, (event, payload) -> payload);
    main = MainFixture.start(dataDir, 1, ipcMain, rateLimitsOff());
  }

  @AfterAll
  void stopMain() {
    if (main != null) {
      main.close();
    }
  }

  static Map<String, Object> rateLimitsOff() {
    return Map.of("browseros.security.capabilities.devtools.rate-limit.per-second", 1_000_000,
        "browseros.security.capabilities.devtools.rate-limit.burst", 1_000_000);
  }

  @Test
  void shouldCarryALaunchedRenderersEnvelopesOverTheOwnerOnlySocket() throws Exception {
    DataPlaneServer dataPlane = DataPlaneServer.get(main.node().edgeSystem());
    Path socket = dataPlane.socketPath();
    assertEquals(main.node().dataDir().toAbsolutePath().resolve("run").resolve("ipc.sock"), socket);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    MainFixture.awaitState(() -> dataPlane.attachedSessions() >= 1, true);

    String rendererId = main.node().renderers().renderers().stream().filter(r -> r.pid() != null)
        .map(RendererInfo::rendererId).findFirst().orElseThrow();
    long before = dataPlane.envelopesIn();
    // The renderer switches a moment after main attached its socket: its replies then come over the socket.
    MainFixture.awaitState(() -> {
      RendererChannels.RendererStatus status = await(main.ipcMain().invoke(rendererId,
          RendererChannels.RENDERER_INFO, new RendererChannels.RendererInfoQuery()));
      return status.rendererId().equals(rendererId) && dataPlane.envelopesIn() > before;
    }, true);
  }

  @Test
  void shouldKeepOneRenderersOrderAcrossSendAndInvokeThroughTheSwitch() throws Exception {
    DataPlaneServer dataPlane = DataPlaneServer.get(main.node().edgeSystem());
    MainFixture.awaitState(() -> dataPlane.attachedSessions() >= 1, true);
    long attachedBefore = dataPlane.attachedSessions();
    seen.clear();
    JsonNode credential = PayloadCodec.parseJson(Files.readString(main.node().dataDir().resolve("devtools.credential")));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "switching", main.clientConfig());
    // As a resource: a slow termination is added to a failure of the body (suppressed), never hides it.
    try (AutoCloseable terminated = () -> MainFixture.terminate(system)) {
      IpcRenderer ipc = IpcRenderer.connect(system,
              ConnectOptions.of(system, credential.get("gateway").asText(), null, credential.get("secret").asText()))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      // Straight after the Welcome, while the client asks for the data plane and switches over.
      int count = 2000;
      List<CompletionStage<Seq>> replies = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        if (i % 3 == 0) {
          replies.add(ipc.invoke(CALL, new Seq(i), Duration.ofSeconds(30)));
        } else {
          ipc.send(NOTE, new Seq(i));
        }
      }
      for (CompletionStage<Seq> reply : replies) {
        await(reply);
      }
      MainFixture.awaitState(() -> seen.size(), count);
      assertEquals(IntStream.range(0, count).boxed().toList(), seen);
      MainFixture.awaitState(() -> dataPlane.attachedSessions(), attachedBefore + 1);

      long in = dataPlane.envelopesIn();
      await(ipc.invoke(CALL, new Seq(count)));
      assertTrue(dataPlane.envelopesIn() > in, "after the switch, invokes go over the socket");
      // No Artery frame to fit in: 1 MiB each way.
      assertEquals(1 << 20, await(ipc.invoke(BLOB, new Blob(new byte[1 << 20]))).data().length);
      ipc.close();
    }
  }

  @Test
  void shouldStayOnArteryWhenTheDataPlaneIsOff(@TempDir Path otherDir) throws Exception {
    Map<String, Object> off = new java.util.HashMap<>(rateLimitsOff());
    off.put("browseros.gateway.data-plane.enabled", false);
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(5));
    ipcMain.handle(CALL, (event, payload) -> payload);
    ipcMain.handle(BLOB, (event, payload) -> payload);
    try (MainFixture artery = MainFixture.start(otherDir, 0, ipcMain, off)) {
      IpcRenderer ipc = artery.console();
      assertEquals(new Seq(7), await(ipc.invoke(CALL, new Seq(7))));
      // Above Artery's 256 KiB frame: the request and the reply cross in parts.
      byte[] large = new byte[1 << 20];
      new java.util.Random(7).nextBytes(large);
      org.junit.jupiter.api.Assertions.assertArrayEquals(large, await(ipc.invoke(BLOB, new Blob(large))).data());
      java.util.concurrent.ExecutionException tooLarge = org.junit.jupiter.api.Assertions.assertThrows(
          java.util.concurrent.ExecutionException.class, () -> await(ipc.invoke(BLOB, new Blob(new byte[3 << 20]))));
      assertEquals(org.browseros.ipc.protocol.ErrorCode.TOO_LARGE,
          org.browseros.ipc.protocol.IpcException.errorOf(tooLarge).code(), "over Artery as on the socket, 2 MiB at most");
      DataPlaneServer dataPlane = DataPlaneServer.get(artery.node().edgeSystem());
      assertFalse(dataPlane.isServing());
      assertEquals(0, dataPlane.attachedSessions());
      assertFalse(Files.exists(otherDir.resolve("run").resolve("ipc.sock")));
    }
  }
}
