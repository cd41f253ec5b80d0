package org.browseros.ipc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The tab-heap row's breakdown: live objects by class, before and after. */
class HeapHistogramTest {

  /** Held across the second histogram, so that its objects are live. */
  private static final class Held {
    final byte[] bytes = new byte[1000];
  }

  @Test
  @Timeout(60)
  void shouldNameTheClassesThatGrew() throws Exception {
    HeapHistogram before = HeapHistogram.take();
    List<Held> held = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      held.add(new Held());
    }
    HeapHistogram after = HeapHistogram.take();

    List<HeapHistogram.Growth> top = after.growthSince(before, 3);
    assertEquals("[B", top.get(0).className(), "largest growth: " + top);
    assertTrue(top.get(0).bytes() >= 10_000 * 1000L, "10,000 arrays of 1,000 bytes: " + top);
    HeapHistogram.Growth heldGrowth = top.stream()
        .filter(g -> g.className().equals(Held.class.getName())).findFirst().orElseThrow(() -> new AssertionError(top));
    assertEquals(10_000, heldGrowth.instances());
    assertTrue(after.totalBytes() > before.totalBytes() + 10_000_000L);
    assertEquals(10_000, held.size());
  }

  @Test
  void shouldParseJcmdsFormatAndMergeClassesOfTwoLoaders() {
    HeapHistogram h = HeapHistogram.parse("""
         num     #instances         #bytes  class name (module)
        -------------------------------------------------------
           1:          4000         640000  [B (java.base@17.0.15)
           2:           100           2400  org.example.Tab
           3:            50           1200  org.example.Tab
        Total          4150         643600
        """);
    assertEquals(new HeapHistogram.Entry(4000, 640000), h.get("[B"));
    assertEquals(new HeapHistogram.Entry(150, 3600), h.get("org.example.Tab"));
    assertEquals(643600, h.totalBytes());
  }
}
