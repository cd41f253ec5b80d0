package org.browseros.ipc.renderer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Collections;
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
 * consistent version. A delta is applied to the copy in place, in time proportional to its own
 * size; {@link #snapshot()} copies the whole state, so a renderer that needs a few paths should read
 * them with {@link #get} or {@link #entries} (with 10,000 tabs, copying the state for every delta
 * had cost each renderer 20,000 map insertions per delta).
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

  private final Object lock = new Object();
  // Guarded by lock; updated in place.
  private final TreeMap<String, JsonNode> state = new TreeMap<>();
  private volatile long version;
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
    if (synced && !awaitingSnapshot && sync.version() < version) {
      return Outcome.STALE;
    }
    state.clear();
    put(sync.set());
    version = sync.version();
    synced = true;
    awaitingSnapshot = false;
    return Outcome.APPLIED;
  }

  private Outcome applyDelta(StateSync sync) {
    if (!synced || awaitingSnapshot) {
      // Without a base to apply to, only a snapshot helps; one is on its way.
      return Outcome.DROPPED;
    }
    if (sync.version() <= version) {
      return Outcome.STALE;
    }
    if (sync.version() != version + 1) {
      awaitingSnapshot = true;
      return Outcome.GAP;
    }
    sync.removed().forEach(state::remove);
    put(sync.set());
    version = sync.version();
    return Outcome.APPLIED;
  }

  private void put(Map<String, JsonNode> values) {
    values.forEach((path, value) -> state.put(path, value == null ? NullNode.getInstance() : value));
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
    return version;
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
    synchronized (lock) {
      return Collections.unmodifiableMap(new TreeMap<>(state));
    }
  }

  public Optional<JsonNode> get(String path) {
    synchronized (lock) {
      return Optional.ofNullable(state.get(path));
    }
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
    synchronized (lock) {
      // Paths are sorted: those under the prefix are one run from the prefix on.
      for (Map.Entry<String, JsonNode> e : state.tailMap(prefix, true).entrySet()) {
        if (!e.getKey().startsWith(prefix)) {
          break;
        }
        out.put(e.getKey().substring(prefix.length()), e.getValue());
      }
    }
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
    synchronized (lock) {
      return "StateReplica[version=" + version + ", paths=" + state.size() + "]";
    }
  }
}
