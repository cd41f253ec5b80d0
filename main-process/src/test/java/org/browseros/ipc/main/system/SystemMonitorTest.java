package org.browseros.ipc.main.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.system.PowerState;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SystemMonitorTest {
  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static void supply(Path root, String name, Map<String, String> files) throws IOException {
    Path dir = Files.createDirectories(root.resolve(name));
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue() + "\n");
    }
  }

  private PowerState power(Path root) {
    ActorRef<SystemMonitor.Command> monitor = testKit.spawn(SystemMonitor.create(root, Duration.ofHours(1), 0.9));
    TestProbe<PowerState> reply = testKit.createTestProbe();
    monitor.tell(new SystemMonitor.GetPowerState(reply.getRef()));
    PowerState state = reply.receiveMessage();
    testKit.stop(monitor);
    return state;
  }

  @Test
  void shouldReadACChargingBatteryFromSysfs(@TempDir Path root) throws IOException {
    supply(root, "AC", Map.of("type", "Mains", "online", "1"));
    supply(root, "BAT0", Map.of("type", "Battery", "capacity", "87", "status", "Charging"));
    supply(root, "hidpp_battery_0", Map.of("type", "Battery", "scope", "Device", "capacity", "5", "status", "Discharging"));
    assertEquals(new PowerState("ac", 87, "charging"), power(root));
  }

  @Test
  void shouldReadADischargingBatteryOffMains(@TempDir Path root) throws IOException {
    supply(root, "AC", Map.of("type", "Mains", "online", "0"));
    supply(root, "BAT1", Map.of("type", "Battery", "capacity", "42", "status", "Not charging"));
    assertEquals(new PowerState("battery", 42, "not-charging"), power(root));
  }

  @Test
  void shouldReportADesktopOnMainsWithoutBattery(@TempDir Path root) throws IOException {
    supply(root, "AC", Map.of("type", "Mains", "online", "1"));
    assertEquals(new PowerState("ac", null, "unknown"), power(root));
  }

  @Test
  void shouldReportUnknownWithoutAnythingReadable(@TempDir Path root) throws IOException {
    assertEquals(PowerSupply.UNKNOWN, power(root.resolve("missing")));
    assertEquals(PowerSupply.UNKNOWN, power(root));
    Files.createDirectories(root.resolve("weird"));
    assertEquals(PowerSupply.UNKNOWN, power(root));
  }

  @Test
  void shouldFanOutPublishedEventsToLiveSubscribers() {
    ActorRef<SystemMonitor.Command> monitor =
        testKit.spawn(SystemMonitor.create(Path.of("/nonexistent"), Duration.ofHours(1), 0.9));
    TestProbe<SystemEvent> a = testKit.createTestProbe();
    TestProbe<SystemEvent> b = testKit.createTestProbe();
    monitor.tell(new SystemMonitor.Subscribe(a.getRef()));
    monitor.tell(new SystemMonitor.Subscribe(b.getRef()));
    SystemEvent event = new SystemEvent(SystemEvent.SETTINGS_CHANGED, null, "changed", Map.of("key", "zoom"), 1L);
    monitor.tell(new SystemMonitor.Publish(event));
    assertEquals(event, a.receiveMessage());
    assertEquals(event, b.receiveMessage());

    monitor.tell(new SystemMonitor.Unsubscribe(b.getRef()));
    monitor.tell(new SystemMonitor.Publish(event));
    assertEquals(event, a.receiveMessage());
    b.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void shouldPublishLowMemoryOncePerCrossing() {
    AtomicReference<Double> usage = new AtomicReference<>(0.5);
    ActorRef<SystemMonitor.Command> monitor = testKit.spawn(
        SystemMonitor.create(Path.of("/nonexistent"), Duration.ofMillis(20), 0.9, usage::get));
    TestProbe<SystemEvent> events = testKit.createTestProbe();
    monitor.tell(new SystemMonitor.Subscribe(events.getRef()));
    events.expectNoMessage(Duration.ofMillis(100));

    usage.set(0.95);
    SystemEvent low = events.receiveMessage(Duration.ofSeconds(3));
    assertEquals(SystemEvent.LOW_MEMORY, low.kind());
    assertEquals("95", low.data().get("heapUsedPercent"));
    // Still above: no repeat.
    events.expectNoMessage(Duration.ofMillis(200));

    usage.set(0.5);
    events.expectNoMessage(Duration.ofMillis(100));
    usage.set(0.99);
    assertEquals(SystemEvent.LOW_MEMORY, events.receiveMessage(Duration.ofSeconds(3)).kind());
  }
}
