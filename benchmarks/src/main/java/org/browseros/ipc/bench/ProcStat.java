package org.browseros.ipc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of a process from /proc/&lt;pid&gt;/stat (Linux). */
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

  /** utime + stime in clock ticks of the process's threads whose name starts with {@code prefix}. */
  static long threadTicks(long pid, String prefix) throws IOException {
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          if (name(stat).startsWith(prefix)) {
            ticks += ticks(stat);
          }
        } catch (IOException e) {
          // the thread ended
        }
      }
    }
    return ticks;
  }
}
