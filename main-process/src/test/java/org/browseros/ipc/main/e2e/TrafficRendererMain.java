package org.browseros.ipc.main.e2e;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.TransportSecurity;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.renderer.ConnectOptions;
import org.browseros.ipc.renderer.IpcRenderer;
import org.browseros.ipc.renderer.RendererChannels;
import org.browseros.ipc.renderer.RendererConfig;
import org.browseros.ipc.renderer.RendererMain;

/**
 * A renderer JVM for {@link ReconnectEndToEndTest}, launched by main in place of RendererMain: it
 * connects the same way, then issues {@code settings:get} (idempotent) and {@code tab:create}
 * (not idempotent, each with its own URL) every {@link #PERIOD} until {@code traffic/stop} appears in
 * main's data dir. It appends each invoke's outcome to {@code traffic/outcomes.jsonl}, keeps
 * {@code traffic/status.json} current (pid, replica version, main instance), and writes
 * {@code traffic/done} once every invoke has ended.
 */
public final class TrafficRendererMain {
  static final Duration INVOKE_TIMEOUT = Duration.ofSeconds(90);
  static final Duration PERIOD = Duration.ofMillis(300);
  private static final Duration MAX_LIFE = Duration.ofMinutes(5);

  private TrafficRendererMain() {}

  public static void main(String[] args) throws Exception {
    String id = System.getenv(RendererMain.ENV_RENDERER_ID);
    Path dir = Path.of(System.getenv(TransportSecurity.ENV_TLS_DIR)).getParent().resolve("traffic");
    Files.createDirectories(dir);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "renderer", RendererConfig.load());
    ConnectOptions options = ConnectOptions.of(system, System.getenv(RendererMain.ENV_GATEWAY), id,
        System.getenv(RendererMain.ENV_SECRET)).withInvokeTimeout(INVOKE_TIMEOUT);
    IpcRenderer ipc = IpcRenderer.connect(system, options).toCompletableFuture().get(60, TimeUnit.SECONDS);
    long pid = ProcessHandle.current().pid();
    ipc.handle(RendererChannels.RENDERER_INFO,
        q -> new RendererChannels.RendererStatus(ipc.rendererId(), pid, ipc.state().version(), 0));
    ipc.onDisconnect(() -> new Thread(() -> System.exit(3)).start());
    // Never outlive the test, whatever happens to it.
    Thread reaper = new Thread(() -> {
      try {
        Thread.sleep(MAX_LIFE.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      System.exit(4);
    });
    reaper.setDaemon(true);
    reaper.start();

    String windowId = ipc.invoke(Channels.WINDOW_CREATE, new WindowCreate("traffic " + id, null))
        .toCompletableFuture().get(60, TimeUnit.SECONDS).windowId();
    Writer outcomes = Files.newBufferedWriter(dir.resolve("outcomes.jsonl"), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    AtomicInteger outstanding = new AtomicInteger();
    AtomicLong seq = new AtomicLong();
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    scheduler.scheduleWithFixedDelay(() -> writeStatus(dir, ipc, pid, windowId), 0, 300, TimeUnit.MILLISECONDS);
    while (!Files.exists(dir.resolve("stop"))) {
      long n = seq.incrementAndGet();
      String url = "https://example.org/traffic/" + n;
      track(outcomes, outstanding, n, "settings:get", null,
          ipc.invoke(Channels.SETTINGS_GET, new SettingsGet(null)).thenApply(view -> null));
      track(outcomes, outstanding, n, "tab:create", url,
          ipc.invoke(Channels.TAB_CREATE, new TabCreate(windowId, url, false)).thenApply(tab -> tab.tabId()));
      Thread.sleep(PERIOD.toMillis());
    }
    long until = System.nanoTime() + INVOKE_TIMEOUT.plusSeconds(10).toNanos();
    while (outstanding.get() > 0 && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    synchronized (outcomes) {
      outcomes.flush();
    }
    writeStatus(dir, ipc, pid, windowId);
    Files.writeString(dir.resolve("done"), String.valueOf(outstanding.get()));
  }

  private static void track(Writer out, AtomicInteger outstanding, long n, String channel, String url,
      CompletionStage<String> result) {
    long issued = System.currentTimeMillis();
    outstanding.incrementAndGet();
    result.whenComplete((tabId, failure) -> {
      ObjectNode line = JsonNodeFactory.instance.objectNode()
          .put("seq", n).put("channel", channel).put("url", url).put("tabId", tabId)
          .put("issued", issued).put("ended", System.currentTimeMillis())
          .put("code", failure == null ? "OK" : IpcException.errorOf(failure).code().name())
          .put("message", failure == null ? null : IpcException.errorOf(failure).message());
      synchronized (out) {
        try {
          out.write(line + "\n");
          out.flush();
        } catch (IOException e) {
          System.err.println("cannot record an outcome: " + e);
        }
      }
      outstanding.decrementAndGet();
    });
  }

  private static void writeStatus(Path dir, IpcRenderer ipc, long pid, String windowId) {
    ObjectNode status = JsonNodeFactory.instance.objectNode()
        .put("pid", pid).put("windowId", windowId).put("stateVersion", ipc.state().version())
        .put("mainInstanceId", ipc.mainInstanceId()).put("reconnecting", ipc.isReconnecting());
    try {
      Path tmp = dir.resolve("status.json.tmp");
      Files.writeString(tmp, status.toString());
      Files.move(tmp, dir.resolve("status.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      System.err.println("cannot write status: " + e);
    }
  }
}
