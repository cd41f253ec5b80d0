package org.browseros.ipc.main.ipc;

import java.util.concurrent.CompletionStage;
import org.browseros.ipc.protocol.Channel;

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
}
