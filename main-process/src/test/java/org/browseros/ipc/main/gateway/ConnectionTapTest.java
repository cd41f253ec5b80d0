package org.browseros.ipc.main.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.main.monitor.IpcMonitor;
import org.browseros.ipc.main.monitor.MessageTap;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.MessageType;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The connection reports every envelope in and out to its tap, in order, and nothing else. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class ConnectionTapTest {
  record Echo(String text) {}

  static final Channel<Echo, Echo> ECHO = Channel.invoke("app:echo", Echo.class, Echo.class);
  static final Caller CALLER = new Caller("renderer-1", "default", "shell");
  static final GatewaySettings SETTINGS =
      new GatewaySettings(Duration.ofSeconds(1), 5, 1024, Duration.ofSeconds(2), Duration.ofSeconds(2));

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  record Seen(boolean inbound, Envelope envelope) {}

  @Test
  void shouldTapRequestsRepliesAndErrorsInBothDirections() {
    List<Seen> seen = new CopyOnWriteArrayList<>();
    MessageTap recording = new MessageTap() {
      @Override
      public void inbound(Caller caller, Envelope envelope) {
        seen.add(new Seen(true, envelope));
      }

      @Override
      public void outbound(Caller caller, Envelope envelope) {
        seen.add(new Seen(false, envelope));
      }
    };
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(2));
    ipcMain.handle(ECHO, (event, payload) -> payload);
    TestProbe<ToRenderer> renderer = testKit.createTestProbe(ToRenderer.class);
    ActorRef<ToMain> connection = testKit.spawn(Connection.create(CALLER, new ArteryOutbound(renderer.getRef()),
        new TestCore(), ipcMain, new TestAdmission(), SETTINGS, recording));
    renderer.expectMessageClass(Welcome.class);

    Envelope request = Envelope.command("app:echo", PayloadCodec.encode(new Echo("hi")));
    connection.tell(request);
    Envelope reply = renderer.expectMessageClass(Envelope.class);
    Envelope unknown = Envelope.command("app:nobody", new byte[0]);
    connection.tell(unknown);
    Envelope error = renderer.expectMessageClass(Envelope.class);

    renderer.awaitAssert(() -> {
      assertEquals(List.of(new Seen(true, request), new Seen(false, reply), new Seen(true, unknown), new Seen(false, error)),
          seen.stream().filter(s -> !s.envelope().channel().equals("state:sync")).toList());
      return null;
    });
    assertEquals(MessageType.ERROR, error.type());
  }

  @Test
  void shouldFeedTheMonitorsLatencyAndErrorFigures() {
    IpcMonitor monitor = new IpcMonitor(Duration.ofSeconds(5));
    IpcMain ipcMain = new IpcMain(Duration.ofSeconds(2));
    ipcMain.handle(ECHO, (event, payload) -> payload);
    TestProbe<ToRenderer> renderer = testKit.createTestProbe(ToRenderer.class);
    ActorRef<ToMain> connection = testKit.spawn(Connection.create(CALLER, new ArteryOutbound(renderer.getRef()),
        new TestCore(), ipcMain, new TestAdmission(), SETTINGS, monitor));
    renderer.expectMessageClass(Welcome.class);
    connection.tell(Envelope.command("app:echo", PayloadCodec.encode(new Echo("hi"))));
    renderer.expectMessageClass(Envelope.class);
    connection.tell(Envelope.command("app:echo", new byte[] {(byte) 0xff}));
    renderer.expectMessageClass(Envelope.class);

    var echo = monitor.metrics().snapshot().channels().stream().filter(c -> c.channel().equals("app:echo"))
        .findFirst().orElseThrow().sinceStart();
    assertEquals(2, echo.messages());
    assertEquals(2, echo.replies());
    assertTrue(echo.maxMs() > 0);
    assertEquals(1L, echo.errors().get("VALIDATION"));
  }
}
