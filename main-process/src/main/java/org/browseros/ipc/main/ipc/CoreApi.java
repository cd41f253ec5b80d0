package org.browseros.ipc.main.ipc;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.SystemEvent;

/**
 * The seam between the edge (gateway and connections, which talk to renderers) and the core
 * (domain actors). Connections never hold a core actor reference of their own choosing: they go
 * through this.
 */
public interface CoreApi {
  /**
   * Handles one built-in invoke channel ({@code window:*}, {@code tab:*}, {@code navigate*},
   * {@code settings:*}, {@code power:state}, {@code renderers:list}) for a caller.
   *
   * @param payload the decoded payload, of {@code channel.payloadType()}
   * @return completes with the reply, of {@code channel.replyType()}, or fails with an
   *     {@link org.browseros.ipc.protocol.IpcException} carrying a typed code; never hangs
   */
  CompletionStage<Object> invoke(Channel<?, ?> channel, Object payload, Caller caller);

  /** True when {@link #invoke} serves this channel. */
  boolean serves(Channel<?, ?> channel);

  /** Subscribes to the synchronized state: a snapshot at once, then one delta per change. */
  void subscribeState(ActorRef<StateSync> subscriber);

  void unsubscribeState(ActorRef<StateSync> subscriber);

  /** Sends one snapshot of the synchronized state (a renderer that missed a delta resyncs). */
  void requestSnapshot(ActorRef<StateSync> replyTo);

  /** Subscribes to {@code system:event}s. */
  void subscribeSystemEvents(ActorRef<SystemEvent> subscriber);

  void unsubscribeSystemEvents(ActorRef<SystemEvent> subscriber);

  /** Publishes a {@code system:event} to every subscriber (renderer lifecycle, from the edge). */
  void publishSystemEvent(SystemEvent event);
}
