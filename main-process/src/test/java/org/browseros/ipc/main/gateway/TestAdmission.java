package org.browseros.ipc.main.gateway;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.renderers.RendererList;

/** Admission for edge tests: known one-time secrets, and a record of connects and disconnects. */
final class TestAdmission implements Admission {
  final Map<String, Caller> secrets = new ConcurrentHashMap<>();
  final LinkedBlockingQueue<String> connected = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<String> disconnected = new LinkedBlockingQueue<>();

  TestAdmission allow(String secret, Caller caller) {
    secrets.put(secret, caller);
    return this;
  }

  @Override
  public CompletionStage<Caller> authenticate(String rendererId, String secret) {
    Caller caller = secrets.remove(secret);
    if (caller == null || !caller.rendererId().equals(rendererId)) {
      return CompletableFuture.failedFuture(new IpcException(ErrorCode.PERMISSION, "Unknown or reused launch secret"));
    }
    return CompletableFuture.completedFuture(caller);
  }

  @Override
  public void connected(String rendererId) {
    connected.add(rendererId);
  }

  @Override
  public void disconnected(String rendererId, String reason) {
    disconnected.add(rendererId + ": " + reason);
  }

  @Override
  public CompletionStage<RendererList> renderers() {
    return CompletableFuture.completedFuture(new RendererList(List.of()));
  }
}
