package org.browseros.ipc.renderer;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * How to reach main and how long to wait for it.
 *
 * @param gatewayPath the gateway's actor path, e.g. {@code pekko://edge@127.0.0.1:25520/user/gateway}
 * @param rendererId the id main launched this renderer under; null for a console
 * @param secret the one-time launch secret, or the devtools credential for a console
 * @param invokeTimeout the default per-call timeout of {@code invoke}
 * @param handshakeTimeout how long Hello is retried before the connection fails
 * @param missedHeartbeats heartbeat intervals without an ack after which the connection is lost
 */
public record ConnectOptions(
    String gatewayPath,
    String rendererId,
    String secret,
    Duration invokeTimeout,
    Duration handshakeTimeout,
    int missedHeartbeats) {

  public ConnectOptions {
    Objects.requireNonNull(gatewayPath, "gatewayPath");
    Objects.requireNonNull(secret, "secret");
    requirePositive(invokeTimeout, "invokeTimeout");
    requirePositive(handshakeTimeout, "handshakeTimeout");
    if (missedHeartbeats < 1) {
      throw new IllegalArgumentException("missedHeartbeats must be at least 1");
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }

  /** Options with the timeouts of {@code browseros.renderer} in the given config. */
  public static ConnectOptions fromConfig(Config config, String gatewayPath, String rendererId, String secret) {
    Config c = config.getConfig("browseros.renderer");
    return new ConnectOptions(
        gatewayPath,
        rendererId,
        secret,
        c.getDuration("invoke-timeout"),
        c.getDuration("handshake-timeout"),
        c.getInt("missed-heartbeats"));
  }

  /** Options with the timeouts configured in the system's {@code browseros.renderer} section. */
  public static ConnectOptions of(ActorSystem<?> system, String gatewayPath, String rendererId, String secret) {
    return fromConfig(system.settings().config(), gatewayPath, rendererId, secret);
  }

  public ConnectOptions withInvokeTimeout(Duration timeout) {
    return new ConnectOptions(gatewayPath, rendererId, secret, timeout, handshakeTimeout, missedHeartbeats);
  }

  public ConnectOptions withHandshakeTimeout(Duration timeout) {
    return new ConnectOptions(gatewayPath, rendererId, secret, invokeTimeout, timeout, missedHeartbeats);
  }

  public ConnectOptions withMissedHeartbeats(int missed) {
    return new ConnectOptions(gatewayPath, rendererId, secret, invokeTimeout, handshakeTimeout, missed);
  }

  @Override
  public String toString() {
    return "ConnectOptions[gatewayPath=" + gatewayPath + ", rendererId=" + rendererId + ", secret=<redacted>"
        + ", invokeTimeout=" + invokeTimeout + ", handshakeTimeout=" + handshakeTimeout
        + ", missedHeartbeats=" + missedHeartbeats + "]";
  }
}
