package org.browseros.ipc.protocol;

import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.MarkerLoggingAdapter;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;

/**
 * Artery's {@link ConfigSSLEngineProvider}, unchanged in what it builds (same key material, TLS 1.3,
 * mutual authentication, the same checks of each session), but ready before the first connection
 * (start-up, issue 5). The stock provider builds its {@code SSLContext} on the first connection, in
 * that connection's way: loading both PKCS12 stores, decrypting the key, then a first TLS handshake
 * running cold code. Measured on the 2-core VM that was ~0.5 s on each side of a renderer's first
 * connection: the renderer built its context before connecting, then main built its own (edge) when
 * the renderer's connection came in. Here a background thread does both as soon as the transport
 * exists (while the rest of the actor system, or main's core, starts): it builds the context and
 * runs one mutual handshake between two in-memory engines of it, so that the handshake code is
 * loaded and compiled. The warm-up engines talk to nothing; a failure is left for the first real
 * connection to report, as before.
 */
public class EagerSslEngineProvider extends ConfigSSLEngineProvider {
  private final CompletableFuture<Void> ready = new CompletableFuture<>();

  /** As Artery creates it ({@code pekko.remote.artery.ssl.ssl-engine-provider}). */
  public EagerSslEngineProvider(ActorSystem system) {
    super(system);
    startWarmUp();
  }

  /** On the section {@code pekko.remote.artery.ssl.config-ssl-engine}, as {@link ConfigSSLEngineProvider}'s own. */
  public EagerSslEngineProvider(Config config, MarkerLoggingAdapter log) {
    super(config, log);
    startWarmUp();
  }

  /** Completes when the context is built and the warm-up handshake done; exceptionally if either failed. */
  public CompletableFuture<Void> ready() {
    return ready;
  }

  private void startWarmUp() {
    Thread warmUp = new Thread(this::warmUp, "tls-warm-up");
    warmUp.setDaemon(true);
    warmUp.start();
  }

  private void warmUp() {
    long started = System.nanoTime();
    try {
      // The host and port of no real peer: the client's session cache never offers this session to one.
      SSLEngine client = createClientSSLEngine("tls-warm-up.invalid", 0);
      SSLEngine server = createServerSSLEngine("tls-warm-up.invalid", 0);
      long built = System.nanoTime();
      handshake(client, server);
      log().debug("TLS context built in {} ms, warm-up handshake in {} ms", (built - started) / 1_000_000,
          (System.nanoTime() - built) / 1_000_000);
      ready.complete(null);
    } catch (Exception | LinkageError e) {
      log().debug("TLS warm-up failed (the first connection will report it): {}", e.toString());
      ready.completeExceptionally(e);
    }
  }

  /** Drives a client and a server engine, in memory, until neither handshakes any more; bounded. */
  public static void handshake(SSLEngine client, SSLEngine server) throws Exception {
    int size = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
    ByteBuffer toServer = ByteBuffer.allocate(size * 4);
    ByteBuffer toClient = ByteBuffer.allocate(size * 4);
    ByteBuffer app = ByteBuffer.allocate(Math.max(client.getSession().getApplicationBufferSize(),
        server.getSession().getApplicationBufferSize()) * 2);
    ByteBuffer empty = ByteBuffer.allocate(0);
    client.beginHandshake();
    server.beginHandshake();
    for (int step = 0; step < 200; step++) {
      boolean clientDone = step(client, empty, toServer, toClient, app);
      boolean serverDone = step(server, empty, toClient, toServer, app);
      if (clientDone && serverDone) {
        return;
      }
    }
    throw new IllegalStateException("warm-up handshake did not finish");
  }

  /** One step of one engine: true when it no longer handshakes. */
  private static boolean step(SSLEngine engine, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer app)
      throws Exception {
    HandshakeStatus status = engine.getHandshakeStatus();
    switch (status) {
      case NEED_WRAP -> engine.wrap(empty, out);
      case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
        in.flip();
        app.clear();
        engine.unwrap(in, app);
        in.compact();
      }
      case NEED_TASK -> {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
          task.run();
        }
      }
      default -> {
        return true;
      }
    }
    return false;
  }
}
