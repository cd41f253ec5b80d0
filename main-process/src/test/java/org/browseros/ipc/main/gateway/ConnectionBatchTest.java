package org.browseros.ipc.main.gateway;

import static org.browseros.ipc.main.gateway.RawDataPlane.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.dataplane.DataPlaneServer;
import org.browseros.ipc.main.dataplane.InlineExecutor;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection on the data plane taking envelopes in batches (many frames in one socket read): each
 * still goes through every check, in the order sent, and a bad one gets its own typed error.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@Timeout(60)
class ConnectionBatchTest {
  record Echo(String text) {}

  static final Channel<Echo, Echo> ECHO = Channel.invoke("app:echo", Echo.class, Echo.class);
  static final Channel<Echo, Void> NOTE = Channel.rendererToMain("app:note", Echo.class);
  static final GatewaySettings SETTINGS =
      new GatewaySettings(Duration.ofSeconds(10), 3, 1024, Duration.ofSeconds(2), Duration.ofSeconds(2));

  // The edge's executor, as main runs it: a connection idle when its reader hands it envelopes
  // handles them on the reader thread.
  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(ConfigFactory.parseString(
          "pekko.actor.default-dispatcher.executor = \"" + InlineExecutor.Configurator.class.getName() + "\""))
      .build();

  @TempDir
  Path dataDir;

  IpcMain ipcMain;
  TestProbe<ToRenderer> artery;
  List<String> seen;
  List<String> threads;

  @BeforeEach
  void setUp() {
    assertTrue(DataPlaneServer.get(testKit.system()).start(dataDir,
        new DataPlaneServer.Settings(64 * 1024, 8, 1 << 20, Duration.ofSeconds(5))));
    ipcMain = new IpcMain(Duration.ofSeconds(2));
    seen = new CopyOnWriteArrayList<>();
    threads = new CopyOnWriteArrayList<>();
    ipcMain.handle(ECHO, (event, payload) -> {
      seen.add(payload.text());
      threads.add(Thread.currentThread().getName());
      return new Echo(payload.text());
    });
    ipcMain.on(NOTE, (event, payload) -> seen.add(payload.text()));
    artery = testKit.createTestProbe(ToRenderer.class);
  }

  /** A connection switched to a raw data-plane socket, as a renderer would do it. */
  private SocketChannel switched(String capability) throws IOException {
    ActorRef<ToMain> connection = testKit.spawn(Connection.create(new Caller("renderer-1", "default", capability),
        new ArteryOutbound(artery.getRef()), new TestCore(), ipcMain, new TestAdmission(), SETTINGS));
    return RawDataPlane.switched(connection, artery);
  }

  private static Envelope read(SocketChannel socket) throws IOException {
    ByteBuffer body = RawDataPlane.readFrame(socket);
    if (body == null) {
      throw new IOException("closed");
    }
    return DataPlaneWire.decodeEnvelope(body);
  }

  private static IpcError error(Envelope reply) {
    assertEquals(MessageType.ERROR, reply.type(), "expected an error reply");
    return PayloadCodec.decode(reply.payload(), IpcError.class);
  }

  @Test
  void shouldCheckEachEnvelopeOfOneReadInOrderWithItsOwnError() throws Exception {
    try (SocketChannel socket = switched("shell")) {
      List<Envelope> requests = new ArrayList<>();
      List<Envelope> sent = new ArrayList<>();
      ByteBuffer batch = ByteBuffer.allocate(256 * 1024);
      for (int i = 0; i < 100; i++) {
        Envelope e;
        if (i == 17) {
          e = Envelope.command("Bad Channel!", PayloadCodec.encode(new Echo("bad")));
        } else if (i == 42) {
          e = Envelope.command("app:echo", PayloadCodec.encode(List.of(1, 2)));
        } else if (i % 3 == 0) {
          e = Envelope.of("app:note", MessageType.EVENT, PayloadCodec.encode(new Echo("n" + i)));
        } else {
          e = Envelope.command("app:echo", PayloadCodec.encode(new Echo("i" + i)));
        }
        sent.add(e);
        if (e.isRequest()) {
          requests.add(e);
        }
        batch.put(DataPlaneWire.envelopeFrame(e));
      }
      // One write: the reader gets many frames per read, more than max-in-flight (8).
      write(socket, batch.flip());

      for (Envelope request : requests) {
        Envelope reply = read(socket);
        assertEquals(request.id(), reply.inReplyTo(), "replies in request order");
        if (request.channel().equals("Bad Channel!")) {
          IpcError e = error(reply);
          assertEquals(ErrorCode.VALIDATION, e.code());
          assertTrue(e.message().contains("channel name"), e.message());
        } else if (PayloadCodec.decode(request.payload(), com.fasterxml.jackson.databind.JsonNode.class).isArray()) {
          assertEquals(ErrorCode.VALIDATION, error(reply).code());
        } else {
          assertEquals(MessageType.COMMAND, reply.type());
          assertEquals(PayloadCodec.decode(request.payload(), Echo.class), PayloadCodec.decode(reply.payload(), Echo.class));
        }
      }
      List<String> expected = new ArrayList<>();
      for (Envelope e : sent) {
        if (!e.channel().equals("Bad Channel!") && !PayloadCodec.toJson(e.payload()).isArray()) {
          expected.add(PayloadCodec.decode(e.payload(), Echo.class).text());
        }
      }
      assertEquals(expected, seen, "handlers and listeners ran in the order sent");
    }
  }

  @Test
  void shouldAnswerOnTheReaderThreadAndTakeReadsAboveMaxInFlight() throws Exception {
    try (SocketChannel socket = switched("shell")) {
      int rounds = 20;
      for (int i = 0; i < rounds; i++) {
        Envelope request = Envelope.command("app:echo", PayloadCodec.encode(new Echo("r" + i)));
        write(socket, DataPlaneWire.envelopeFrame(request));
        assertEquals(request.id(), read(socket).inReplyTo());
      }
      // The connection is idle between sequential requests, so its reader runs it. A timer of the
      // connection's that fires just then puts its mailbox on the pool once: one miss is allowed.
      long onReader = threads.stream().filter("dataplane-reader"::equals).count();
      assertTrue(onReader >= rounds - 1, onReader + " of " + rounds + " on the reader: " + threads);

      // More than max-in-flight (8) in one read, to a connection that runs on that reader: the
      // reader lets it take what it holds before it waits for room, instead of waiting on itself.
      List<Envelope> burst = new ArrayList<>();
      ByteBuffer batch = ByteBuffer.allocate(64 * 1024);
      for (int i = 0; i < 50; i++) {
        Envelope request = Envelope.command("app:echo", PayloadCodec.encode(new Echo("b" + i)));
        burst.add(request);
        batch.put(DataPlaneWire.envelopeFrame(request));
      }
      write(socket, batch.flip());
      for (Envelope request : burst) {
        assertEquals(request.id(), read(socket).inReplyTo());
      }
    }
  }

  @Test
  void shouldRefuseADeniedChannelInsideABatchAndServeTheRest() throws Exception {
    try (SocketChannel socket = switched("web")) {
      Envelope denied = Envelope.command("settings:update", PayloadCodec.encode(new Echo("denied")));
      Envelope allowed = Envelope.command("app:echo", PayloadCodec.encode(new Echo("ok")));
      Envelope deniedToo = Envelope.command("renderers:list", new byte[0]);
      ByteBuffer batch = ByteBuffer.allocate(4096);
      batch.put(DataPlaneWire.envelopeFrame(denied));
      // A reply to nothing main asked: dropped without an answer.
      batch.put(DataPlaneWire.envelopeFrame(denied.reply(new byte[0])));
      batch.put(DataPlaneWire.envelopeFrame(allowed)).put(DataPlaneWire.envelopeFrame(deniedToo));
      write(socket, batch.flip());

      Envelope first = read(socket);
      assertEquals(denied.id(), first.inReplyTo());
      assertEquals(ErrorCode.PERMISSION, error(first).code());
      Envelope second = read(socket);
      assertEquals(allowed.id(), second.inReplyTo());
      assertEquals(new Echo("ok"), PayloadCodec.decode(second.payload(), Echo.class));
      Envelope third = read(socket);
      assertEquals(deniedToo.id(), third.inReplyTo());
      assertEquals(ErrorCode.PERMISSION, error(third).code());
      assertEquals(List.of("ok"), seen);
    }
  }
}
