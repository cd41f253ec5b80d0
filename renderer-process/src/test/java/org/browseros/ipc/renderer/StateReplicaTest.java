package org.browseros.ipc.renderer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.browseros.ipc.protocol.state.StateSync;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A renderer's copy of the synchronized state: versions, gaps, and reads of one consistent version. */
class StateReplicaTest {

  private static StateSync snapshot(long version, Map<String, JsonNode> set) {
    return new StateSync(version, true, set, List.of());
  }

  private static StateSync delta(long version, Map<String, JsonNode> set, List<String> removed) {
    return new StateSync(version, false, set, removed);
  }

  private static JsonNode n(int value) {
    return IntNode.valueOf(value);
  }

  @Test
  void shouldApplyDeltasOnTheSnapshotAndKeepEarlierCopiesAsTheyWere() {
    StateReplica replica = new StateReplica();
    assertEquals(StateReplica.Outcome.APPLIED, replica.apply(snapshot(4, Map.of("tabs/t1", n(1), "windows/w1", n(1)))));
    Map<String, JsonNode> before = replica.snapshot();

    assertEquals(StateReplica.Outcome.APPLIED, replica.apply(delta(5, Map.of("tabs/t2", n(2)), List.of("tabs/t1"))));

    assertEquals(5, replica.version());
    assertEquals(Map.of("tabs/t2", n(2), "windows/w1", n(1)), replica.snapshot());
    assertEquals(Map.of("tabs/t1", n(1), "windows/w1", n(1)), before, "a copy taken before the delta");
    assertThrows(UnsupportedOperationException.class, () -> before.put("x", n(0)));
    assertEquals(List.of("tabs/t2", "windows/w1"), List.copyOf(replica.snapshot().keySet()), "sorted by path");
  }

  @Test
  void shouldIgnoreStaleUpdatesAndWaitForASnapshotAfterAGap() {
    StateReplica replica = new StateReplica();
    assertEquals(StateReplica.Outcome.DROPPED, replica.apply(delta(1, Map.of("a", n(1)), List.of())), "no base yet");
    replica.apply(snapshot(3, Map.of("a", n(3))));
    assertEquals(StateReplica.Outcome.STALE, replica.apply(delta(3, Map.of("a", n(0)), List.of())));
    assertEquals(StateReplica.Outcome.GAP, replica.apply(delta(5, Map.of("b", n(5)), List.of())));
    assertEquals(StateReplica.Outcome.DROPPED, replica.apply(delta(6, Map.of("c", n(6)), List.of())));
    assertEquals(Map.of("a", n(3)), replica.snapshot());

    assertEquals(StateReplica.Outcome.APPLIED, replica.apply(snapshot(6, Map.of("b", n(5), "c", n(6)))));
    assertEquals(Map.of("b", n(5), "c", n(6)), replica.snapshot(), "the snapshot replaced everything");
    assertEquals(StateReplica.Outcome.APPLIED, replica.apply(delta(7, Map.of(), List.of("b"))));
    assertEquals(Map.of("c", n(6)), replica.snapshot());
  }

  @Test
  void shouldListExactlyThePathsUnderAPrefix() {
    StateReplica replica = new StateReplica();
    replica.apply(snapshot(1, Map.of("tab", n(0), "tabs/t1", n(1), "tabs/t2", n(2), "tabsx/t3", n(3), "windows/w1", n(4))));

    assertEquals(Map.of("t1", n(1), "t2", n(2)), replica.entries("tabs/"));
    assertEquals(Map.of(), replica.entries("settings/"));
    assertEquals(5, replica.entries("").size());
  }

  /** Each delta sets both paths to its version: a read that mixes two versions would see them differ. */
  @Test
  @Timeout(30)
  void shouldNeverShowAReaderHalfOfADelta() throws Exception {
    StateReplica replica = new StateReplica();
    replica.apply(snapshot(1, Map.of("a", n(1), "b", n(1))));
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> torn = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      while (!done.get() && torn.get() == null) {
        Map<String, JsonNode> seen = replica.snapshot();
        if (!seen.get("a").equals(seen.get("b"))) {
          torn.set(seen.toString());
        }
      }
    });
    reader.start();
    try {
      for (int v = 2; v <= 20_000; v++) {
        assertEquals(StateReplica.Outcome.APPLIED, replica.apply(delta(v, Map.of("a", n(v), "b", n(v)), List.of())));
      }
    } finally {
      done.set(true);
      reader.join(10_000);
    }
    assertNull(torn.get(), "a read saw two versions at once");
    assertEquals(20_000, replica.version());
    assertTrue(replica.get("a").isPresent());
  }
}
