package org.browseros.ipc.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * The live objects of this JVM by class, as {@code jcmd <pid> GC.class_histogram} prints them (a full
 * GC first), read in-process through the HotSpot diagnostic command MBean. The tab-heap row compares
 * two of them to say which classes its growth is made of.
 */
final class HeapHistogram {
  //   num     #instances         #bytes  class name (module)
  //     1:         12345        6789012  [B (java.base@17.0.15)
  private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

  /** Instances and bytes of one class. */
  record Entry(long instances, long bytes) {}

  /** One class's change between two histograms. */
  record Growth(String className, long instances, long bytes) {}

  private final Map<String, Entry> byClass;

  private HeapHistogram(Map<String, Entry> byClass) {
    this.byClass = byClass;
  }

  static HeapHistogram take() throws Exception {
    Object text = ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    return parse((String) text);
  }

  static HeapHistogram parse(String text) {
    Map<String, Entry> byClass = new HashMap<>();
    for (String line : text.split("\n")) {
      Matcher m = ROW.matcher(line);
      if (m.find()) {
        // Classes of the same name in two loaders are one row here: the growth is what matters.
        byClass.merge(m.group(3), new Entry(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))),
            (a, b) -> new Entry(a.instances() + b.instances(), a.bytes() + b.bytes()));
      }
    }
    return new HeapHistogram(Map.copyOf(byClass));
  }

  Entry get(String className) {
    return byClass.getOrDefault(className, new Entry(0, 0));
  }

  /** The classes that grew most in bytes from {@code before} to this histogram, largest first. */
  List<Growth> growthSince(HeapHistogram before, int top) {
    List<Growth> grown = new ArrayList<>();
    byClass.forEach((name, now) -> {
      Entry then = before.get(name);
      grown.add(new Growth(name, now.instances() - then.instances(), now.bytes() - then.bytes()));
    });
    grown.sort(Comparator.comparingLong(Growth::bytes).reversed());
    return grown.subList(0, Math.min(top, grown.size()));
  }

  /** Bytes of all live objects. */
  long totalBytes() {
    return byClass.values().stream().mapToLong(Entry::bytes).sum();
  }
}
