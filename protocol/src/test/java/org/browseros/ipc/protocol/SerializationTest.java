package org.browseros.ipc.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.browseros.ipc.protocol.session.Goodbye;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Refused;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every message that crosses JVMs survives Pekko serialization, through the jackson-cbor binding. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class SerializationTest {

  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  private Object roundTrip(Object message) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    var serializer = serialization.findSerializerFor(message);
    assertEquals(UncompressedCborSerializer.class.getName(), serializer.getClass().getName(),
        "cross-JVM messages must use jackson-cbor");
    byte[] bytes = serialization.serialize(message).get();
    String manifest = Serializers.manifestFor(serializer, message);
    return serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  @Test
  void shouldRefuseCompressedInputInsteadOfInflatingIt() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    Envelope envelope = Envelope.command("tab:update", new byte[1 << 20]);
    var serializer = serialization.findSerializerFor(envelope);
    byte[] plain = serialization.serialize(envelope).get();
    java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gzipped)) {
      out.write(plain);
    }
    String manifest = Serializers.manifestFor(serializer, envelope);
    org.junit.jupiter.api.Assertions.assertTrue(
        serialization.deserialize(gzipped.toByteArray(), serializer.identifier(), manifest).isFailure(),
        "a gzipped frame must be refused");
  }

  @Test
  void shouldRoundTripEnvelopes() {
    Envelope command = Envelope.command("tab:create", PayloadCodec.encode(new org.browseros.ipc.protocol.tab.TabCreate("w1", "https://example.org", true)));
    assertEquals(command, roundTrip(command));
    Envelope reply = command.reply(new byte[] {1, 2, 3});
    Envelope back = (Envelope) roundTrip(reply);
    assertEquals(reply, back);
    assertEquals(command.id(), back.inReplyTo());
    assertArrayEquals(new byte[] {1, 2, 3}, back.payload());
    Envelope error = command.replyError(IpcError.of(ErrorCode.NOT_FOUND, "No window 'w1'"));
    assertEquals(error, roundTrip(error));
    for (MessageType type : MessageType.values()) {
      Envelope e = Envelope.of("app:custom", type, new byte[0]);
      assertEquals(e, roundTrip(e));
    }
  }

  @Test
  void shouldRoundTripEnvelopeParts() {
    Envelope large = Envelope.command("app:upload", new byte[300 * 1024]).reply(new byte[300 * 1024]);
    for (org.browseros.ipc.protocol.parts.EnvelopePart part : org.browseros.ipc.protocol.parts.EnvelopePart.split(large, 128 * 1024)) {
      assertEquals(part, roundTrip(part));
    }
  }

  @Test
  void shouldRoundTripSessionMessagesWithActorRefs() {
    TestProbe<ToRenderer> renderer = testKit.createTestProbe();
    TestProbe<ToMain> connection = testKit.createTestProbe();
    Hello hello = new Hello("renderer-1", "s3cret", renderer.getRef(), Hello.PROTOCOL_VERSION);
    assertEquals(hello, roundTrip(hello));
    Hello console = new Hello(null, "token", renderer.getRef(), Hello.PROTOCOL_VERSION);
    assertEquals(console, roundTrip(console));
    Welcome welcome = new Welcome("renderer-1", "shell", "default", connection.getRef(), 1000);
    assertEquals(welcome, roundTrip(welcome));
    Refused refused = new Refused(new IpcError(ErrorCode.PERMISSION, "Unknown launch secret", null, null));
    assertEquals(refused, roundTrip(refused));
    assertEquals(new Heartbeat(7, 123456789L, 300L), roundTrip(new Heartbeat(7, 123456789L, 300L)));
    assertEquals(new HeartbeatAck(7, 123456789L), roundTrip(new HeartbeatAck(7, 123456789L)));
    assertEquals(new Goodbye("closing"), roundTrip(new Goodbye("closing")));
  }

  @Test
  void shouldNotPrintSecretsInHello() {
    TestProbe<ToRenderer> renderer = testKit.createTestProbe();
    Hello hello = new Hello("renderer-1", "s3cret-value", renderer.getRef(), Hello.PROTOCOL_VERSION);
    assertEquals(-1, hello.toString().indexOf("s3cret-value"));
  }

  @Test
  void shouldRefuseToSerializeNonMarkedMessages() {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    record Internal(String x) {}
    // Internal messages have no binding: they cannot cross a JVM, by construction.
    assertThrows(java.io.NotSerializableException.class, () -> serialization.findSerializerFor(new Internal("x")));
  }
}
