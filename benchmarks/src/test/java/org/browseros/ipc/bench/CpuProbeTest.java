package org.browseros.ipc.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The idle rows' probe: main is this JVM, its JIT threads are found once, other processes by pid. */
class CpuProbeTest {

  @Test
  @Timeout(30)
  void shouldChargeWorkInThisJvmToMainAndNotToAnIdleProcess() throws Exception {
    long self = ProcessHandle.current().pid();
    assertFalse(ProcStat.threads(self, "C1 Compiler", "C2 Compiler").isEmpty(), "this JVM's JIT compiler threads");
    Process sleeper = new ProcessBuilder("sleep", "30").start();
    AtomicBoolean stop = new AtomicBoolean();
    Thread spinner = new Thread(() -> {
      while (!stop.get()) {
        Thread.onSpinWait();
      }
    });
    try {
      Bench.CpuProbe probe = new Bench.CpuProbe(List.of(self, sleeper.pid()));
      spinner.start();
      Bench.Window window = probe.measure(Duration.ofMillis(600));
      // A spinning thread is a whole core when it runs; a busy CI machine still gives it a good part.
      assertTrue(window.pct().get(0) >= 20, "main's share: " + window.describe("-"));
      assertTrue(window.pct().get(1) < 5, "the sleeping process: " + window.describe("-"));
    } finally {
      stop.set(true);
      spinner.join(5_000);
      sleeper.destroyForcibly().waitFor();
    }
  }
}
