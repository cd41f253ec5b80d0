package org.browseros.ipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StartupIdleTest {
  @Test
  void shouldCountWakeUpsPerThreadSoThatAThreadEndingInTheWindowTakesNothingAway() {
    // A compiler thread with 900 switches ends in the window; the others switch 10 and 5 times; one
    // thread starts in it and switches 3 times. The sum over the process went from 1,100 to 318 (-782).
    Map<String, Long> before = Map.of(": C# CompilerThre|11", 900L, ": main|1", 100L, ": edge-scheduler-#|20", 100L);
    Map<String, Long> after = Map.of(": main|1", 110L, ": edge-scheduler-#|20", 105L, ": journal-probe|31", 3L);
    assertEquals(18, StartupIdle.switchesSince(before, after));
  }
}
