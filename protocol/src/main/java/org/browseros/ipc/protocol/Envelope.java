package org.browseros.ipc.protocol;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;

/**
 * The one IPC message that crosses between a renderer and its connection in main:
 * {@code {channel, type, payload, timestamp, id}}, plus {@code inReplyTo} on replies.
 *
 * <p>The payload is CBOR bytes, decoded by the receiver according to the channel's declared
 * payload type (see {@link PayloadCodec}); never by a type id that the sender chose. This keeps
 * size checks ahead of decoding and rules out polymorphic deserialization.
 *
 * @param channel the channel's wire name, e.g. {@code tab:create}
 * @param type what kind of message this is
 * @param payload the CBOR-encoded payload (an {@link IpcError} when {@code type} is ERROR)
 * @param timestamp sender's wall clock, epoch milliseconds
 * @param id unique id of this message
 * @param inReplyTo the id of the request this answers, or null when it is not a reply
 */
public record Envelope(
    String channel, MessageType type, byte[] payload, long timestamp, String id, String inReplyTo)
    implements ToMain, ToRenderer, CborSerializable {

  public Envelope {
    payload = payload == null ? new byte[0] : payload;
  }

  /**
   * A new message id, unique in this process and, with overwhelming probability, across processes and
   * restarts: a random 64-bit prefix drawn once per process (SecureRandom) and a counter, as
   * {@code <16 hex>-<hex counter>}, e.g. {@code 9f3c0a7e41d2b856-1a}. A random UUID per message cost a
   * SecureRandom draw (SHA-1) each, the top CPU frame of a busy sender.
   */
  public static String newId() {
    return Ids.next();
  }

  private static final class Ids {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREFIX = prefix(new SecureRandom().nextLong());
    private static final AtomicLong COUNTER = new AtomicLong();

    private static byte[] prefix(long random) {
      byte[] p = new byte[17];
      for (int i = 0; i < 16; i++) {
        p[i] = HEX[(int) (random >>> (60 - 4 * i)) & 0xF];
      }
      p[16] = '-';
      return p;
    }

    static String next() {
      long n = COUNTER.incrementAndGet();
      int digits = Math.max(1, (67 - Long.numberOfLeadingZeros(n)) >> 2);
      byte[] id = Arrays.copyOf(PREFIX, PREFIX.length + digits);
      for (int i = id.length - 1; i >= PREFIX.length; i--) {
        id[i] = HEX[(int) n & 0xF];
        n >>>= 4;
      }
      return new String(id, StandardCharsets.ISO_8859_1);
    }
  }

  public static Envelope command(String channel, byte[] payload) {
    return new Envelope(channel, MessageType.COMMAND, payload, System.currentTimeMillis(), newId(), null);
  }

  public static Envelope of(String channel, MessageType type, byte[] payload) {
    return new Envelope(channel, type, payload, System.currentTimeMillis(), newId(), null);
  }

  /** The successful reply to this request. */
  public Envelope reply(byte[] replyPayload) {
    return new Envelope(channel, MessageType.COMMAND, replyPayload, System.currentTimeMillis(), newId(), id);
  }

  /** The failed reply to this request (or the error about this one-way message). */
  public Envelope replyError(IpcError error) {
    IpcError withRequest = error.withRequest(channel, id);
    return new Envelope(
        channel, MessageType.ERROR, PayloadCodec.encode(withRequest), System.currentTimeMillis(), newId(), id);
  }

  public boolean isReply() {
    return inReplyTo != null;
  }

  /** Invokes carry an id the sender waits on; one-way sends do not expect a reply. */
  public boolean isRequest() {
    return type == MessageType.COMMAND && inReplyTo == null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Envelope e
        && timestamp == e.timestamp
        && Objects.equals(channel, e.channel)
        && type == e.type
        && Arrays.equals(payload, e.payload)
        && Objects.equals(id, e.id)
        && Objects.equals(inReplyTo, e.inReplyTo);
  }

  @Override
  public int hashCode() {
    return Objects.hash(channel, type, Arrays.hashCode(payload), timestamp, id, inReplyTo);
  }

  @Override
  public String toString() {
    return "Envelope[channel=" + channel + ", type=" + type + ", payload=" + payload.length
        + " bytes, timestamp=" + timestamp + ", id=" + id
        + (inReplyTo == null ? "" : ", inReplyTo=" + inReplyTo) + "]";
  }
}
