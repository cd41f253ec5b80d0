package org.browseros.ipc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** CPU time of a process or its threads from /proc/&lt;pid&gt;/stat (ticks) and the threads' schedstat (ns), Linux. */
final class ProcStat {
  /** USER_HZ: 100 on every Linux architecture the JDK runs on. */
  static final int TICKS_PER_SECOND = 100;

  private ProcStat() {}

  /** utime + stime in clock ticks. */
  static long cpuTicks(long pid) throws IOException {
    return ticks(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")));
  }

  /** utime + stime in clock ticks of the text of a /proc stat file (a process's or a thread's). */
  static long ticks(String stat) {
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** The command (thread) name of the text of a /proc stat file. */
  static String name(String stat) {
    return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  }

  /** The task directories of the process's threads whose name starts with one of {@code prefixes}, as they are now. */
  static List<Path> threads(long pid, String... prefixes) throws IOException {
    List<Path> found = new ArrayList<>();
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String name = name(Files.readString(task.resolve("stat")));
          if (Arrays.stream(prefixes).anyMatch(name::startsWith)) {
            found.add(task);
          }
        } catch (IOException e) {
          // the thread ended
        }
      }
    }
    return found;
  }

  /**
   * Time on a CPU of all the process's threads alive now, in nanoseconds (each thread's
   * {@code schedstat}); {@code /proc/<pid>/stat} counts whole ticks of 10 ms.
   */
  static long cpuNanos(long pid) throws IOException {
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      return threadNanos(tasks.toList());
    }
  }

  /** Time on a CPU of the given threads (task directories), in nanoseconds; a thread that ended counts 0. */
  static long threadNanos(List<Path> tasks) {
    long nanos = 0;
    for (Path task : tasks) {
      try {
        String schedstat = Files.readString(task.resolve("schedstat"));
        nanos += Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
      } catch (IOException e) {
        // the thread ended
      }
    }
    return nanos;
  }
}
