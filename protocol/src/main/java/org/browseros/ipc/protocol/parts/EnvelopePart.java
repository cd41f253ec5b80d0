package org.browseros.ipc.protocol.parts;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.browseros.ipc.protocol.CborSerializable;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;

/**
 * One slice of an {@link Envelope} whose payload is too large for one Artery frame (Artery drops a
 * message above its {@code maximum-frame-size}, 256 KiB). Used over Artery only: the data plane
 * carries a whole envelope per frame. Every part repeats the envelope's header, so the receiver
 * can answer the request (TOO_LARGE, say) from the first part without waiting for the rest; the
 * parts of one envelope are sent back to back by one actor, and Artery keeps a sender's order, so
 * an envelope sent after a large one is still handled after it. {@link Reassembly} puts them back
 * together, within bounds.
 *
 * @param offset where {@code bytes} starts in the payload
 * @param payloadLength the whole payload's length, the same in every part
 */
public record EnvelopePart(
    String channel, MessageType type, long timestamp, String id, String inReplyTo,
    int payloadLength, int offset, byte[] bytes)
    implements ToMain, ToRenderer, CborSerializable {

  public EnvelopePart {
    bytes = bytes == null ? new byte[0] : bytes;
  }

  /** Artery's frame size in an actor system's config: no part (or message) above it arrives. */
  public static int arteryFrameBytes(Config systemConfig) {
    return (int) Math.min(Integer.MAX_VALUE, systemConfig.getBytes("pekko.remote.artery.advanced.maximum-frame-size"));
  }

  /** The part size a sender uses: half of its Artery frame, room for the part's header and serialization. */
  public static int partBytes(Config systemConfig) {
    return arteryFrameBytes(systemConfig) / 2;
  }

  /** The envelope in parts of at most {@code partSize} payload bytes; one part per slice, in order. */
  public static List<EnvelopePart> split(Envelope e, int partSize) {
    if (partSize < 1) {
      throw new IllegalArgumentException("partSize must be positive");
    }
    byte[] payload = e.payload();
    List<EnvelopePart> parts = new ArrayList<>(payload.length / partSize + 1);
    int offset = 0;
    do {
      int end = Math.min(payload.length, offset + partSize);
      parts.add(new EnvelopePart(e.channel(), e.type(), e.timestamp(), e.id(), e.inReplyTo(), payload.length, offset,
          Arrays.copyOfRange(payload, offset, end)));
      offset = end;
    } while (offset < payload.length);
    return parts;
  }

  /** The envelope this is part of, with an empty payload: enough to answer it. */
  public Envelope header() {
    return new Envelope(channel, type, new byte[0], timestamp, id, inReplyTo);
  }

  boolean sameEnvelope(EnvelopePart other) {
    return timestamp == other.timestamp && type == other.type && payloadLength == other.payloadLength
        && Objects.equals(channel, other.channel) && Objects.equals(id, other.id)
        && Objects.equals(inReplyTo, other.inReplyTo);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EnvelopePart p && sameEnvelope(p) && offset == p.offset && Arrays.equals(bytes, p.bytes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(channel, type, timestamp, id, inReplyTo, payloadLength, offset, Arrays.hashCode(bytes));
  }

  @Override
  public String toString() {
    return "EnvelopePart[channel=" + channel + ", id=" + id + (inReplyTo == null ? "" : ", inReplyTo=" + inReplyTo)
        + ", bytes " + offset + ".." + (offset + bytes.length) + " of " + payloadLength + "]";
  }
}
