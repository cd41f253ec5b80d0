package org.browseros.ipc.main.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.Subscription;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcError;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.junit.jupiter.api.Test;

class IpcMonitorTest {
  private static final Caller CALLER = new Caller("renderer-1", "default", "shell");
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final IpcMonitor monitor = new IpcMonitor(Duration.ofMillis(100), 100, 40, 60, clock::get);

  private ChannelMetrics.Figures window(String channel) {
    return monitor.metrics().snapshot().channels().stream().filter(c -> c.channel().equals(channel))
        .findFirst().orElseThrow().window();
  }

  @Test
  void shouldMeasureRequestToReplyLatency() {
    Envelope request = Envelope.command("settings:get", PayloadCodec.encode(new SettingsGet("theme")));
    monitor.inbound(CALLER, request);
    clock.addAndGet(7_000_000);
    monitor.outbound(CALLER, request.reply(PayloadCodec.encode(Map.of("theme", "dark"))));
    ChannelMetrics.Figures figures = window("settings:get");
    assertEquals(1, figures.messages());
    assertEquals(1, figures.replies());
    assertEquals(7.0, figures.p50Ms(), 0.01);
  }

  @Test
  void shouldCountErrorRepliesByCode() {
    Envelope request = Envelope.command("tab:update", new byte[0]);
    monitor.inbound(CALLER, request);
    monitor.outbound(CALLER, request.replyError(IpcError.of(ErrorCode.NOT_FOUND, "No tab 't9'")));
    assertEquals(Map.of("NOT_FOUND", 1L), window("tab:update").errors());
  }

  @Test
  void shouldDeliverMatchingMessagesToWatchersAndKeepThemOnlyWhileWatched() {
    Envelope before = Envelope.command("tab:create", new byte[0]);
    monitor.inbound(CALLER, before);
    List<MonitoredMessage> seen = new ArrayList<>();
    Subscription subscription = monitor.watch(MessageFilter.parse("tab:*", null, null), seen::add);
    Envelope request = Envelope.command("tab:create", new byte[0]);
    monitor.inbound(CALLER, request);
    monitor.inbound(CALLER, Envelope.command("window:create", new byte[0]));
    clock.addAndGet(3_000_000);
    monitor.outbound(CALLER, request.reply(new byte[0]));
    assertEquals(2, seen.size());
    assertEquals(request, seen.get(0).envelope());
    MonitoredMessage reply = seen.get(1);
    assertEquals(seen.get(0).seq(), reply.requestSeq());
    assertEquals(3_000_000, reply.latencyNanos());
    assertEquals(reply, monitor.replyTo(seen.get(0)).orElseThrow());
    // Nothing from before anyone watched is kept.
    assertEquals(3, monitor.recent(MessageFilter.ALL, 10).size());
    subscription.unsubscribe();
    assertTrue(monitor.recent(MessageFilter.ALL, 10).isEmpty());
  }

  @Test
  void shouldLogTheChannelsSwitchedOnAndFollowAChange() {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) IpcMonitor.MESSAGES;
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    ch.qos.logback.classic.Level level = logger.getLevel();
    logger.setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      monitor.logChannels(List.of("tab:*"));
      monitor.inbound(CALLER, Envelope.command("tab:create", new byte[0]));
      monitor.inbound(CALLER, Envelope.command("window:create", new byte[0]));
      monitor.inbound(CALLER, Envelope.command("tab:create", new byte[0]));
      assertEquals(2, logged.list.size());
      assertTrue(logged.list.stream().allMatch(e -> e.getFormattedMessage().contains("tab:create")));

      // Remembered matches are per setting: a new setting is matched afresh.
      monitor.logChannels(List.of("window:*"));
      monitor.inbound(CALLER, Envelope.command("tab:create", new byte[0]));
      monitor.inbound(CALLER, Envelope.command("window:create", new byte[0]));
      assertEquals(3, logged.list.size());
      assertTrue(logged.list.get(2).getFormattedMessage().contains("window:create"));

      monitor.logChannels(List.of());
      monitor.inbound(CALLER, Envelope.command("window:create", new byte[0]));
      assertEquals(3, logged.list.size());
    } finally {
      logger.detachAppender(logged);
      logger.setLevel(level);
    }
  }

  @Test
  void shouldCutLongPreviews() {
    String preview = monitor.preview(Envelope.command("x", PayloadCodec.encode(Map.of("text", "a".repeat(200)))));
    assertTrue(preview.startsWith("{\"text\":\"aaaa"), preview);
    assertTrue(preview.length() < 80, preview);
  }
}
