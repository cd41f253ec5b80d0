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
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
