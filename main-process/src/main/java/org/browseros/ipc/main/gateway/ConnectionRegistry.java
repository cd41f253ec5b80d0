package org.browseros.ipc.main.gateway;

import java.time.Duration;
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
import org.browseros.ipc.protocol.session.ToMain;

/**
 * The live connections by renderer id, kept by the gateway; how {@link IpcMain} reaches renderers.
 */
public final class ConnectionRegistry implements IpcMain.Renderers {
  private final Map<String, ActorRef<ToMain>> connections = new ConcurrentHashMap<>();
  private final Scheduler scheduler;

  public ConnectionRegistry(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  /** Registers a connection and returns the one it replaces, if any. */
  Optional<ActorRef<ToMain>> put(String rendererId, ActorRef<ToMain> connection) {
    return Optional.ofNullable(connections.put(rendererId, connection));
  }

  void remove(String rendererId, ActorRef<ToMain> connection) {
    connections.remove(rendererId, connection);
  }

  public Optional<ActorRef<ToMain>> get(String rendererId) {
    return Optional.ofNullable(connections.get(rendererId));
  }

  private ActorRef<ToMain> require(String rendererId) {
    ActorRef<ToMain> connection = connections.get(rendererId);
    if (connection == null) {
      throw new IpcException(ErrorCode.NOT_FOUND, "No renderer '" + rendererId + "' is connected");
    }
    return connection;
  }

  @Override
  public void push(String rendererId, Channel<?, ?> channel, Object payload) {
    require(rendererId).tell(new Connection.Push(envelope(channel, payload)));
  }

  @Override
  public void pushToAll(Channel<?, ?> channel, Object payload) {
    Connection.Push push = new Connection.Push(envelope(channel, payload));
    connections.values().forEach(c -> c.tell(push));
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
