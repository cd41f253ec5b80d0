package org.browseros.ipc.main.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.session.Hello;
import org.browseros.ipc.protocol.session.Refused;
import org.browseros.ipc.protocol.session.ToGateway;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class GatewayTest {
  static final Caller RENDERER_1 = new Caller("renderer-1", "default", "shell");
  static final GatewaySettings SETTINGS =
      new GatewaySettings(Duration.ofSeconds(1), 5, 1024, Duration.ofSeconds(2), Duration.ofSeconds(2));

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  TestAdmission admission;
  ConnectionRegistry registry;
  ActorRef<ToGateway> gateway;

  @BeforeEach
  void setUp() {
    admission = new TestAdmission().allow("secret-1", RENDERER_1);
    registry = new ConnectionRegistry(testKit.system().scheduler());
    gateway = testKit.spawn(Gateway.create(new TestCore(), new IpcMain(Duration.ofSeconds(1)), admission, registry, SETTINGS));
  }

  @Test
  void shouldWelcomeARendererWithAValidSecretOnUnguessablePath() throws InterruptedException {
    TestProbe<ToRenderer> renderer = testKit.createTestProbe();
    gateway.tell(new Hello("renderer-1", "secret-1", renderer.getRef(), Hello.PROTOCOL_VERSION));
    Welcome welcome = renderer.expectMessageClass(Welcome.class);
    assertEquals("renderer-1", welcome.rendererId());
    assertTrue(welcome.connection().path().name().matches("connection-[0-9a-f]{32}"), welcome.connection().path().name());
    assertEquals("renderer-1", admission.connected.poll(1, TimeUnit.SECONDS));
    assertEquals(welcome.connection(), registry.get("renderer-1").orElseThrow());
  }

  @Test
  void shouldIgnoreAHelloRetriedWhileTheFirstIsUnderWay() {
    TestProbe<ToRenderer> renderer = testKit.createTestProbe();
    gateway.tell(new Hello("renderer-1", "secret-1", renderer.getRef(), Hello.PROTOCOL_VERSION));
    gateway.tell(new Hello("renderer-1", "secret-1", renderer.getRef(), Hello.PROTOCOL_VERSION));
    renderer.expectMessageClass(Welcome.class);
    renderer.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void shouldRefuseAReusedWrongOrMissingSecret() {
    TestProbe<ToRenderer> renderer = testKit.createTestProbe();
    gateway.tell(new Hello("renderer-1", "secret-1", renderer.getRef(), Hello.PROTOCOL_VERSION));
    renderer.expectMessageClass(Welcome.class);
    TestProbe<ToRenderer> replay = testKit.createTestProbe();
    gateway.tell(new Hello("renderer-1", "secret-1", replay.getRef(), Hello.PROTOCOL_VERSION));
    assertEquals(ErrorCode.PERMISSION, replay.expectMessageClass(Refused.class).error().code());
    gateway.tell(new Hello("renderer-1", "guess", replay.getRef(), Hello.PROTOCOL_VERSION));
    assertEquals(ErrorCode.PERMISSION, replay.expectMessageClass(Refused.class).error().code());
    gateway.tell(new Hello("renderer-1", "", renderer.getRef(), Hello.PROTOCOL_VERSION));
    assertEquals(ErrorCode.PERMISSION, renderer.expectMessageClass(Refused.class).error().code());
    gateway.tell(new Hello("renderer-1", "x", renderer.getRef(), 99));
    assertEquals(ErrorCode.VALIDATION, renderer.expectMessageClass(Refused.class).error().code());
  }

  @Test
  void shouldReplaceTheConnectionOfARendererThatConnectsAgain() {
    admission.allow("secret-2", RENDERER_1);
    TestProbe<ToRenderer> first = testKit.createTestProbe();
    gateway.tell(new Hello("renderer-1", "secret-1", first.getRef(), Hello.PROTOCOL_VERSION));
    Welcome one = first.expectMessageClass(Welcome.class);
    TestProbe<ToRenderer> second = testKit.createTestProbe();
    gateway.tell(new Hello("renderer-1", "secret-2", second.getRef(), Hello.PROTOCOL_VERSION));
    Welcome two = second.expectMessageClass(Welcome.class);
    assertNotEquals(one.connection(), two.connection());
    testKit.createTestProbe().expectTerminated(one.connection(), Duration.ofSeconds(2));
    assertEquals(two.connection(), registry.get("renderer-1").orElseThrow());
  }
}
