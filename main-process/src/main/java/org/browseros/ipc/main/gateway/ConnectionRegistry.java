package org.browseros.ipc.main.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.renderers.RendererInfo;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.session.ToMain;

/**
 * The live connections by renderer id, kept by the gateway; how {@link IpcMain} reaches renderers,
 * and where the live figures of each connection (heartbeat age, queue depth) are read.
 */
public final class ConnectionRegistry implements IpcMain.Renderers {
  private record Entry(ActorRef<ToMain> connection, ConnectionFigures figures, OwnHandler own) {}

  private final Map<String, Entry> connections = new ConcurrentHashMap<>();
  private final Scheduler scheduler;

  public ConnectionRegistry(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  /** Registers a connection and returns the one it replaces, if any. */
  Optional<ActorRef<ToMain>> put(String rendererId, ActorRef<ToMain> connection) {
    ConnectionFigures figures = new ConnectionFigures();
    OwnHandler own = new OwnHandler();
    Entry previous = connections.put(rendererId, new Entry(connection, figures, own));
    connection.tell(new Connection.Registered(this, figures, own));
    return Optional.ofNullable(previous).map(Entry::connection);
  }

  void remove(String rendererId, ActorRef<ToMain> connection) {
    connections.computeIfPresent(rendererId, (id, entry) -> entry.connection().equals(connection) ? null : entry);
  }

  public Optional<ActorRef<ToMain>> get(String rendererId) {
    return Optional.ofNullable(connections.get(rendererId)).map(Entry::connection);
  }

  /** The live figures of a connected renderer. */
  public Optional<ConnectionFigures> figures(String rendererId) {
    return Optional.ofNullable(connections.get(rendererId)).map(Entry::figures);
  }

  /**
   * {@code list} with each renderer's live figures: heartbeat age, queue depth and dropped pushes
   * for connected ones, and the resident memory of every process with a pid.
   */
  public RendererList describe(RendererList list) {
    List<RendererInfo> described = list.renderers().stream().map(info -> {
      Optional<ConnectionFigures> live = figures(info.rendererId());
      return info.withFigures(
          live.map(ConnectionFigures::heartbeatAgeMillis).orElse(null),
          live.map(ConnectionFigures::queueDepth).orElse(null),
          live.map(ConnectionFigures::dropped).orElse(null),
          rssBytes(info.pid()));
    }).toList();
    return new RendererList(described);
  }

  /**
   * The resident set size of a process from {@code /proc/<pid>/status} (VmRSS): what the OS charges
   * the whole JVM (heap, metaspace, stacks, buffers), read by main so a renderer cannot misreport
   * it, and still readable while the renderer is stuck. Null without a pid or off Linux.
   */
  static Long rssBytes(Long pid) {
    if (pid == null) {
      return null;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc", pid.toString(), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Gone, not ours to read, or no /proc: unknown.
    }
    return null;
  }

  private ActorRef<ToMain> require(String rendererId) {
    return requireEntry(rendererId).connection();
  }

  private Entry requireEntry(String rendererId) {
    Entry entry = connections.get(rendererId);
    if (entry == null) {
      throw new IpcException(ErrorCode.NOT_FOUND, "No renderer '" + rendererId + "' is connected");
    }
    return entry;
  }

  // A push from inside the renderer's own handler is written at once, before the reply (OwnHandler).
  @Override
  public void push(String rendererId, Channel<?, ?> channel, Object payload) {
    Entry entry = requireEntry(rendererId);
    Envelope envelope = envelope(channel, payload);
    if (!entry.own().pushIfHandling(envelope)) {
      entry.connection().tell(new Connection.Push(envelope));
    }
  }

  @Override
  public void pushToAll(Channel<?, ?> channel, Object payload) {
    Envelope envelope = envelope(channel, payload);
    Connection.Push push = new Connection.Push(envelope);
    connections.forEach((rendererId, e) -> {
      if (!e.own().pushIfHandling(envelope)) {
        e.connection().tell(push);
      }
    });
  }

  @Override
  public <R> CompletionStage<R> invoke(String rendererId, Channel<?, R> channel, Object payload, Duration timeout) {
    ActorRef<ToMain> connection;
    Envelope request;
    try {
      connection = require(rendererId);
      request = Envelope.command(channel.name(), PayloadCodec.encode(payload));
    } catch (IpcException e) {
      return CompletableFuture.failedFuture(e);
    }
    // The connection answers by itself at `timeout`; the ask's own bound only guards against a stopped actor.
    CompletionStage<Envelope> reply = AskPattern.ask(connection,
        replyTo -> new Connection.InvokeRenderer(request, replyTo, timeout), timeout.plusSeconds(2), scheduler);
    return reply.handle((envelope, failure) -> {
      if (failure != null) {
        throw new IpcException(ErrorCode.CONNECTION, "Renderer '" + rendererId + "' did not answer: " + failure.getMessage());
      }
      if (envelope.type() == MessageType.ERROR) {
        throw new IpcException(PayloadCodec.decode(envelope.payload(), org.browseros.ipc.protocol.IpcError.class));
      }
      return PayloadCodec.decode(envelope.payload(), channel.replyType());
    });
  }

  @Override
  public Set<String> connected() {
    return Set.copyOf(connections.keySet());
  }

  private static Envelope envelope(Channel<?, ?> channel, Object payload) {
    return Envelope.of(channel.name(), Connection.typeFor(channel), PayloadCodec.encode(payload));
  }
}
