package org.browseros.ipc.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChannelTest {

  @Test
  void shouldDefineEveryBuiltInChannelWithItsWireName() {
    assertEquals(
        List.of("window:create", "window:close", "window:update", "tab:create", "tab:update", "tab:delete",
            "navigate", "navigate:back", "navigate:forward", "settings:update", "settings:get",
            "system:event", "power:state", "state:sync", "state:resync", "renderers:list"),
        List.copyOf(Channels.builtIn().keySet()));
    assertEquals(Direction.BROADCAST, Channels.SYSTEM_EVENT.direction());
    assertEquals(Direction.MAIN_TO_RENDERER, Channels.STATE_SYNC.direction());
    assertEquals(Direction.RENDERER_TO_MAIN, Channels.STATE_RESYNC.direction());
    assertTrue(Channels.TAB_CREATE.isInvoke());
  }

  @Test
  void shouldLetApplicationsDefineTheirOwnChannels() {
    record Echo(String text) {}
    Channel<Echo, Echo> echo = Channel.invoke("app:echo", Echo.class, Echo.class);
    assertEquals("app:echo", echo.name());
    assertEquals(Echo.class, echo.replyType());
    assertFalse(Channels.isBuiltIn("app:echo"));
    assertEquals(new Echo("hi"), PayloadCodec.decode(PayloadCodec.encode(new Echo("hi")), echo.payloadType()));
  }

  @Test
  void shouldRefuseMalformedChannelNames() {
    for (String bad : new String[] {"", "Tab:Create", "tab::x", ":x", "x:", "a b", "x".repeat(200), null}) {
      assertThrows(IllegalArgumentException.class, () -> Channel.invoke(bad, Object.class, Object.class), String.valueOf(bad));
    }
  }
}
