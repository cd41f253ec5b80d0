package org.browseros.ipc.main.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class IpcMainThrottleTest {
  record Bounds(String windowId, int x) {}

  static final Channel<Bounds, Void> BOUNDS = Channel.mainToRenderer("app:window-bounds", Bounds.class);
  static final Channel<Bounds, Void> OTHER = Channel.mainToRenderer("app:other", Bounds.class);
  static final Channel<Bounds, Void> NOTE = Channel.rendererToMain("app:note", Bounds.class);
  static final long SECOND = 1_000_000_000L;

  /** A manual clock and scheduler: time moves only when the test says so. */
  static final class ManualClock implements IpcMain.Scheduler {
    long now;
    final List<long[]> due = new ArrayList<>();
    final List<Runnable> tasks = new ArrayList<>();

    @Override
    public void schedule(Runnable task, long delayNanos) {
      due.add(new long[] {now + delayNanos});
      tasks.add(task);
    }

    void advance(long nanos) {
      long until = now + nanos;
      while (true) {
        int next = -1;
        for (int i = 0; i < tasks.size(); i++) {
          if (due.get(i)[0] <= until && (next < 0 || due.get(i)[0] < due.get(next)[0])) {
            next = i;
          }
        }
        if (next < 0) {
          break;
        }
        now = due.remove(next)[0];
        tasks.remove(next).run();
      }
      now = until;
    }
  }

  record Pushed(String target, String channel, Object payload) {}

  static final class RecordingRenderers implements IpcMain.Renderers {
    final List<Pushed> pushed = new ArrayList<>();
    Set<String> connected = Set.of("r1", "r2");

    @Override
    public void push(String rendererId, Channel<?, ?> channel, Object payload) {
      if (!connected.contains(rendererId)) {
        throw new IpcException(ErrorCode.NOT_FOUND, "No renderer '" + rendererId + "' is connected");
      }
      pushed.add(new Pushed(rendererId, channel.name(), payload));
    }

    @Override
    public void pushToAll(Channel<?, ?> channel, Object payload) {
      pushed.add(new Pushed("*", channel.name(), payload));
    }

    @Override
    public <R> CompletionStage<R> invoke(String rendererId, Channel<?, R> channel, Object payload, Duration timeout) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Set<String> connected() {
      return connected;
    }
  }

  final ManualClock clock = new ManualClock();
  final RecordingRenderers renderers = new RecordingRenderers();
  final IpcMain ipcMain = new IpcMain(Duration.ofSeconds(1), clock, () -> clock.now);

  IpcMainThrottleTest() {
    ipcMain.attach(renderers);
  }

  @Test
  void shouldSendTheFirstAtOnceAndOnlyTheLatestOfABurstAtTheEndOfTheInterval() {
    ipcMain.throttle(BOUNDS, 60, Bounds::windowId);
    for (int i = 0; i < 100; i++) {
      ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", i));
    }
    assertEquals(List.of(new Pushed("r1", "app:window-bounds", new Bounds("w1", 0))), renderers.pushed);

    clock.advance(SECOND / 60);
    assertEquals(List.of(new Pushed("r1", "app:window-bounds", new Bounds("w1", 0)),
        new Pushed("r1", "app:window-bounds", new Bounds("w1", 99))), renderers.pushed);

    // A quiet interval forgets the stream; the next push goes out at once again.
    clock.advance(SECOND / 60);
    assertEquals(0, ipcMain.throttleGates());
    ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 100));
    assertEquals(3, renderers.pushed.size());
  }

  @Test
  void shouldKeepAtMostSixtyPerSecondPerWindowUnderASteadyStream() {
    ipcMain.throttle(BOUNDS, 60, Bounds::windowId);
    // 1,000 updates a second for 2 s, on two windows.
    for (int ms = 0; ms < 2000; ms++) {
      ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", ms));
      ipcMain.sendTo("r1", BOUNDS, new Bounds("w2", ms));
      clock.advance(SECOND / 1000);
    }
    clock.advance(SECOND);
    long w1 = renderers.pushed.stream().filter(p -> ((Bounds) p.payload()).windowId().equals("w1")).count();
    long w2 = renderers.pushed.stream().filter(p -> ((Bounds) p.payload()).windowId().equals("w2")).count();
    assertTrue(w1 >= 110 && w1 <= 122, "w1 got " + w1);
    assertTrue(w2 >= 110 && w2 <= 122, "w2 got " + w2);
    // Latest wins: the last value of each window arrived.
    assertTrue(renderers.pushed.contains(new Pushed("r1", "app:window-bounds", new Bounds("w1", 1999))));
    assertTrue(renderers.pushed.contains(new Pushed("r1", "app:window-bounds", new Bounds("w2", 1999))));
  }

  @Test
  void shouldThrottleEachRendererAndBroadcastSeparatelyAndLeaveOtherChannelsAlone() {
    ipcMain.throttle("app:window-bounds", 10);
    ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 1));
    ipcMain.sendTo("r2", BOUNDS, new Bounds("w1", 1));
    ipcMain.broadcast(BOUNDS, new Bounds("w1", 1));
    ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 2));
    ipcMain.sendTo("r1", OTHER, new Bounds("w1", 1));
    ipcMain.sendTo("r1", OTHER, new Bounds("w1", 2));
    assertEquals(5, renderers.pushed.size());
    clock.advance(SECOND / 10);
    assertEquals(new Pushed("r1", "app:window-bounds", new Bounds("w1", 2)), renderers.pushed.get(5));
  }

  @Test
  void shouldDropThePendingValueOfARendererThatWentAway() {
    ipcMain.throttle("app:window-bounds", 10);
    ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 1));
    ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 2));
    renderers.connected = Set.of("r2");
    clock.advance(SECOND);
    assertEquals(1, renderers.pushed.size());
    assertEquals(0, ipcMain.throttleGates());
    // While it is gone, the first push of an interval still says so.
    assertEquals(ErrorCode.NOT_FOUND,
        assertThrows(IpcException.class, () -> ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 3))).code());
  }

  @Test
  void shouldReadThrottlesAndTheListenerLimitFromConfig() {
    ipcMain.configure(ConfigFactory.parseString(
        "browseros.ipc { max-listeners = 3, throttle { \"app:window-bounds\" = 20/s } }"));
    assertEquals(3, ipcMain.getMaxListeners());
    ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 1));
    ipcMain.sendTo("r1", BOUNDS, new Bounds("w1", 2));
    assertEquals(1, renderers.pushed.size());
    clock.advance(SECOND / 20);
    assertEquals(2, renderers.pushed.size());
    assertThrows(IllegalArgumentException.class, () -> ipcMain.configure(ConfigFactory.parseString(
        "browseros.ipc.throttle { \"app:x\" = fast }")));
  }

  @Test
  void shouldWarnOnceWhenAChannelPassesItsListenerLimit() {
    Logger logger = (Logger) LoggerFactory.getLogger(IpcMain.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      assertEquals(IpcMain.DEFAULT_MAX_LISTENERS, ipcMain.getMaxListeners());
      for (int i = 0; i < 10; i++) {
        ipcMain.on(NOTE, (event, payload) -> {});
      }
      assertTrue(appender.list.stream().noneMatch(e -> e.getLevel() == Level.WARN));
      ipcMain.on(NOTE, (event, payload) -> {});
      ipcMain.on(NOTE, (event, payload) -> {});
      List<ILoggingEvent> warnings = appender.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
      assertEquals(1, warnings.size());
      assertTrue(warnings.get(0).getFormattedMessage().contains("11 listeners on channel [app:note]"),
          warnings.get(0).getFormattedMessage());

      ipcMain.setMaxListeners(0);
      for (int i = 0; i < 20; i++) {
        ipcMain.on("app:unlimited", (event, payload) -> {});
      }
      assertEquals(1, appender.list.stream().filter(e -> e.getLevel() == Level.WARN).count());
      assertThrows(IllegalArgumentException.class, () -> ipcMain.setMaxListeners(-1));
    } finally {
      logger.detachAppender(appender);
    }
  }
}
