package org.browseros.ipc.main.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.dataplane.DataPlaneOffer;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.dataplane.FrameSocket;
import org.browseros.ipc.protocol.session.ToMain;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The socket side of the data plane, driven by a raw socket the way a hostile local process would. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class DataPlaneServerTest {
  static final int MAX_PAYLOAD = 1024;

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  @TempDir
  Path dataDir;

  DataPlaneServer server;
  TestProbe<ToMain> connection;

  @BeforeEach
  void setUp() {
    // One extension per actor system, and one system per test: each test binds its own directory.
    server = DataPlaneServer.get(testKit.system());
    assertTrue(server.start(dataDir, new DataPlaneServer.Settings(MAX_PAYLOAD, 4, 1 << 20, Duration.ofSeconds(5))));
    connection = testKit.createTestProbe(ToMain.class);
  }

  private SocketChannel open() throws IOException {
    return FrameSocket.connect(server.socketPath());
  }

  private static void write(SocketChannel socket, ByteBuffer frame) throws IOException {
    while (frame.hasRemaining()) {
      socket.write(frame);
    }
  }

  /** True when the server closed the socket (EOF within a bounded wait). */
  private static boolean closedByServer(SocketChannel socket) throws IOException {
    socket.configureBlocking(true);
    ByteBuffer b = ByteBuffer.allocate(16);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    java.util.concurrent.CompletableFuture<Integer> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return socket.read(b);
      } catch (IOException e) {
        return -1;
      }
    });
    try {
      return read.get(deadline - System.nanoTime(), java.util.concurrent.TimeUnit.NANOSECONDS) < 0;
    } catch (Exception e) {
      socket.close();
      return false;
    }
  }

  /** The next {@code count} envelopes the connection is told about, taking as many batches as it needs. */
  private java.util.List<Envelope> receive(int count) {
    java.util.List<Envelope> got = new java.util.ArrayList<>();
    while (got.size() < count) {
      got.addAll(connection.expectMessageClass(DataPlaneServer.Arrived.class).session().take());
    }
    assertEquals(count, got.size());
    return got;
  }

  private DataPlaneServer.Session attach(SocketChannel socket) throws IOException {
    DataPlaneOffer offer = server.offer(connection.ref(), "renderer-1");
    write(socket, DataPlaneWire.tokenFrame(offer.token()));
    return connection.expectMessageClass(DataPlaneServer.Attached.class).session();
  }

  @Test
  void shouldBindAnOwnerOnlySocketUnderTheDataDir() throws Exception {
    Path socket = dataDir.toAbsolutePath().resolve("run").resolve("ipc.sock");
    assertEquals(socket, server.socketPath());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
  }

  @Test
  void shouldDeliverEnvelopesOfAnAuthenticatedSocketToItsConnection() throws Exception {
    try (SocketChannel socket = open()) {
      DataPlaneServer.Session session = attach(socket);
      Envelope e = Envelope.command("app:echo", new byte[] {1, 2, 3});
      write(socket, DataPlaneWire.envelopeFrame(e));
      assertEquals(java.util.List.of(e), receive(1));
      session.processed(1);

      Envelope back = e.reply(new byte[] {4});
      session.send(back);
      socket.configureBlocking(true);
      ByteBuffer header = ByteBuffer.allocate(4);
      while (header.hasRemaining()) {
        socket.read(header);
      }
      ByteBuffer body = ByteBuffer.allocate(header.flip().getInt());
      while (body.hasRemaining()) {
        socket.read(body);
      }
      assertEquals(back, DataPlaneWire.decodeEnvelope(body.flip()));
      assertEquals(1, server.envelopesIn());
      assertEquals(1, server.envelopesOut());
    }
  }

  @Test
  void shouldCloseASocketThatPresentsAWrongToken() throws Exception {
    server.offer(connection.ref(), "renderer-1");
    try (SocketChannel socket = open()) {
      write(socket, DataPlaneWire.tokenFrame("0".repeat(64)));
      assertTrue(closedByServer(socket));
    }
    connection.expectNoMessage(Duration.ofMillis(200));
    assertEquals(0, server.attachedSessions());
  }

  @Test
  void shouldAcceptATokenOnce() throws Exception {
    DataPlaneOffer offer = server.offer(connection.ref(), "renderer-1");
    try (SocketChannel first = open(); SocketChannel second = open()) {
      write(first, DataPlaneWire.tokenFrame(offer.token()));
      connection.expectMessageClass(DataPlaneServer.Attached.class);
      write(second, DataPlaneWire.tokenFrame(offer.token()));
      assertTrue(closedByServer(second));
      assertEquals(1, server.attachedSessions());
    }
  }

  @Test
  void shouldCloseASocketWhoseFirstFrameIsNotAToken() throws Exception {
    server.offer(connection.ref(), "renderer-1");
    try (SocketChannel socket = open()) {
      write(socket, DataPlaneWire.envelopeFrame(Envelope.command("app:echo", new byte[0])));
      assertTrue(closedByServer(socket));
    }
    connection.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void shouldRefuseAnOversizeFrameUnreadAndGoOn() throws Exception {
    try (SocketChannel socket = open()) {
      DataPlaneServer.Session session = attach(socket);
      write(socket, DataPlaneWire.envelopeFrame(Envelope.command("app:echo", new byte[MAX_PAYLOAD + DataPlaneWire.ENVELOPE_OVERHEAD])));
      DataPlaneServer.Oversize oversize = connection.expectMessageClass(DataPlaneServer.Oversize.class);
      assertTrue(oversize.length() > oversize.limit());
      Envelope next = Envelope.command("app:echo", new byte[] {9});
      write(socket, DataPlaneWire.envelopeFrame(next));
      assertEquals(java.util.List.of(next), receive(1));
      session.processed(1);
    }
  }

  @Test
  void shouldCloseAsMalformedOnABrokenFrame() throws Exception {
    try (SocketChannel socket = open()) {
      attach(socket);
      ByteBuffer broken = ByteBuffer.allocate(4 + 3).putInt(3).put(new byte[] {DataPlaneWire.KIND_ENVELOPE, 99, 0});
      write(socket, broken.flip());
      DataPlaneServer.Closed closed = connection.expectMessageClass(DataPlaneServer.Closed.class);
      assertTrue(closed.malformed(), closed.reason());
      assertTrue(closedByServer(socket));
    }
  }

  @Test
  void shouldCloseAsMalformedOnANonPositiveLength() throws Exception {
    try (SocketChannel socket = open()) {
      attach(socket);
      write(socket, ByteBuffer.allocate(4).putInt(-5).flip());
      assertTrue(connection.expectMessageClass(DataPlaneServer.Closed.class).malformed());
    }
  }

  @Test
  void shouldStopReadingWhileTheConnectionIsBehind() throws Exception {
    try (SocketChannel socket = open()) {
      DataPlaneServer.Session session = attach(socket);
      for (int i = 0; i < 10; i++) {
        write(socket, DataPlaneWire.envelopeFrame(Envelope.command("app:echo", new byte[] {(byte) i})));
      }
      java.util.List<Envelope> first = receive(4);
      for (int i = 0; i < 4; i++) {
        assertEquals(i, first.get(i).payload()[0]);
      }
      // max-in-flight is 4: nothing more until the connection says it processed one. An Arrived may
      // still come for envelopes an earlier take already got (take clears the flag before it polls),
      // so what is checked is that no envelope was queued beyond the four.
      Thread.sleep(300);
      assertTrue(session.take().isEmpty(), "an envelope read beyond max-in-flight");
      session.processed(1);
      assertEquals(4, receive(1).get(0).payload()[0]);
    }
  }

  @Test
  void shouldDeliverOneReadOfManyFramesInBatchesInOrder() throws Exception {
    try (SocketChannel socket = open()) {
      DataPlaneServer.Session session = attach(socket);
      int count = 50;
      ByteBuffer all = ByteBuffer.allocate(64 * 1024);
      for (int i = 0; i < count; i++) {
        all.put(DataPlaneWire.envelopeFrame(Envelope.of("app:tick", org.browseros.ipc.protocol.MessageType.EVENT,
            new byte[] {(byte) i})));
      }
      write(socket, all.flip());
      java.util.List<Envelope> got = new java.util.ArrayList<>();
      int signals = 0;
      while (got.size() < count) {
        java.util.List<Envelope> batch = connection.expectMessageClass(DataPlaneServer.Arrived.class).session().take();
        signals++;
        assertTrue(batch.size() <= 4, "at most max-in-flight per batch: " + batch.size());
        got.addAll(batch);
        session.processed(batch.size());
      }
      for (int i = 0; i < count; i++) {
        assertEquals(i, got.get(i).payload()[0]);
      }
      assertTrue(signals < count, "one signal per batch, not per envelope: " + signals);
      assertEquals(count, server.envelopesIn());
    }
  }

  @Test
  void shouldDeliverTheFramesBeforeAMalformedOneThenClose() throws Exception {
    try (SocketChannel socket = open()) {
      DataPlaneServer.Session session = attach(socket);
      ByteBuffer frames = ByteBuffer.allocate(1024);
      frames.put(DataPlaneWire.envelopeFrame(Envelope.command("app:echo", new byte[] {1})));
      frames.put(DataPlaneWire.envelopeFrame(Envelope.command("app:echo", new byte[] {2})));
      frames.putInt(3).put(new byte[] {DataPlaneWire.KIND_ENVELOPE, 99, 0});
      write(socket, frames.flip());
      java.util.List<Envelope> got = new java.util.ArrayList<>();
      DataPlaneServer.Closed closed = null;
      while (closed == null) {
        ToMain m = connection.receiveMessage();
        if (m instanceof DataPlaneServer.Arrived arrived) {
          got.addAll(arrived.session().take());
        } else {
          closed = (DataPlaneServer.Closed) m;
        }
      }
      got.addAll(session.take());
      assertTrue(closed.malformed(), closed.reason());
      assertEquals(2, got.size());
      assertEquals(1, got.get(0).payload()[0]);
      assertEquals(2, got.get(1).payload()[0]);
    }
  }

  @Test
  void shouldNotOfferTokensWhenNotServing() {
    server.close();
    assertFalse(server.isServing());
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(IpcException.class, () -> server.offer(connection.ref(), "r")).code());
  }
}
