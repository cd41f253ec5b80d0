package org.browseros.ipc.main.gateway;

import java.util.concurrent.CompletionStage;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.protocol.renderers.RendererList;

/**
 * Who may connect, and the bookkeeping of who did: the gateway's view of the renderer supervisor.
 * Every stage completes within a bound; a refused secret fails with PERMISSION.
 */
public interface Admission {
  /** The disconnect reason of a connection closed for silence: the supervisor kills such a renderer. */
  String HEARTBEAT_TIMEOUT = "heartbeat-timeout";

  /** Checks a launch secret (or, with a null id, the devtools credential) and names the caller. */
  CompletionStage<Caller> authenticate(String rendererId, String secret);

  /**
   * A caller admitted by {@link #admit}, with the single-use token for its next Hello when it can
   * resume after a lost connection (null when it cannot: consoles).
   */
  record Admitted(Caller caller, String resumeToken) {
    @Override
    public String toString() {
      return "Admitted[caller=" + caller + ", resumeToken=" + (resumeToken == null ? "null" : "<redacted>") + "]";
    }
  }

  /** {@link #authenticate}, and a resume token for a renderer that supports resuming. */
  default CompletionStage<Admitted> admit(String rendererId, String secret) {
    return authenticate(rendererId, secret).thenApply(caller -> new Admitted(caller, null));
  }

  void connected(String rendererId);

  void disconnected(String rendererId, String reason);

  CompletionStage<RendererList> renderers();

  /** Kills a launched renderer and launches it again (the inspector's restart button). */
  default CompletionStage<org.apache.pekko.Done> restart(String rendererId) {
    return java.util.concurrent.CompletableFuture.failedFuture(new org.browseros.ipc.protocol.IpcException(
        org.browseros.ipc.protocol.ErrorCode.NOT_FOUND, "Renderers cannot be restarted here"));
  }

  /**
   * The renderer broke the protocol or the policy past the bad-message threshold; its connection is
   * already closing. The supervisor kills and relaunches a launched renderer and raises a
   * {@code renderer-bad-message} system event.
   */
  default void badMessage(String rendererId, String reason) {
    disconnected(rendererId, "bad-message: " + reason);
  }
}
