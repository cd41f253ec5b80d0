package org.browseros.ipc.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.MainConfig;
import org.browseros.ipc.protocol.CborSerializable;
import org.HdrHistogram.Histogram;

/**
 * The transport our layers run on, without them: a typed ask of an echo actor over Artery between
 * two actor systems configured as main's edge system (server) and a renderer (client), with the
 * same Jackson CBOR serializer. {@code main} is the server JVM.
 */
public final class RawArtery {
  private RawArtery() {}

  public record Ping(byte[] data, ActorRef<Pong> replyTo) implements CborSerializable {}

  public record Pong(byte[] data, ActorRef<Ping> echo) implements CborSerializable {}

  static Behavior<Ping> echo() {
    return Behaviors.setup(ctx -> Behaviors.receiveMessage(ping -> {
      ping.replyTo().tell(new Pong(ping.data(), ctx.getSelf()));
      return Behaviors.same();
    }));
  }

  /** The server: main's edge config (port 0), with the echo actor as its trusted selection path. */
  public static void main(String[] args) throws Exception {
    var config = MainConfig.forSystem(MainConfig.load(Map.of(
        "browseros.data-dir", args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"),
        "browseros.edge.pekko.remote.artery.canonical.port", 0,
        "browseros.edge.pekko.remote.artery.trusted-selection-paths", List.of("/user/echo"))), "edge");
    ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
      ctx.spawn(echo(), "echo");
      return Behaviors.empty();
    }), "raw", config);
    System.out.println("READY " + system.address() + "/user/echo");
    System.out.flush();
    // Until the harness closes our stdin.
    while (System.in.read() >= 0) {
      Thread.onSpinWait();
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    System.exit(0);
  }

  /** Finds the echo actor (retrying while the association comes up), then times sequential asks. */
  static Histogram pingPong(ActorSystem<?> client, String echoPath, int bytes, int warmup, int count) throws Exception {
    CompletableFuture<ActorRef<Ping>> found = new CompletableFuture<>();
    ActorRef<Pong> finder = client.systemActorOf(Behaviors.<Pong>receiveMessage(pong -> {
      found.complete(pong.echo());
      return Behaviors.stopped();
    }), "raw-finder-" + System.nanoTime(), Props.empty());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!found.isDone() && System.nanoTime() < deadline) {
      Adapter.toClassic(client).actorSelection(echoPath)
          .tell(new Ping(new byte[0], finder), org.apache.pekko.actor.ActorRef.noSender());
      try {
        found.get(200, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // not yet associated: retry
      }
    }
    ActorRef<Ping> echo = found.get(1, TimeUnit.SECONDS);
    byte[] payload = new byte[bytes];
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    Duration timeout = Duration.ofSeconds(10);
    for (int i = 0; i < warmup + count; i++) {
      long t0 = System.nanoTime();
      Pong pong = AskPattern.<Ping, Pong>ask(echo, r -> new Ping(payload, r), timeout, client.scheduler())
          .toCompletableFuture().get(timeout.toSeconds() + 1, TimeUnit.SECONDS);
      long t = System.nanoTime() - t0;
      if (pong.data().length != bytes) {
        throw new IllegalStateException("echo returned " + pong.data().length + " bytes");
      }
      if (i >= warmup) {
        h.recordValue(t);
      }
    }
    return h;
  }
}
