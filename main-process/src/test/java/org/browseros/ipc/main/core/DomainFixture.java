package org.browseros.ipc.main.core;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.persistence.TestJournal;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.IpcException;

/** Starts a {@link Domain} in a test kit's system the way the core guardian does, and calls it. */
final class DomainFixture {
  final Domain domain;

  private DomainFixture(Domain domain) {
    this.domain = domain;
  }

  static DomainFixture start(ActorTestKit testKit) {
    TestJournal.joinSelf(testKit.system());
    TestJournal.createSchema(testKit.system());
    CompletableFuture<Domain> started = new CompletableFuture<>();
    testKit.spawn(Behaviors.<Void>setup(context -> {
      started.complete(Domain.start(context, testKit.system().settings().config()));
      return Behaviors.empty();
    }), "core");
    try {
      return new DomainFixture(started.get(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("Domain did not start", e);
    }
  }

  static Caller caller(String profileId) {
    return new Caller("renderer-1", profileId, "shell");
  }

  <P, R> R call(Channel<P, R> channel, P payload, String profileId) {
    try {
      return channel.replyType().cast(
          domain.invoke(channel, payload, caller(profileId)).toCompletableFuture().get(15, TimeUnit.SECONDS));
    } catch (ExecutionException e) {
      throw new AssertionError(channel.name() + " failed: " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(channel.name() + " did not complete", e);
    }
  }

  <P> IpcException failure(Channel<P, ?> channel, P payload, String profileId) {
    try {
      Object reply = domain.invoke(channel, payload, caller(profileId)).toCompletableFuture().get(15, TimeUnit.SECONDS);
      return fail(channel.name() + " should have failed but replied " + reply);
    } catch (ExecutionException e) {
      assertTrue(e.getCause() instanceof IpcException, () -> "not typed: " + e.getCause());
      return (IpcException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(channel.name() + " did not complete", e);
    }
  }
}
