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
 * @param reconnect how a lost connection is resumed (when main's Welcome offered a resume token)
 */
public record ConnectOptions(
    String gatewayPath,
    String rendererId,
    String secret,
    Duration invokeTimeout,
    Duration handshakeTimeout,
    int missedHeartbeats,
    Reconnect reconnect) {

  /**
   * {@code browseros.renderer.reconnect}: after the connection to main is lost, Hello is re-sent
   * with the resume token every min-backoff, doubling up to max-backoff, each delay stretched by up
   * to random-factor; after give-up-after the connection counts as lost for good.
   *
   * @param maxQueued invokes issued while reconnecting that wait for the link; more fail at once with CONNECTION
   * @param maxAttempts how many times in all an idempotent invoke is sent across reconnects
   */
  public record Reconnect(Duration minBackoff, Duration maxBackoff, double randomFactor, Duration giveUpAfter,
      int maxQueued, int maxAttempts) {
    public static final Reconnect DEFAULT =
        new Reconnect(Duration.ofMillis(200), Duration.ofSeconds(2), 0.2, Duration.ofSeconds(30), 1000, 3);
    /** A lost connection is not resumed. */
    public static final Reconnect OFF = new Reconnect(Duration.ofMillis(200), Duration.ofSeconds(2), 0.2, Duration.ZERO, 0, 1);

    public Reconnect {
      requirePositive(minBackoff, "reconnect.min-backoff");
      if (maxBackoff == null || maxBackoff.compareTo(minBackoff) < 0) {
        throw new IllegalArgumentException("reconnect.max-backoff must be >= min-backoff");
      }
      if (randomFactor < 0) {
        throw new IllegalArgumentException("reconnect.random-factor must be >= 0");
      }
      if (giveUpAfter == null || giveUpAfter.isNegative() || maxQueued < 0 || maxAttempts < 1) {
        throw new IllegalArgumentException("reconnect needs give-up-after >= 0, max-queued >= 0, max-attempts >= 1");
      }
    }

    public boolean enabled() {
      return !giveUpAfter.isZero();
    }

    /** The delay before the (n+1)-th try: min * 2^n capped at max, stretched by up to random-factor. */
    public Duration backoff(int n, double random) {
      double base = minBackoff.toNanos() * Math.pow(2, Math.max(0, Math.min(n, 30)));
      double capped = Math.min(base, maxBackoff.toNanos());
      return Duration.ofNanos(Math.round(capped * (1.0 + random * randomFactor)));
    }

    static Reconnect fromConfig(Config c) {
      return new Reconnect(c.getDuration("min-backoff"), c.getDuration("max-backoff"), c.getDouble("random-factor"),
          c.getDuration("give-up-after"), c.getInt("max-queued"), c.getInt("max-attempts"));
    }
  }

  /** Options with the default {@link Reconnect}. */
  public ConnectOptions(String gatewayPath, String rendererId, String secret, Duration invokeTimeout,
      Duration handshakeTimeout, int missedHeartbeats) {
    this(gatewayPath, rendererId, secret, invokeTimeout, handshakeTimeout, missedHeartbeats, Reconnect.DEFAULT);
  }

  public ConnectOptions {
    Objects.requireNonNull(reconnect, "reconnect");
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
        c.getInt("missed-heartbeats"),
        c.hasPath("reconnect") ? Reconnect.fromConfig(c.getConfig("reconnect")) : Reconnect.DEFAULT);
  }

  /** Options with the timeouts configured in the system's {@code browseros.renderer} section. */
  public static ConnectOptions of(ActorSystem<?> system, String gatewayPath, String rendererId, String secret) {
    return fromConfig(system.settings().config(), gatewayPath, rendererId, secret);
  }

  public ConnectOptions withInvokeTimeout(Duration timeout) {
    return new ConnectOptions(gatewayPath, rendererId, secret, timeout, handshakeTimeout, missedHeartbeats, reconnect);
  }

  public ConnectOptions withHandshakeTimeout(Duration timeout) {
    return new ConnectOptions(gatewayPath, rendererId, secret, invokeTimeout, timeout, missedHeartbeats, reconnect);
  }

  public ConnectOptions withMissedHeartbeats(int missed) {
    return new ConnectOptions(gatewayPath, rendererId, secret, invokeTimeout, handshakeTimeout, missed, reconnect);
  }

  public ConnectOptions withReconnect(Reconnect settings) {
    return new ConnectOptions(gatewayPath, rendererId, secret, invokeTimeout, handshakeTimeout, missedHeartbeats, settings);
  }

  @Override
  public String toString() {
    return "ConnectOptions[gatewayPath=" + gatewayPath + ", rendererId=" + rendererId + ", secret=<redacted>"
        + ", invokeTimeout=" + invokeTimeout + ", handshakeTimeout=" + handshakeTimeout
        + ", missedHeartbeats=" + missedHeartbeats + ", reconnect=" + reconnect + "]";
  }
}
