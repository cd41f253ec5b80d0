package org.browseros.ipc.main.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.parts.EnvelopePart;
import org.browseros.ipc.protocol.parts.Reassembly;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Envelopes too large for one Artery frame cross in parts, both ways, with the usual checks and order. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class ConnectionPartsTest {
  record Echo(String text) {}

  static final Channel<Echo, Echo> ECHO = Channel.invoke("app:echo", Echo.class, Echo.class);
  static final Channel<Echo, Void> NOTE = Channel.rendererToMain("app:note", Echo.class);
  static final int PART = 4096;
  static final int LIMIT = 64 * 1024;
  static final GatewaySettings SETTINGS =
      new GatewaySettings(Duration.ofSeconds(5), 3, LIMIT, Duration.ofSeconds(2), Duration.ofSeconds(2));

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  IpcMain ipcMain;
  TestProbe<ToRenderer> renderer;
  final List<String> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    ipcMain = new IpcMain(Duration.ofSeconds(2));
    ipcMain.handle(ECHO, (event, payload) -> {
      seen.add("invoke " + payload.text().length());
      return new Echo(payload.text().toUpperCase());
    });
    ipcMain.on(NOTE, (event, payload) -> seen.add("send " + payload.text().length()));
    renderer = testKit.createTestProbe(ToRenderer.class);
  }

  private ActorRef<ToMain> connect() {
    ActorRef<ToMain> connection = testKit.spawn(Connection.create(new Caller("renderer-1", "default", "shell"),
        new ArteryOutbound(renderer.getRef(), PART), new TestCore(), ipcMain, new TestAdmission(), SETTINGS));
    renderer.expectMessageClass(Welcome.class);
    return connection;
  }

  private static void tellInParts(ActorRef<ToMain> connection, Envelope envelope) {
    EnvelopePart.split(envelope, PART).forEach(connection::tell);
  }

  /** Reads parts from the probe until one envelope is whole. */
  private Envelope receiveInParts() {
    Reassembly reassembly = new Reassembly(LIMIT, PART, 1);
    while (true) {
      Reassembly.Outcome outcome = reassembly.accept(renderer.expectMessageClass(EnvelopePart.class));
      if (outcome instanceof Reassembly.Complete complete) {
        return complete.envelope();
      }
      assertSame(Reassembly.Pending.INSTANCE, outcome);
    }
  }

  @Test
  void shouldTakeALargeInvokeInPartsAndAnswerInParts() {
    ActorRef<ToMain> connection = connect();
    String text = "a".repeat(20_000);
    Envelope request = Envelope.command(ECHO.name(), PayloadCodec.encode(new Echo(text)));
    tellInParts(connection, request);

    Envelope reply = receiveInParts();
    assertEquals(request.id(), reply.inReplyTo());
    assertEquals(MessageType.COMMAND, reply.type());
    assertEquals(new Echo(text.toUpperCase()), PayloadCodec.decode(reply.payload(), Echo.class));
    assertEquals(List.of("invoke 20000"), seen);

    // A small reply is one envelope, as before.
    Envelope small = Envelope.command(ECHO.name(), PayloadCodec.encode(new Echo("hi")));
    connection.tell(small);
    assertEquals(small.id(), renderer.expectMessageClass(Envelope.class).inReplyTo());
  }

  @Test
  void shouldKeepTheSendersOrderAcrossALargeEnvelope() {
    ActorRef<ToMain> connection = connect();
    tellInParts(connection, Envelope.of(NOTE.name(), MessageType.EVENT, PayloadCodec.encode(new Echo("b".repeat(10_000)))));
    connection.tell(Envelope.of(NOTE.name(), MessageType.EVENT, PayloadCodec.encode(new Echo("c"))));
    Envelope probe = Envelope.command(ECHO.name(), PayloadCodec.encode(new Echo("d")));
    connection.tell(probe);
    assertEquals(probe.id(), renderer.expectMessageClass(Envelope.class).inReplyTo());
    assertEquals(List.of("send 10000", "send 1", "invoke 1"), seen);
  }

  @Test
  void shouldRefuseAPayloadAboveTheLimitOnItsFirstPart() {
    ActorRef<ToMain> connection = connect();
    Envelope huge = Envelope.command(ECHO.name(), PayloadCodec.encode(new Echo("x".repeat(LIMIT + 1))));
    tellInParts(connection, huge);

    Envelope refusal = renderer.expectMessageClass(Envelope.class);
    assertEquals(huge.id(), refusal.inReplyTo());
    IpcError error = PayloadCodec.decode(refusal.payload(), IpcError.class);
    assertEquals(ErrorCode.TOO_LARGE, error.code());
    assertEquals(ECHO.name(), error.channel());
    // One refusal for the whole envelope, nothing buffered, and the connection goes on.
    Envelope next = Envelope.command(ECHO.name(), PayloadCodec.encode(new Echo("ok")));
    connection.tell(next);
    assertEquals(next.id(), renderer.expectMessageClass(Envelope.class).inReplyTo());
    assertEquals(List.of("invoke 2"), seen);
  }

  @Test
  void shouldRefuseAPartOutOfOrderWithAValidationError() {
    ActorRef<ToMain> connection = connect();
    Envelope request = Envelope.command(ECHO.name(), PayloadCodec.encode(new Echo("y".repeat(10_000))));
    List<EnvelopePart> parts = EnvelopePart.split(request, PART);
    connection.tell(parts.get(0));
    connection.tell(parts.get(2));
    Envelope refusal = renderer.expectMessageClass(Envelope.class);
    assertEquals(request.id(), refusal.inReplyTo());
    assertEquals(ErrorCode.VALIDATION, assertInstanceOf(IpcError.class, PayloadCodec.decode(refusal.payload(), IpcError.class)).code());
    assertEquals(List.of(), seen);
  }
}
