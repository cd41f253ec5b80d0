package org.browseros.ipc.main.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.junit.jupiter.api.Test;

class MessageFilterTest {

  private static MonitoredMessage message(String renderer, String channel, MessageType type) {
    return new MonitoredMessage(1, 0, true, renderer, Envelope.of(channel, type, new byte[0]), -1, -1);
  }

  @Test
  void shouldMatchChannelGlobs() {
    assertTrue(ChannelGlob.of("tab:*").matches("tab:create"));
    assertFalse(ChannelGlob.of("tab:*").matches("window:create"));
    assertTrue(ChannelGlob.of("*").matches("navigate:back"));
    assertTrue(ChannelGlob.of("navigate*").matches("navigate"));
    assertTrue(ChannelGlob.of("navigate*").matches("navigate:forward"));
    assertTrue(ChannelGlob.of("tab:?reate").matches("tab:create"));
    assertFalse(ChannelGlob.of("tab:create").matches("tab:creat"));
    // Regex characters are literal.
    assertFalse(ChannelGlob.of("tab.create").matches("tab:create"));
    assertTrue(ChannelGlob.of("a+b").matches("a+b"));
  }

  @Test
  void shouldRefuseEmptyPatterns() {
    IpcException e = assertThrows(IpcException.class, () -> ChannelGlob.of(" "));
    assertEquals(ErrorCode.VALIDATION, e.code());
  }

  @Test
  void shouldFilterByChannelRendererAndType() {
    MessageFilter filter = MessageFilter.parse("tab:*", "renderer-1", "command");
    assertTrue(filter.matches(message("renderer-1", "tab:create", MessageType.COMMAND)));
    assertFalse(filter.matches(message("renderer-2", "tab:create", MessageType.COMMAND)));
    assertFalse(filter.matches(message("renderer-1", "window:create", MessageType.COMMAND)));
    assertFalse(filter.matches(message("renderer-1", "tab:create", MessageType.ERROR)));
  }

  @Test
  void shouldTreatBlankAsAny() {
    MessageFilter filter = MessageFilter.parse("", null, " ");
    assertTrue(filter.matches(message("console-1", "state:sync", MessageType.STATE_UPDATE)));
  }

  @Test
  void shouldRefuseUnknownTypes() {
    IpcException e = assertThrows(IpcException.class, () -> MessageFilter.parse(null, null, "SHOUT"));
    assertEquals(ErrorCode.VALIDATION, e.code());
  }
}
