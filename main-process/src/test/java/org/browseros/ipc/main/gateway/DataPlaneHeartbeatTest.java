package org.browseros.ipc.main.gateway;

import static org.browseros.ipc.main.gateway.RawDataPlane.write;
import static org.browseros.ipc.main.gateway.RawDataPlane.readFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.dataplane.DataPlaneServer;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Heartbeats of a renderer on the data plane (docs/RELIABILITY.md): they come and are acked over the
 * socket, keep a quiet connection alive, and when they stop the connection closes after the same
 * {@code missed-heartbeats × heartbeat-interval} of silence as over Artery.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class DataPlaneHeartbeatTest {
  record Echo(String text) {}

  static final Channel<Echo, Echo> ECHO = Channel.invoke("app:echo", Echo.class, Echo.class);
  static final Duration INTERVAL = Duration.ofMillis(200);
  static final int MISSED = 3;
  static final Duration LIMIT = INTERVAL.multipliedBy(MISSED);
  static final GatewaySettings SETTINGS =
      new GatewaySettings(INTERVAL, MISSED, 1024, Duration.ofSeconds(2), Duration.ofSeconds(2));

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  @TempDir
  Path dataDir;

  TestProbe<ToRenderer> artery;
  TestAdmission admission;
  ActorRef<ToMain> connection;
  final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();

  @BeforeEach
  void setUp() {
    assertTrue(DataPlaneServer.get(testKit.system()).start(dataDir,
        new DataPlaneServer.Settings(64 * 1024, 8, 1 << 20, Duration.ofSeconds(5))));
    artery = testKit.createTestProbe(ToRenderer.class);
    admission = new TestAdmission();
  }

  @AfterEach
  void tearDown() {
    beats.shutdownNow();
  }

  /** A connection switched to a raw data-plane socket, as a renderer would do it. */
  private SocketChannel switched() throws IOException {
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(2));
    ipcMain.handle(ECHO, (event, payload) -> payload);
    connection = testKit.spawn(Connection.create(new Caller("renderer-1", "default", "shell"),
        new ArteryOutbound(artery.getRef()), new TestCore(), ipcMain, admission, SETTINGS));
    return RawDataPlane.switched(connection, artery);
  }

  @Test
  void shouldAckHeartbeatsOverTheSocketAndKeepAQuietConnectionAlive() throws Exception {
    try (SocketChannel socket = switched()) {
      AtomicLong seq = new AtomicLong();
      // A heartbeat every interval, as a renderer's client sends them; nothing else for 5 limits.
      beats.scheduleWithFixedDelay(() -> {
        try {
          long n = seq.incrementAndGet();
          write(socket, DataPlaneWire.heartbeatFrame(new Heartbeat(n, 1000 + n, 0)));
        } catch (IOException e) {
          // the test ended
        }
      }, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
      long quietUntil = System.nanoTime() + LIMIT.multipliedBy(5).toNanos();
      long acks = 0;
      while (System.nanoTime() < quietUntil) {
        ByteBuffer frame = readFrame(socket);
        assertTrue(frame != null, "the connection stayed open");
        assertEquals(DataPlaneWire.KIND_HEARTBEAT_ACK, DataPlaneWire.kind(frame));
        HeartbeatAck ack = DataPlaneWire.decodeHeartbeatAck(frame);
        assertEquals(1000 + ack.seq(), ack.sentAtNanos(), "the ack echoes its heartbeat");
        acks++;
      }
      assertTrue(acks >= 5, "acked over the socket: " + acks);
      // Nothing over Artery: neither acks nor anything else after the switch.
      artery.expectNoMessage(Duration.ofMillis(100));
      assertNull(admission.disconnected.poll());

      // Still serving: an invoke after the quiet spell is answered.
      beats.shutdownNow();
      beats.awaitTermination(5, TimeUnit.SECONDS);
      Envelope request = Envelope.command(ECHO.name(), PayloadCodec.encode(new Echo("still here")));
      write(socket, DataPlaneWire.envelopeFrame(request));
      ByteBuffer frame;
      do {
        frame = readFrame(socket);
      } while (frame != null && DataPlaneWire.kind(frame) == DataPlaneWire.KIND_HEARTBEAT_ACK);
      assertTrue(frame != null, "the connection stayed open");
      Envelope reply = DataPlaneWire.decodeEnvelope(frame);
      assertEquals(request.id(), reply.inReplyTo());
      assertEquals(new Echo("still here"), PayloadCodec.decode(reply.payload(), Echo.class));
    }
  }

  @Test
  void shouldCloseTheConnectionWhenHeartbeatsOverTheSocketStopWithinTheBound() throws Exception {
    try (SocketChannel socket = switched()) {
      long lastHeard = 0;
      for (long n = 1; n <= 3; n++) {
        // Taken before main can hear it: main's silence starts later than this.
        lastHeard = System.nanoTime();
        write(socket, DataPlaneWire.heartbeatFrame(new Heartbeat(n, n, 0)));
        assertEquals(new HeartbeatAck(n, n), DataPlaneWire.decodeHeartbeatAck(readFrame(socket)));
      }
      // The renderer hangs (SIGSTOP, a test double that stops answering): no frame from here on.
      String reason = admission.disconnected.poll(10, TimeUnit.SECONDS);
      long silentMillis = (System.nanoTime() - lastHeard) / 1_000_000;
      assertEquals("renderer-1: " + Admission.HEARTBEAT_TIMEOUT, reason);
      assertTrue(silentMillis >= LIMIT.toMillis(), "not before missed × interval: " + silentMillis + " ms");
      // The bound, plus a scheduler tick and a loaded machine's delay.
      assertTrue(silentMillis < LIMIT.toMillis() + 2_000, "within the bound: " + silentMillis + " ms");
      testKit.createTestProbe().expectTerminated(connection, Duration.ofSeconds(5));
      assertNull(readFrame(socket), "the socket closes with the connection");
    }
  }
}
