package org.browseros.ipc.main.security;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.tab.TabCreate;

/**
 * The edge's checks on one renderer's messages, applied by its connection before any core actor or
 * handler sees them: the capability's channel rules, per-channel size limits (before decoding), the
 * rate limit, Bean Validation of the decoded payload and the capability's url schemes. It also
 * counts violations for the bad-message policy. One instance per connection; not thread-safe.
 *
 * <p>What depends only on the channel's name (its syntax, the capability's decision, its own size
 * limit) is worked out once per name and remembered, for a bounded number of names: the checks
 * stay the same, a message no longer pays for regex and pattern matching.
 */
public final class ChannelGuard {
  /** Names remembered per connection; past that, names are checked afresh each time. */
  static final int MAX_REMEMBERED_CHANNELS = 1024;

  /** @param ownLimit the channel's own payload limit, or {@code Integer.MAX_VALUE} */
  private record ChannelRule(boolean permitted, int ownLimit) {}

  private final Map<String, ChannelRule> rules = new HashMap<>();
  private final Caller caller;
  private final SecurityPolicy policy;
  private final Optional<Capability> capability;
  private final TokenBucket bucket;
  private final Deque<Long> violations = new ArrayDeque<>();

  public ChannelGuard(Caller caller, SecurityPolicy policy) {
    this.caller = caller;
    this.policy = policy;
    this.capability = policy.capability(caller.capability());
    this.bucket = capability.map(c -> new TokenBucket(c.perSecond(), c.burst(), System.nanoTime())).orElse(null);
  }

  /** The renderer's capability, if config defines it. */
  public Optional<Capability> capability() {
    return capability;
  }

  /**
   * Checks a message before its payload is decoded: capability, channel, size, rate.
   *
   * @throws IpcException PERMISSION, TOO_LARGE or RATE_LIMITED
   */
  public void admit(Envelope envelope, int overallLimit) {
    String channel = envelope.channel();
    if (capability.isEmpty()) {
      throw new IpcException(ErrorCode.PERMISSION, "Capability '" + caller.capability()
          + "' of renderer '" + caller.rendererId() + "' is not defined: nothing is allowed");
    }
    ChannelRule rule = rule(channel);
    if (rule == null) {
      throw new IpcException(ErrorCode.VALIDATION, "Invalid channel name");
    }
    if (!rule.permitted()) {
      throw new IpcException(ErrorCode.PERMISSION, "Capability '" + caller.capability()
          + "' does not allow channel '" + channel + "'");
    }
    int limit = Math.min(rule.ownLimit(), overallLimit);
    // The larger of the wire size and the size a compressed payload declares once inflated: a
    // compressed payload is refused before anything inflates it.
    int wire = envelope.payload().length;
    int inflated = org.browseros.ipc.protocol.PayloadCodec.decodedLength(envelope.payload());
    if (Math.max(wire, inflated) > limit) {
      String size = inflated > wire ? "Payload inflating to " + inflated : "Payload of " + wire;
      throw new IpcException(ErrorCode.TOO_LARGE, size + " bytes exceeds the limit of " + limit + " bytes for '"
          + channel + "'");
    }
    if (!bucket.tryTake(System.nanoTime())) {
      throw new IpcException(ErrorCode.RATE_LIMITED, "Renderer '" + caller.rendererId()
          + "' exceeds " + capability.get().perSecond() + " messages per second");
    }
  }

  /** Whether {@code channel} is a valid channel name ({@link Channel#isValidName}), remembered per name. */
  public boolean isValidName(String channel) {
    return rule(channel) != null;
  }

  /** The remembered decisions for a valid name; null for an invalid one (never remembered). */
  private ChannelRule rule(String channel) {
    ChannelRule rule = rules.get(channel);
    if (rule != null || !Channel.isValidName(channel)) {
      return rule;
    }
    rule = new ChannelRule(capability.isPresent() && capability.get().permits(channel),
        policy.payloadLimit(channel, Integer.MAX_VALUE));
    if (rules.size() < MAX_REMEMBERED_CHANNELS) {
      rules.put(channel, rule);
    }
    return rule;
  }

  /**
   * Checks a decoded payload: its Bean Validation constraints, then the url schemes the capability allows.
   *
   * @throws IpcException VALIDATION naming the field, or PERMISSION for a scheme the capability refuses
   */
  public void validate(Object payload) {
    PayloadValidator.validate(payload);
    if (payload instanceof Navigate navigate) {
      checkUrl(navigate.url());
    } else if (payload instanceof TabCreate create && create.url() != null) {
      checkUrl(create.url());
    }
  }

  private void checkUrl(String url) {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new IpcException(ErrorCode.VALIDATION, "url: not a valid URI (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme == null) {
      throw new IpcException(ErrorCode.VALIDATION, "url: a scheme is required");
    }
    if (capability.isEmpty() || !capability.get().allowsScheme(scheme)) {
      throw new IpcException(ErrorCode.VALIDATION, "url: scheme '" + scheme + "' is not allowed for capability '"
          + caller.capability() + "'");
    }
  }

  /**
   * Records a refused message; true when the renderer is now past the bad-message threshold.
   * Rate-limited messages do not count: a busy renderer is not a hostile one.
   */
  public boolean violated(ErrorCode code) {
    if (code == ErrorCode.RATE_LIMITED) {
      return false;
    }
    long now = System.nanoTime();
    violations.addLast(now);
    Duration window = policy.violationWindow();
    while (!violations.isEmpty() && now - violations.peekFirst() > window.toNanos()) {
      violations.removeFirst();
    }
    return violations.size() > policy.maxViolations();
  }

  /** Error codes that count as violations of the protocol or the policy. */
  public static boolean isViolation(ErrorCode code) {
    return code == ErrorCode.VALIDATION || code == ErrorCode.PERMISSION || code == ErrorCode.TOO_LARGE;
  }
}
