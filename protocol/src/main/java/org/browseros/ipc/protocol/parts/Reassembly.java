package org.browseros.ipc.protocol.parts;

import com.typesafe.config.Config;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.IpcException;

/**
 * Puts {@link EnvelopePart}s from one peer back into envelopes, within bounds: a payload above
 * {@code maxPayloadBytes} is refused on its first part (before anything is buffered), a part
 * larger than {@code maxPartBytes} or out of order is refused, and at most {@code maxOpen}
 * envelopes are being assembled at once (a peer sends one at a time; more is broken or hostile).
 * The parts after a first part refused as TOO_LARGE are dropped quietly, so that one refusal
 * answers one envelope. Not thread-safe: one per connection, used on its actor's thread.
 */
public final class Reassembly {
  /** What {@link #accept} made of a part. */
  public sealed interface Outcome permits Pending, Complete, Refused {}

  /** More parts are due. */
  public enum Pending implements Outcome { INSTANCE }

  /** The last part arrived: the whole envelope. */
  public record Complete(Envelope envelope) implements Outcome {}

  /** A bad part; {@code about} names the envelope it claimed to belong to (empty payload). */
  public record Refused(Envelope about, IpcError error) implements Outcome {}

  private static final class Open {
    final EnvelopePart first;
    final byte[] payload;
    int received;
    final boolean discarding;

    Open(EnvelopePart first, boolean discarding) {
      this.first = first;
      this.discarding = discarding;
      this.payload = discarding ? null : new byte[first.payloadLength()];
    }
  }

  private final int maxPayloadBytes;
  private final int maxPartBytes;
  private final int maxOpen;
  private final Map<String, Open> open = new LinkedHashMap<>();

  /** For one peer over Artery: parts up to this system's frame size, at most 2 envelopes in progress. */
  public static Reassembly overArtery(long maxPayloadBytes, Config systemConfig) {
    return new Reassembly((int) Math.min(Integer.MAX_VALUE, maxPayloadBytes), EnvelopePart.arteryFrameBytes(systemConfig), 2);
  }

  public Reassembly(int maxPayloadBytes, int maxPartBytes, int maxOpen) {
    this.maxPayloadBytes = maxPayloadBytes;
    this.maxPartBytes = maxPartBytes;
    this.maxOpen = maxOpen;
  }

  /** Takes the next part of some envelope. */
  public Outcome accept(EnvelopePart part) {
    String key = part.id() == null ? "" : part.id();
    Open o = open.get(key);
    if (o == null) {
      return first(key, part);
    }
    if (!o.first.sameEnvelope(part) || part.offset() != o.received || part.bytes().length == 0
        || part.bytes().length > maxPartBytes || part.offset() + part.bytes().length > part.payloadLength()) {
      open.remove(key);
      return refused(part, ErrorCode.VALIDATION, "Part " + part.offset() + ".." + (part.offset() + part.bytes().length)
          + " does not continue the " + o.received + " bytes received of " + part.payloadLength());
    }
    return take(key, o, part);
  }

  private Outcome first(String key, EnvelopePart part) {
    if (part.offset() != 0) {
      return refused(part, ErrorCode.VALIDATION, "Part at offset " + part.offset() + " of no envelope in progress");
    }
    if (part.payloadLength() < 0 || part.bytes().length > maxPartBytes || part.bytes().length > part.payloadLength()
        || (part.bytes().length == 0 && part.payloadLength() > 0)) {
      return refused(part, ErrorCode.VALIDATION, "Malformed first part: " + part.bytes().length + " of "
          + part.payloadLength() + " bytes");
    }
    if (open.size() >= maxOpen) {
      // A peer sends one envelope's parts back to back; this many at once is broken or hostile.
      return refused(part, ErrorCode.VALIDATION, "More than " + maxOpen + " envelopes in parts at once");
    }
    if (part.payloadLength() > maxPayloadBytes) {
      Open discard = new Open(part, true);
      discard.received = part.bytes().length;
      if (discard.received < part.payloadLength()) {
        open.put(key, discard);
      }
      return refused(part, ErrorCode.TOO_LARGE, "Payload of " + part.payloadLength()
          + " bytes exceeds the limit of " + maxPayloadBytes + " bytes");
    }
    return take(key, new Open(part, false), part);
  }

  private Outcome take(String key, Open o, EnvelopePart part) {
    if (!o.discarding) {
      System.arraycopy(part.bytes(), 0, o.payload, part.offset(), part.bytes().length);
    }
    o.received = part.offset() + part.bytes().length;
    if (o.received < part.payloadLength()) {
      open.put(key, o);
      return Pending.INSTANCE;
    }
    open.remove(key);
    if (o.discarding) {
      return Pending.INSTANCE;
    }
    EnvelopePart h = o.first;
    return new Complete(new Envelope(h.channel(), h.type(), o.payload, h.timestamp(), h.id(), h.inReplyTo()));
  }

  private static Refused refused(EnvelopePart part, ErrorCode code, String message) {
    return new Refused(part.header(), IpcError.of(code, message));
  }

  /** Envelopes being assembled (or discarded) now. */
  public int inProgress() {
    return open.size();
  }
}
