package org.browseros.ipc.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A channel definition: its wire name, its direction, and the record types of its payload and
 * reply. Built-in channels are in {@link Channels}; applications define their own the same way:
 *
 * <pre>{@code
 * record Echo(String text) {}
 * static final Channel<Echo, Echo> ECHO = Channel.invoke("app:echo", Echo.class, Echo.class);
 * }</pre>
 *
 * <p>Two channels are equal when their names are: a name means one thing.
 *
 * @param <P> the payload type
 * @param <R> the reply type ({@link Void} for one-way channels)
 */
public final class Channel<P, R> {
  /** Lower-case words separated by {@code :}, {@code .}, {@code -} or {@code _}; at most 128 characters. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(?:[:._-][a-z0-9]+)*");
  public static final int MAX_NAME_LENGTH = 128;

  private final String name;
  private final Direction direction;
  private final Class<P> payloadType;
  private final Class<R> replyType;
  private final boolean idempotent;

  private Channel(String name, Direction direction, Class<P> payloadType, Class<R> replyType) {
    this(name, direction, payloadType, replyType, false);
  }

  private Channel(String name, Direction direction, Class<P> payloadType, Class<R> replyType, boolean idempotent) {
    this.name = checkName(name);
    this.direction = Objects.requireNonNull(direction, "direction");
    this.payloadType = Objects.requireNonNull(payloadType, "payloadType");
    this.replyType = Objects.requireNonNull(replyType, "replyType");
    this.idempotent = idempotent;
  }

  public static <P, R> Channel<P, R> invoke(String name, Class<P> payloadType, Class<R> replyType) {
    return new Channel<>(name, Direction.INVOKE, payloadType, replyType);
  }

  public static <P> Channel<P, Void> rendererToMain(String name, Class<P> payloadType) {
    return new Channel<>(name, Direction.RENDERER_TO_MAIN, payloadType, Void.class);
  }

  public static <P> Channel<P, Void> mainToRenderer(String name, Class<P> payloadType) {
    return new Channel<>(name, Direction.MAIN_TO_RENDERER, payloadType, Void.class);
  }

  public static <P> Channel<P, Void> broadcast(String name, Class<P> payloadType) {
    return new Channel<>(name, Direction.BROADCAST, payloadType, Void.class);
  }

  /** A channel whose payload and reply are free-form JSON, for code that has no record type. */
  public static Channel<JsonNode, JsonNode> dynamic(String name, Direction direction) {
    Class<JsonNode> reply = JsonNode.class;
    return new Channel<>(name, direction, JsonNode.class, reply);
  }

  public static boolean isValidName(String name) {
    return name != null && name.length() <= MAX_NAME_LENGTH && NAME.matcher(name).matches();
  }

  private static String checkName(String name) {
    if (!isValidName(name)) {
      throw new IllegalArgumentException("Invalid channel name '" + name + "': expected " + NAME.pattern());
    }
    return name;
  }

  public String name() {
    return name;
  }

  public Direction direction() {
    return direction;
  }

  public Class<P> payloadType() {
    return payloadType;
  }

  public Class<R> replyType() {
    return replyType;
  }

  public boolean isInvoke() {
    return direction == Direction.INVOKE;
  }

  /**
   * This invoke channel, declared idempotent: running a request twice has the effect of running it
   * once (reads). A renderer re-sends such a request by itself after its connection to main was
   * lost; a request on any other channel is re-sent only to the same main, which drops duplicates.
   */
  public Channel<P, R> idempotent() {
    if (!isInvoke()) {
      throw new IllegalStateException("Only invoke channels can be idempotent: " + name);
    }
    return new Channel<>(name, direction, payloadType, replyType, true);
  }

  /** True for an invoke channel declared {@link #idempotent()}. */
  public boolean isIdempotent() {
    return idempotent;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Channel<?, ?> c && c.name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    return name + " (" + direction + ": " + payloadType.getSimpleName()
        + (direction == Direction.INVOKE ? " -> " + replyType.getSimpleName() : "") + ")";
  }
}
