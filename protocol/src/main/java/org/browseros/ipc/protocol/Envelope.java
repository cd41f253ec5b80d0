package org.browseros.ipc.protocol;

import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
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

  public static String newId() {
    return UUID.randomUUID().toString();
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
