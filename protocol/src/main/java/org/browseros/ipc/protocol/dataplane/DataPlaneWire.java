package org.browseros.ipc.protocol.dataplane;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.session.Heartbeat;
import org.browseros.ipc.protocol.session.HeartbeatAck;

/**
 * The wire format of the local data plane (docs/PERFORMANCE.md): length-prefixed frames on a Unix
 * domain socket, each carrying either the session token (the first frame from the renderer) or one
 * {@link Envelope}. A fixed binary layout rather than a general-purpose decoder: the payload is
 * already CBOR bytes, and every field is checked against the frame's own length before it is read,
 * so a malformed frame fails on a bound check and never allocates more than the frame.
 *
 * <pre>
 * frame         = int32 length | byte kind | body            (length counts kind + body)
 * TOKEN         = ASCII token bytes
 * ENVELOPE      = byte type | int64 timestamp | str channel | str id | str inReplyTo | payload (the rest)
 * HEARTBEAT     = int64 seq | int64 sentAtNanos | int64 processed      (renderer to main)
 * HEARTBEAT_ACK = int64 seq | int64 sentAtNanos                        (main to renderer)
 * str           = uint16 length (0xFFFF = null) | UTF-8 bytes
 * </pre>
 *
 * <p>Heartbeats and their acks are frames of their own rather than envelopes: they are no
 * application message (no channel, no checks, not counted by flow control) and main's reader hands
 * them to the connection without queueing them behind envelopes. A renderer sends them here once it
 * switched to the data plane (docs/RELIABILITY.md), so an idle renderer costs no Artery traffic.
 */
public final class DataPlaneWire {
  private DataPlaneWire() {}

  /** The built-in invoke a renderer sends over Artery after its Welcome to ask for the data plane. */
  public static final String OPEN = "dataplane:open";
  /** The marker each side sends over Artery after its last envelope there: from then on, the socket only. */
  public static final String SWITCH = "dataplane:switch";

  public static final byte KIND_TOKEN = 1;
  public static final byte KIND_ENVELOPE = 2;
  public static final byte KIND_HEARTBEAT = 3;
  public static final byte KIND_HEARTBEAT_ACK = 4;
  public static final int HEADER_BYTES = 4;
  /** Room for the envelope's own fields above its payload (channel, ids, type, timestamp). */
  public static final int ENVELOPE_OVERHEAD = 64 * 1024;
  public static final int MAX_TOKEN_BYTES = 128;
  /** From this payload size on, {@link #envelopeParts} leaves the payload in its own array. */
  public static final int SEPARATE_PAYLOAD_BYTES = 16 * 1024;

  private static final int NULL_STRING = 0xFFFF;
  private static final MessageType[] TYPES = MessageType.values();

  /** A frame that does not follow this format: the peer is broken or hostile. */
  public static final class MalformedFrameException extends IOException {
    public MalformedFrameException(String message) {
      super(message);
    }
  }

  /** Whether this envelope is one of the data plane's own control messages (never an application's). */
  public static boolean isControl(Envelope envelope) {
    return OPEN.equals(envelope.channel()) || SWITCH.equals(envelope.channel());
  }

  /** The switch marker. */
  public static Envelope switchMarker() {
    return Envelope.of(SWITCH, MessageType.EVENT, new byte[0]);
  }

  /** A whole frame (length prefix included), ready to write. */
  public static ByteBuffer tokenFrame(String token) {
    byte[] bytes = token.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer frame = ByteBuffer.allocate(HEADER_BYTES + 1 + bytes.length);
    frame.putInt(1 + bytes.length).put(KIND_TOKEN).put(bytes).flip();
    return frame;
  }

  /**
   * A whole frame (length prefix included) in one buffer, ready to write. Built in a plain array: a
   * renderer's C1-only JIT runs a ByteBuffer's typed puts as calls (checks included) rather than stores.
   */
  public static ByteBuffer envelopeFrame(Envelope e) {
    return ByteBuffer.wrap(envelopeHead(e, true));
  }

  /**
   * A whole frame (length prefix included) for {@link FrameSocket#send(ByteBuffer...)}: one buffer
   * for a small payload; for a payload of {@link #SEPARATE_PAYLOAD_BYTES} or more, the head and the
   * payload's own array as a second part, so that it is not copied into a frame array first (the
   * socket copies it into its write buffer anyway). The payload must not change until it is written,
   * which holds for an {@link Envelope}'s payload, never modified once built.
   */
  public static ByteBuffer[] envelopeParts(Envelope e) {
    if (e.payload().length < SEPARATE_PAYLOAD_BYTES) {
      return new ByteBuffer[] {envelopeFrame(e)};
    }
    return new ByteBuffer[] {ByteBuffer.wrap(envelopeHead(e, false)), ByteBuffer.wrap(e.payload())};
  }

  /** The frame's bytes up to the payload, followed by the payload when {@code withPayload}. */
  private static byte[] envelopeHead(Envelope e, boolean withPayload) {
    byte[] channel = utf8(e.channel());
    byte[] id = utf8(e.id());
    byte[] inReplyTo = utf8(e.inReplyTo());
    byte[] payload = e.payload();
    int body = 1 + 1 + 8 + str(channel) + str(id) + str(inReplyTo) + payload.length;
    byte[] frame = new byte[HEADER_BYTES + body - (withPayload ? 0 : payload.length)];
    int p = putInt(frame, 0, body);
    frame[p++] = KIND_ENVELOPE;
    frame[p++] = (byte) e.type().ordinal();
    p = putLong(frame, p, e.timestamp());
    p = putStr(frame, p, channel);
    p = putStr(frame, p, id);
    p = putStr(frame, p, inReplyTo);
    if (withPayload) {
      System.arraycopy(payload, 0, frame, p, payload.length);
    }
    return frame;
  }

  /** A whole heartbeat frame (length prefix included), ready to write. */
  public static ByteBuffer heartbeatFrame(Heartbeat heartbeat) {
    ByteBuffer frame = ByteBuffer.allocate(HEADER_BYTES + 1 + 24);
    frame.putInt(1 + 24).put(KIND_HEARTBEAT)
        .putLong(heartbeat.seq()).putLong(heartbeat.sentAtNanos()).putLong(heartbeat.processed()).flip();
    return frame;
  }

  /** A whole heartbeat-ack frame (length prefix included), ready to write. */
  public static ByteBuffer heartbeatAckFrame(HeartbeatAck ack) {
    ByteBuffer frame = ByteBuffer.allocate(HEADER_BYTES + 1 + 16);
    frame.putInt(1 + 16).put(KIND_HEARTBEAT_ACK).putLong(ack.seq()).putLong(ack.sentAtNanos()).flip();
    return frame;
  }

  /** The kind byte of a frame body, without consuming it. */
  public static byte kind(ByteBuffer body) throws MalformedFrameException {
    need(body, 1);
    return body.get(body.position());
  }

  /** The heartbeat of a HEARTBEAT frame body (kind byte first). */
  public static Heartbeat decodeHeartbeat(ByteBuffer body) throws MalformedFrameException {
    if (body.remaining() != 1 + 24 || body.get() != KIND_HEARTBEAT) {
      throw new MalformedFrameException("expected a heartbeat frame of 25 bytes");
    }
    return new Heartbeat(body.getLong(), body.getLong(), body.getLong());
  }

  /** The ack of a HEARTBEAT_ACK frame body (kind byte first). */
  public static HeartbeatAck decodeHeartbeatAck(ByteBuffer body) throws MalformedFrameException {
    if (body.remaining() != 1 + 16 || body.get() != KIND_HEARTBEAT_ACK) {
      throw new MalformedFrameException("expected a heartbeat-ack frame of 17 bytes");
    }
    return new HeartbeatAck(body.getLong(), body.getLong());
  }

  /** The token of a TOKEN frame body (kind byte first). */
  public static String decodeToken(ByteBuffer body) throws MalformedFrameException {
    if (!body.hasRemaining() || body.get() != KIND_TOKEN) {
      throw new MalformedFrameException("expected the session token first");
    }
    if (body.remaining() < 1 || body.remaining() > MAX_TOKEN_BYTES) {
      throw new MalformedFrameException("token of " + body.remaining() + " bytes");
    }
    byte[] token = new byte[body.remaining()];
    body.get(token);
    return new String(token, StandardCharsets.US_ASCII);
  }

  /** The envelope of an ENVELOPE frame body (kind byte first); every length is checked first. */
  public static Envelope decodeEnvelope(ByteBuffer body) throws MalformedFrameException {
    return decodeEnvelope(body, null);
  }

  /**
   * The envelope of an ENVELOPE frame read in two parts ({@link FrameSocket.Handler#split}): its head
   * (kind byte first, exactly up to the payload) and its payload, an array of its own that becomes the
   * envelope's payload without a copy.
   */
  public static Envelope decodeEnvelope(ByteBuffer head, byte[] payload) throws MalformedFrameException {
    need(head, 1 + 1 + 8);
    if (head.get() != KIND_ENVELOPE) {
      throw new MalformedFrameException("expected an envelope frame");
    }
    int type = head.get();
    if (type < 0 || type >= TYPES.length) {
      throw new MalformedFrameException("unknown message type " + type);
    }
    long timestamp = head.getLong();
    String channel = getStr(head);
    String id = getStr(head);
    String inReplyTo = getStr(head);
    if (payload == null) {
      payload = new byte[head.remaining()];
      head.get(payload);
    } else if (head.hasRemaining()) {
      throw new MalformedFrameException(head.remaining() + " bytes between an envelope's head and its payload");
    }
    return new Envelope(channel, TYPES[type], payload, timestamp, id, inReplyTo);
  }

  /**
   * The length of an ENVELOPE frame's head (kind byte to the payload) when {@code start}, the first
   * bytes of a frame body, holds all of it; else 0 (not an envelope, or not all there yet). Reads
   * nothing from {@code start}.
   */
  public static int envelopeHeadLength(ByteBuffer start) {
    // Walks the head as decodeEnvelope reads it, without decoding: start may be read-only (no array()).
    ByteBuffer b = start.duplicate();
    if (b.remaining() < 1 + 1 + 8 || b.get() != KIND_ENVELOPE) {
      return 0;
    }
    b.position(b.position() + 1 + 8);
    for (int i = 0; i < 3; i++) {
      if (b.remaining() < 2) {
        return 0;
      }
      int length = Short.toUnsignedInt(b.getShort());
      if (length != NULL_STRING) {
        if (b.remaining() < length) {
          return 0;
        }
        b.position(b.position() + length);
      }
    }
    return b.position() - start.position();
  }

  private static byte[] utf8(String s) {
    if (s == null) {
      return null;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length >= NULL_STRING) {
      throw new IllegalArgumentException("envelope field of " + bytes.length + " bytes");
    }
    return bytes;
  }

  private static int str(byte[] bytes) {
    return 2 + (bytes == null ? 0 : bytes.length);
  }

  private static int putStr(byte[] frame, int p, byte[] bytes) {
    if (bytes == null) {
      return putShort(frame, p, NULL_STRING);
    }
    p = putShort(frame, p, bytes.length);
    System.arraycopy(bytes, 0, frame, p, bytes.length);
    return p + bytes.length;
  }

  private static int putShort(byte[] b, int p, int v) {
    b[p] = (byte) (v >>> 8);
    b[p + 1] = (byte) v;
    return p + 2;
  }

  private static int putInt(byte[] b, int p, int v) {
    b[p] = (byte) (v >>> 24);
    b[p + 1] = (byte) (v >>> 16);
    b[p + 2] = (byte) (v >>> 8);
    b[p + 3] = (byte) v;
    return p + 4;
  }

  private static int putLong(byte[] b, int p, long v) {
    putInt(b, p, (int) (v >>> 32));
    return putInt(b, p + 4, (int) v);
  }

  private static String getStr(ByteBuffer body) throws MalformedFrameException {
    need(body, 2);
    int length = Short.toUnsignedInt(body.getShort());
    if (length == NULL_STRING) {
      return null;
    }
    need(body, length);
    String s = new String(body.array(), body.arrayOffset() + body.position(), length, StandardCharsets.UTF_8);
    body.position(body.position() + length);
    return s;
  }

  private static void need(ByteBuffer body, int bytes) throws MalformedFrameException {
    if (body.remaining() < bytes) {
      throw new MalformedFrameException("truncated frame: need " + bytes + " bytes, " + body.remaining() + " left");
    }
  }
}
