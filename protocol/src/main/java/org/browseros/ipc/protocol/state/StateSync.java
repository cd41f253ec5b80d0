package org.browseros.ipc.protocol.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * {@code state:sync}: the synchronized state is a flat map of paths ({@code windows/<id>},
 * {@code tabs/<id>}, {@code settings/<key>}) to JSON values, with one version number.
 *
 * <p>A snapshot replaces the replica; a delta applies to version {@code version - 1} only. A
 * replica that sees a delta whose version is not its own plus one has missed one: it sends
 * {@code state:resync} and waits for a snapshot.
 *
 * @param version the state version after this update
 * @param snapshot true when {@code set} is the whole state
 * @param set paths set to new values
 * @param removed paths removed
 */
public record StateSync(long version, boolean snapshot, Map<String, JsonNode> set, List<String> removed) {
  public StateSync {
    set = set == null ? Map.of() : set;
    removed = removed == null ? List.of() : removed;
  }
}
