package org.browseros.ipc.main.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.browseros.ipc.main.ipc.Caller;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Compressed payloads meet the same size limit as plain ones: on the wire, then once inflated. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class ConnectionCompressionTest {

  record Echo(String text) {}

  static final Channel<Echo, Echo> ECHO = Channel.invoke("app:echo", Echo.class, Echo.class);
  static final GatewaySettings SETTINGS =
      new GatewaySettings(Duration.ofMillis(200), 3, 1024, Duration.ofSeconds(2), Duration.ofSeconds(2));

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  IpcMain ipcMain;
  TestProbe<ToRenderer> renderer;
  final AtomicInteger handled = new AtomicInteger();

  @BeforeEach
  void setUp() {
    ipcMain = new IpcMain(Duration.ofSeconds(2));
    ipcMain.handle(ECHO, (event, payload) -> {
      handled.incrementAndGet();
      return new Echo(payload.text().length() + " chars");
    });
    renderer = testKit.createTestProbe(ToRenderer.class);
  }

  private ActorRef<ToMain> connect() {
    ActorRef<ToMain> connection = testKit.spawn(Connection.create(new Caller("renderer-1", "default", "shell"),
        new ArteryOutbound(renderer.getRef()), new TestCore(), ipcMain, new TestAdmission(), SETTINGS));
    renderer.expectMessageClass(Welcome.class);
    return connection;
  }

  private Envelope invoke(ActorRef<ToMain> connection, byte[] payload) {
    Envelope request = Envelope.command("app:echo", payload);
    connection.tell(request);
    Envelope reply = renderer.expectMessageClass(Envelope.class);
    assertEquals(request.id(), reply.inReplyTo());
    return reply;
  }

  private static byte[] compressed(String text) {
    byte[] wire = PayloadCodec.compress(PayloadCodec.encodeUncompressed(new Echo(text)), 1);
    assertTrue(PayloadCodec.isCompressed(wire));
    return wire;
  }

  @Test
  void shouldHandleACompressedPayloadThatFitsOnceInflated() {
    ActorRef<ToMain> connection = connect();
    Envelope reply = invoke(connection, compressed("y".repeat(900)));
    assertEquals(MessageType.COMMAND, reply.type());
    assertEquals(new Echo("900 chars"), PayloadCodec.decode(reply.payload(), Echo.class));
  }

  @Test
  void shouldRefuseASmallFrameThatInflatesBeyondTheLimit() {
    ActorRef<ToMain> connection = connect();
    byte[] wire = compressed("x".repeat(5000));
    assertTrue(wire.length < 1024);
    Envelope reply = invoke(connection, wire);
    IpcError error = PayloadCodec.decode(reply.payload(), IpcError.class);
    assertEquals(ErrorCode.TOO_LARGE, error.code());
    assertTrue(error.message().contains("inflating"), error.message());

    byte[] bomb = new byte[1024];
    System.arraycopy(wire, 0, bomb, 0, 4);
    ByteBuffer.wrap(bomb, 4, 4).putInt(1 << 30);
    assertEquals(ErrorCode.TOO_LARGE,
        PayloadCodec.decode(invoke(connection, bomb).payload(), IpcError.class).code());
    assertEquals(0, handled.get());
  }
}
