package org.browseros.ipc.main.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.tab.TabDelete;
import org.junit.jupiter.api.Test;

/** The per-channel decisions ChannelGuard remembers must give the same answers as checking afresh. */
class ChannelGuardTest {
  static final SecurityPolicy POLICY = new SecurityPolicy(
      Map.of("web", new Capability("web", List.of("app:*", "tab:delete"), List.of("app:secret"), true,
          Set.of("https"), 1e9, 1_000_000)),
      Map.of("app:small", 10), 1_000, Duration.ofSeconds(10));

  private final ChannelGuard guard = new ChannelGuard(new Caller("r1", "default", "web"), POLICY);

  private static Envelope command(String channel, int bytes) {
    return Envelope.command(channel, new byte[bytes]);
  }

  private ErrorCode refusal(Envelope envelope, int overall) {
    return assertThrows(IpcException.class, () -> guard.admit(envelope, overall)).code();
  }

  @Test
  void shouldGiveTheSameDecisionEveryTimeForOneChannel() {
    for (int i = 0; i < 3; i++) {
      assertTrue(guard.isValidName("app:echo"));
      guard.admit(command("app:echo", 5), 100);
      assertEquals(ErrorCode.PERMISSION, refusal(command("app:secret", 5), 100));
      assertEquals(ErrorCode.PERMISSION, refusal(command("window:create", 5), 100));
      assertFalse(guard.isValidName("Not A Channel"));
      assertEquals(ErrorCode.VALIDATION, refusal(command("Not A Channel", 5), 100));
      assertFalse(guard.isValidName(null));
    }
  }

  @Test
  void shouldApplyTheSmallerOfTheChannelsLimitAndTheTransportsLimit() {
    guard.admit(command("app:small", 10), 100);
    assertEquals(ErrorCode.TOO_LARGE, refusal(command("app:small", 11), 100));
    // The transport's limit changes (Artery, then the data plane): it is not remembered per channel.
    guard.admit(command("app:big", 100), 100);
    assertEquals(ErrorCode.TOO_LARGE, refusal(command("app:big", 101), 100));
    guard.admit(command("app:big", 1000), 1000);
    assertEquals(ErrorCode.TOO_LARGE, refusal(command("app:big", 50), 40));
    assertEquals(ErrorCode.TOO_LARGE, refusal(command("app:small", 11), 1000));
  }

  @Test
  void shouldStillCheckChannelsBeyondTheRememberedOnes() {
    for (int i = 0; i < ChannelGuard.MAX_REMEMBERED_CHANNELS + 100; i++) {
      guard.admit(command("app:c" + i, 1), 100);
      assertEquals(ErrorCode.PERMISSION, refusal(command("other:c" + i, 1), 100));
    }
    assertEquals(ErrorCode.PERMISSION, refusal(command("app:secret", 1), 100));
    assertEquals(ErrorCode.VALIDATION, refusal(command("Bad Name", 1), 100));
    assertEquals(ErrorCode.TOO_LARGE, refusal(command("app:small", 11), 100));
  }

  @Test
  void shouldValidateConstrainedPayloadsAndPassUnconstrainedOnes() {
    record Plain(String text) {}
    guard.validate(new Plain(""));
    guard.validate(new Plain(null));
    assertEquals(ErrorCode.VALIDATION, assertThrows(IpcException.class, () -> guard.validate(new TabDelete(" "))).code());
    guard.validate(new TabDelete("t1"));
  }
}
