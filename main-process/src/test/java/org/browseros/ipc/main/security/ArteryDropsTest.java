package org.browseros.ipc.main.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.event.Logging;
import org.browseros.ipc.main.security.ArteryDrops.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The classification of Artery's log events (texts as Pekko 1.7.0 writes them) and the counting;
 * HostileRendererEndToEndTest checks the same against a real edge.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class ArteryDropsTest {
  private static final String DISPATCHER = "org.apache.pekko.remote.artery.MessageDispatcher(pekko://edge@127.0.0.1:25520)";

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  @Test
  void shouldClassifyTheDispatchersDropLines() {
    assertEquals(Kind.SELECTION, kind("operating in UntrustedMode, dropping inbound actor selection to [/system/cluster/core/daemon], "
        + "allow it by adding the path to 'pekko.remote.trusted-selection-paths' configuration"));
    assertEquals(Kind.SYSTEM_MESSAGE, kind("operating in UntrustedMode, dropping inbound PossiblyHarmful message of type "
        + "[org.apache.pekko.dispatch.sysmsg.Watch] to [Actor[pekko://edge/user/gateway#1]] from [pekko://r@127.0.0.1:1]"));
    assertEquals(Kind.POSSIBLY_HARMFUL, kind("operating in UntrustedMode, dropping inbound PossiblyHarmful message of type "
        + "[org.apache.pekko.actor.PoisonPill$] to [Actor[pekko://edge/user#0]] from [pekko://r@127.0.0.1:1]"));
    assertEquals(Kind.DAEMON, kind("dropping daemon message [org.apache.pekko.remote.DaemonMsgCreate] in untrusted mode"));
    assertEquals(Kind.UNKNOWN_RECIPIENT, ArteryDrops.dispatcherKind(new Logging.Error(DISPATCHER, Object.class,
        "dropping message [x] for unknown recipient [y] from [z]"), "dropping message [x] for unknown recipient [y] from [z]"));
    assertNull(kind("received message [x] to [y] from [z]"));
  }

  @Test
  void shouldCountAndWarnOnlyForArterysDispatcher() {
    TestProbe<Kind> counted = testKit.createTestProbe();
    testKit.spawn(ArteryDrops.create(counted.getRef()::tell));
    String line = "operating in UntrustedMode, dropping inbound actor selection to [/user], allow it by adding ...";
    // Subscribing is asynchronous: publish until one is counted.
    LoggingTestKit.warn("Edge transport dropped [selection]").expect(testKit.system(), () ->
        counted.awaitAssert(Duration.ofSeconds(5), () -> {
          testKit.system().classicSystem().eventStream().publish(new Logging.Debug(DISPATCHER, Object.class, line));
          assertEquals(Kind.SELECTION, counted.receiveMessage(Duration.ofMillis(500)));
          return null;
        }));
    testKit.system().classicSystem().eventStream().publish(new Logging.Debug("some.other.Source", Object.class, line));
    counted.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void shouldCountAMessageToAPathWithoutAnActor() {
    TestProbe<Kind> counted = testKit.createTestProbe();
    testKit.spawn(ArteryDrops.create(counted.getRef()::tell));
    counted.awaitAssert(Duration.ofSeconds(5), () -> {
      testKit.system().classicSystem().actorSelection("/user/nobody-here").tell("hello", org.apache.pekko.actor.ActorRef.noSender());
      assertEquals(Kind.UNKNOWN_RECIPIENT, counted.receiveMessage(Duration.ofMillis(500)));
      return null;
    });
  }

  private static Kind kind(String message) {
    return ArteryDrops.dispatcherKind(new Logging.Debug(DISPATCHER, Object.class, message), message);
  }
}
