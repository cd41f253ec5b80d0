package org.browseros.ipc.protocol.dataplane;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;
import org.junit.jupiter.api.Test;

class DataPlaneWireTest {

  /** The frame's body, as the reader hands it over (without the length prefix). */
  private static ByteBuffer body(ByteBuffer frame) {
    int length = frame.getInt();
    assertEquals(frame.remaining(), length, "the length prefix counts the rest of the frame");
    byte[] bytes = new byte[length];
    frame.get(bytes);
    return ByteBuffer.wrap(bytes);
  }

  @Test
  void shouldCarryEnvelopesUnchanged() throws Exception {
    Envelope request = Envelope.command("app:echo", new byte[] {1, 2, 3});
    Envelope reply = request.reply(new byte[100_000]);
    Envelope empty = new Envelope("ü:ß", MessageType.SYSTEM_EVENT, new byte[0], 0, "id", null);
    Envelope wide = new Envelope("app:\uD83D\uDE00", MessageType.EVENT, new byte[] {9}, -1, "é-1", "\u4E2D");
    for (Envelope e : new Envelope[] {request, reply, empty, wide}) {
      assertEquals(e, DataPlaneWire.decodeEnvelope(body(DataPlaneWire.envelopeFrame(e))));
    }
  }

  @Test
  void shouldSendALargePayloadAsItsOwnPartAfterTheSameHead() {
    byte[] large = new byte[DataPlaneWire.SEPARATE_PAYLOAD_BYTES];
    new java.util.Random(3).nextBytes(large);
    Envelope big = Envelope.command("app:echo", large);
    ByteBuffer[] parts = DataPlaneWire.envelopeParts(big);
    assertEquals(2, parts.length);
    assertSame(large, parts[1].array(), "the payload is not copied");
    ByteBuffer joined = ByteBuffer.allocate(parts[0].remaining() + parts[1].remaining()).put(parts[0]).put(parts[1]).flip();
    assertEquals(DataPlaneWire.envelopeFrame(big), joined);

    Envelope small = Envelope.command("app:echo", java.util.Arrays.copyOf(large, DataPlaneWire.SEPARATE_PAYLOAD_BYTES - 1));
    ByteBuffer[] one = DataPlaneWire.envelopeParts(small);
    assertEquals(1, one.length);
    assertEquals(DataPlaneWire.envelopeFrame(small), one[0]);
  }

  @Test
  void shouldDecodeAnEnvelopeReadAsItsHeadAndItsOwnPayloadArray() throws Exception {
    Envelope e = new Envelope("app:\u00e9cho", MessageType.COMMAND, new byte[] {1, 2, 3, 4}, 77, "id-1", "id-0");
    ByteBuffer body = body(DataPlaneWire.envelopeFrame(e));
    int headLength = DataPlaneWire.envelopeHeadLength(body);
    assertEquals(body.remaining() - 4, headLength);
    assertEquals(0, body.position(), "nothing read");
    for (int prefix = 0; prefix < headLength; prefix++) {
      assertEquals(0, DataPlaneWire.envelopeHeadLength(body.slice(0, prefix)), "head not all in " + prefix + " bytes");
    }
    byte[] payload = e.payload().clone();
    Envelope decoded = DataPlaneWire.decodeEnvelope(body.slice(0, headLength), payload);
    assertEquals(e, decoded);
    assertSame(payload, decoded.payload(), "the payload array itself, not a copy");

    assertEquals(0, DataPlaneWire.envelopeHeadLength(body(DataPlaneWire.heartbeatFrame(new Heartbeat(1, 2, 3)))));
    assertThrows(DataPlaneWire.MalformedFrameException.class,
        () -> DataPlaneWire.decodeEnvelope(body.slice(0, headLength + 1), payload), "bytes between head and payload");
  }

  @Test
  void shouldLayOutAnEnvelopeFrameAsDocumented() {
    Envelope e = new Envelope("a:b", MessageType.values()[1], new byte[] {(byte) 0xA0}, 0x0102030405060708L, "é", null);
    byte[] frame = DataPlaneWire.envelopeFrame(e).array();
    assertArrayEquals(HexFormat.of().parseHex(
        "00000016" + "02" + "01" + "0102030405060708" + "0003613a62" + "0002c3a9" + "ffff" + "a0"), frame);
  }

  @Test
  void shouldCarryHeartbeatsAndAcksInFramesOfTheirOwn() throws Exception {
    Heartbeat heartbeat = new Heartbeat(7, -123_456_789L, 1_000_000_000_000L);
    ByteBuffer beat = body(DataPlaneWire.heartbeatFrame(heartbeat));
    assertEquals(DataPlaneWire.KIND_HEARTBEAT, DataPlaneWire.kind(beat));
    assertEquals(heartbeat, DataPlaneWire.decodeHeartbeat(beat));
    HeartbeatAck ack = new HeartbeatAck(7, -123_456_789L);
    ByteBuffer acked = body(DataPlaneWire.heartbeatAckFrame(ack));
    assertEquals(DataPlaneWire.KIND_HEARTBEAT_ACK, DataPlaneWire.kind(acked));
    assertEquals(ack, DataPlaneWire.decodeHeartbeatAck(acked));
    // Neither is an envelope, and a truncated or padded one is malformed.
    assertThrows(DataPlaneWire.MalformedFrameException.class,
        () -> DataPlaneWire.decodeEnvelope(body(DataPlaneWire.heartbeatFrame(heartbeat))));
    assertThrows(DataPlaneWire.MalformedFrameException.class,
        () -> DataPlaneWire.decodeHeartbeat(ByteBuffer.wrap(new byte[] {DataPlaneWire.KIND_HEARTBEAT, 0, 0})));
    assertThrows(DataPlaneWire.MalformedFrameException.class,
        () -> DataPlaneWire.decodeHeartbeatAck(ByteBuffer.allocate(18).put(0, DataPlaneWire.KIND_HEARTBEAT_ACK)));
    assertThrows(DataPlaneWire.MalformedFrameException.class, () -> DataPlaneWire.kind(ByteBuffer.allocate(0)));
  }

  @Test
  void shouldCarryTheToken() throws Exception {
    assertEquals("abc123", DataPlaneWire.decodeToken(body(DataPlaneWire.tokenFrame("abc123"))));
  }

  @Test
  void shouldRefuseMalformedEnvelopeFrames() {
    ByteBuffer good = body(DataPlaneWire.envelopeFrame(Envelope.command("app:echo", new byte[] {1})));
    byte[] bytes = good.array();

    byte[] truncated = java.util.Arrays.copyOf(bytes, 14);
    assertThrows(DataPlaneWire.MalformedFrameException.class, () -> DataPlaneWire.decodeEnvelope(ByteBuffer.wrap(truncated)));

    byte[] badType = bytes.clone();
    badType[1] = 42;
    assertThrows(DataPlaneWire.MalformedFrameException.class, () -> DataPlaneWire.decodeEnvelope(ByteBuffer.wrap(badType)));

    byte[] longString = bytes.clone();
    longString[10] = (byte) 0x7F; // channel length far beyond the frame
    assertThrows(DataPlaneWire.MalformedFrameException.class, () -> DataPlaneWire.decodeEnvelope(ByteBuffer.wrap(longString)));

    byte[] token = body(DataPlaneWire.tokenFrame("t")).array();
    assertThrows(DataPlaneWire.MalformedFrameException.class, () -> DataPlaneWire.decodeEnvelope(ByteBuffer.wrap(token)));
  }

  @Test
  void shouldRefuseMalformedTokenFrames() {
    assertThrows(DataPlaneWire.MalformedFrameException.class, () -> DataPlaneWire.decodeToken(ByteBuffer.wrap(new byte[] {1})));
    assertThrows(DataPlaneWire.MalformedFrameException.class,
        () -> DataPlaneWire.decodeToken(body(DataPlaneWire.tokenFrame("x".repeat(DataPlaneWire.MAX_TOKEN_BYTES + 1)))));
    ByteBuffer envelope = body(DataPlaneWire.envelopeFrame(Envelope.command("app:echo", new byte[0])));
    assertThrows(DataPlaneWire.MalformedFrameException.class, () -> DataPlaneWire.decodeToken(envelope));
  }
}
