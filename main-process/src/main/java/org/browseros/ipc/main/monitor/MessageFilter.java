package org.browseros.ipc.main.monitor;

import java.util.Locale;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;

/**
 * Which monitored messages a watcher wants: a channel glob, one renderer, one message type; each
 * null for "any".
 */
public record MessageFilter(ChannelGlob channel, String renderer, MessageType type) {

  public static final MessageFilter ALL = new MessageFilter(null, null, null);

  /** From query parameters; blank means any. A bad type is a VALIDATION error. */
  public static MessageFilter parse(String channel, String renderer, String type) {
    MessageType messageType = null;
    if (type != null && !type.isBlank()) {
      try {
        messageType = MessageType.valueOf(type.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IpcException(ErrorCode.VALIDATION, "Unknown message type '" + type + "'");
      }
    }
    return new MessageFilter(
        channel == null || channel.isBlank() ? null : ChannelGlob.of(channel),
        renderer == null || renderer.isBlank() ? null : renderer.strip(),
        messageType);
  }

  public boolean matches(MonitoredMessage message) {
    return (channel == null || channel.matches(message.channel()))
        && (renderer == null || renderer.equals(message.rendererId()))
        && (type == null || type == message.type());
  }
}
