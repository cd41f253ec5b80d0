package org.browseros.ipc.renderer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A renderer's read-only copy of main's synchronized state: a flat map of paths to JSON values
 * with one version number, kept current by {@code state:sync} snapshots and deltas.
 *
 * <p>A snapshot replaces the copy. A delta applies only on top of the version just before it;
 * older ones are ignored, and a newer one means a delta was missed: the replica then drops
 * deltas until the next snapshot (the client asks main for one with {@code state:resync}).
 *
 * <p>Thread-safe: updates come from the client's actor, reads from any thread. Reads see one
 * consistent version.
 */
public final class StateReplica {
  private static final Logger log = LoggerFactory.getLogger(StateReplica.class);

  /** Values written by a newer main may carry fields this build does not know: read them leniently. */
  private static final ObjectMapper LENIENT =
      PayloadCodec.json().copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** What {@link #apply} did with an update. */
  public enum Outcome {
    /** The update is now part of the replica. */
    APPLIED,
    /** The update is not newer than the replica: ignored. */
    STALE,
    /** A delta was missed: the replica now waits for a snapshot (ask main for one). */
    GAP,
    /** A delta arrived while waiting for a snapshot: dropped. */
    DROPPED
  }

  private record Versioned(long version, Map<String, JsonNode> state) {}

  private final Object lock = new Object();
  private volatile Versioned current = new Versioned(0, Map.of());
  private boolean synced;
  private boolean awaitingSnapshot;
  private final CopyOnWriteArrayList<Consumer<StateSync>> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<StateReplica> ready = new CompletableFuture<>();

  /** Applies one {@code state:sync} update; listeners hear of it when it was applied. */
  public Outcome apply(StateSync sync) {
    Outcome outcome;
    synchronized (lock) {
      outcome = sync.snapshot() ? applySnapshot(sync) : applyDelta(sync);
    }
    if (outcome == Outcome.APPLIED) {
      for (Consumer<StateSync> listener : listeners) {
        try {
          listener.accept(sync);
        } catch (RuntimeException e) {
          log.warn("State listener failed at version [{}]", sync.version(), e);
        }
      }
      if (sync.snapshot()) {
        ready.complete(this);
      }
    }
    return outcome;
  }

  private Outcome applySnapshot(StateSync sync) {
    if (synced && !awaitingSnapshot && sync.version() < current.version()) {
      return Outcome.STALE;
    }
    current = new Versioned(sync.version(), immutable(sync.set()));
    synced = true;
    awaitingSnapshot = false;
    return Outcome.APPLIED;
  }

  private Outcome applyDelta(StateSync sync) {
    if (!synced || awaitingSnapshot) {
      // Without a base to apply to, only a snapshot helps; one is on its way.
      return Outcome.DROPPED;
    }
    long version = current.version();
    if (sync.version() <= version) {
      return Outcome.STALE;
    }
    if (sync.version() != version + 1) {
      awaitingSnapshot = true;
      return Outcome.GAP;
    }
    Map<String, JsonNode> next = new HashMap<>(current.state());
    sync.removed().forEach(next::remove);
    next.putAll(sync.set());
    current = new Versioned(sync.version(), immutable(next));
    return Outcome.APPLIED;
  }

  private static Map<String, JsonNode> immutable(Map<String, JsonNode> state) {
    Map<String, JsonNode> copy = new TreeMap<>();
    state.forEach((path, value) -> copy.put(path, value == null ? NullNode.getInstance() : value));
    return Collections.unmodifiableMap(copy);
  }

  /**
   * Makes the next snapshot replace this copy whatever its version, and drops deltas until then:
   * after a reconnect, possibly to a restarted main whose versions started over.
   */
  public void expectSnapshot() {
    synchronized (lock) {
      if (synced) {
        awaitingSnapshot = true;
      }
    }
  }

  /** The version of the state this replica holds; 0 before the first snapshot. */
  public long version() {
    return current.version();
  }

  /** True once a snapshot has arrived. */
  public boolean isSynced() {
    synchronized (lock) {
      return synced;
    }
  }

  /** Completes with this replica when the first snapshot has been applied. */
  public CompletionStage<StateReplica> ready() {
    return ready;
  }

  /** The whole state, path to value, sorted by path; an immutable copy of one version. */
  public Map<String, JsonNode> snapshot() {
    return current.state();
  }

  public Optional<JsonNode> get(String path) {
    return Optional.ofNullable(current.state().get(path));
  }

  /**
   * The value at {@code path} as a {@code type}.
   *
   * @throws IpcException with {@link ErrorCode#VALIDATION} when the value does not fit the type
   */
  public <T> Optional<T> get(String path, Class<T> type) {
    return get(path).map(value -> convert(path, value, type));
  }

  /** Every value under {@code prefix} (e.g. {@code tabs/}), keyed by the rest of its path. */
  public Map<String, JsonNode> entries(String prefix) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    current.state().forEach((path, value) -> {
      if (path.startsWith(prefix)) {
        out.put(path.substring(prefix.length()), value);
      }
    });
    return Collections.unmodifiableMap(out);
  }

  /** The windows, by window id (paths {@code windows/<id>}); values that do not read as a window are skipped. */
  public Map<String, WindowInfo> windows() {
    return typed("windows/", WindowInfo.class);
  }

  /** The tabs, by tab id (paths {@code tabs/<id>}). */
  public Map<String, TabInfo> tabs() {
    return typed("tabs/", TabInfo.class);
  }

  /** The settings, by key (paths {@code settings/<key>}). */
  public Map<String, JsonNode> settings() {
    return entries("settings/");
  }

  /** Called, on the client's thread, with each update once it is applied. */
  public Subscription onChange(Consumer<StateSync> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  private <T> Map<String, T> typed(String prefix, Class<T> type) {
    Map<String, T> out = new LinkedHashMap<>();
    entries(prefix).forEach((id, value) -> {
      try {
        out.put(id, convert(prefix + id, value, type));
      } catch (IpcException e) {
        log.debug("Skipping [{}{}]: {}", prefix, id, e.getMessage());
      }
    });
    return Collections.unmodifiableMap(out);
  }

  private static <T> T convert(String path, JsonNode value, Class<T> type) {
    try {
      return LENIENT.treeToValue(value, type);
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new IpcException(ErrorCode.VALIDATION, "State at '" + path + "' is not a " + type.getSimpleName());
    }
  }

  @Override
  public String toString() {
    return "StateReplica[version=" + version() + ", paths=" + current.state().size() + "]";
  }
}
