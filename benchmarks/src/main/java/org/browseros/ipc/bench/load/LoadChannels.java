package org.browseros.ipc.bench.load;

import org.browseros.ipc.protocol.Channel;

/** The application channels of a load run, registered in main's IpcMain by {@link LoadRun}. */
public final class LoadChannels {
  private LoadChannels() {}

  /** A load renderer asks for its plan; {@code pid} names the asking process in main's log. */
  public record PlanQuery(long pid) {}

  /**
   * What every load renderer runs. Until the runner starts the clock {@code started} is false and
   * the renderer asks again. A renderer relaunched after {@code untilEpochMillis} runs nothing.
   *
   * @param reportDir where each renderer process appends its ledger, {@code <rendererId>-<pid>.jsonl}
   * @param sessions concurrent sessions per renderer, each with its own window and tabs, one call at a time
   * @param eventsPerOp one-way {@link #EVENT} sends after each invoke
   * @param tabsPerWindow a session opens a new window once its current one holds this many tabs
   */
  public record Plan(boolean started, long untilEpochMillis, String reportDir, int sessions, int eventsPerOp,
      int tabsPerWindow) {}

  /** One application event; main counts them per renderer. */
  public record LoadEvent(long seq) {}

  /** A renderer process finished its run and flushed its ledger. */
  public record Done(long pid) {}

  public static final Channel<PlanQuery, Plan> PLAN = Channel.invoke("load:plan", PlanQuery.class, Plan.class);
  public static final Channel<LoadEvent, Void> EVENT = Channel.rendererToMain("load:event", LoadEvent.class);
  public static final Channel<Done, Void> DONE = Channel.rendererToMain("load:done", Done.class);
}
