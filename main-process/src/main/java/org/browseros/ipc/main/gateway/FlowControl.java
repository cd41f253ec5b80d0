package org.browseros.ipc.main.gateway;

import com.typesafe.config.Config;

/**
 * How far a renderer may fall behind main ({@code browseros.gateway.flow-control}). The lag is the
 * number of envelopes a connection sent that its renderer has not yet reported processed in a
 * {@link org.browseros.ipc.protocol.session.Heartbeat}. All limits stay under Artery's
 * {@code outbound-message-queue-size} (3072), so Artery itself never has to drop.
 *
 * @param softLimit above it, state deltas are withheld (a snapshot is owed instead) and pushes,
 *     broadcasts and system events to that renderer are dropped and counted; replies still go out
 * @param lowWater at or under it a renderer that was behind has caught up and gets one snapshot
 * @param hardLimit above it the connection is closed and a launched renderer killed and relaunched
 */
public record FlowControl(int softLimit, int lowWater, int hardLimit) {
  public static final FlowControl DEFAULTS = new FlowControl(1024, 256, 2560);

  public FlowControl {
    if (lowWater < 0 || lowWater >= softLimit || softLimit >= hardLimit) {
      throw new IllegalArgumentException("flow-control needs 0 <= low-water < soft-limit < hard-limit, got "
          + lowWater + ", " + softLimit + ", " + hardLimit);
    }
  }

  static FlowControl fromConfig(Config gateway) {
    if (!gateway.hasPath("flow-control")) {
      return DEFAULTS;
    }
    Config c = gateway.getConfig("flow-control");
    return new FlowControl(c.getInt("soft-limit"), c.getInt("low-water"), c.getInt("hard-limit"));
  }
}
