package org.browseros.ipc.main.gateway;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;

/**
 * A core for testing the edge on its own: serves window:create by echoing the title, and records
 * subscriptions so a test can play the state hub and the system monitor (also the state watcher's tests).
 */
public final class TestCore implements CoreApi {
  public record Invocation(Channel<?, ?> channel, Object payload, Caller caller) {}

  public final LinkedBlockingQueue<Invocation> invocations = new LinkedBlockingQueue<>();
  public final List<ActorRef<StateSync>> stateSubscribers = new CopyOnWriteArrayList<>();
  public final LinkedBlockingQueue<ActorRef<StateSync>> snapshotRequests = new LinkedBlockingQueue<>();
  public final List<ActorRef<SystemEvent>> systemSubscribers = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<Object> invoke(Channel<?, ?> channel, Object payload, Caller caller) {
    invocations.add(new Invocation(channel, payload, caller));
    WindowCreate create = (WindowCreate) payload;
    return CompletableFuture.completedFuture(new WindowInfo("w1", create.title(), null, null, true, List.of()));
  }

  @Override
  public boolean serves(Channel<?, ?> channel) {
    return channel.equals(Channels.WINDOW_CREATE);
  }

  @Override
  public void subscribeState(ActorRef<StateSync> subscriber) {
    stateSubscribers.add(subscriber);
  }

  @Override
  public void unsubscribeState(ActorRef<StateSync> subscriber) {
    stateSubscribers.remove(subscriber);
  }

  @Override
  public void requestSnapshot(ActorRef<StateSync> replyTo) {
    snapshotRequests.add(replyTo);
  }

  @Override
  public void subscribeSystemEvents(ActorRef<SystemEvent> subscriber) {
    systemSubscribers.add(subscriber);
  }

  @Override
  public void unsubscribeSystemEvents(ActorRef<SystemEvent> subscriber) {
    systemSubscribers.remove(subscriber);
  }

  @Override
  public void publishSystemEvent(SystemEvent event) {
    systemSubscribers.forEach(s -> s.tell(event));
  }
}
