#!/usr/bin/env bash
# Shared by the launch scripts: find the repo, build once if needed, print a module's classpath.
set -euo pipefail

BROWSEROS_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BROWSEROS_HOME

# Builds the modules (tests skipped) on the first run and whenever a source or pom is newer than the
# last build's stamp. Maven's output goes to stderr so that stdout stays the program's own.
browseros_build_if_needed() {
  # Tests that run the scripts set this: the build under test is already there.
  if [ "${BROWSEROS_SKIP_BUILD:-}" = 1 ]; then return 0; fi
  local stamp="$BROWSEROS_HOME/main-process/target/browseros-build.stamp"
  local newer=""
  if [ -f "$stamp" ]; then
    # -quit, not "| head -n 1": under pipefail, find killed by SIGPIPE (a listing of more than a pipe's
    # buffer, e.g. after a pull) failed the assignment and errexit ended the launch without a word.
    newer="$(find "$BROWSEROS_HOME/pom.xml" "$BROWSEROS_HOME"/{protocol,renderer-process,main-process}/{pom.xml,src/main} \
      -type f -newer "$stamp" -print -quit 2>/dev/null)"
  fi
  if [ ! -f "$stamp" ] || [ -n "$newer" ]; then
    echo "Building Browser OS IPC (first run or sources changed)..." >&2
    (cd "$BROWSEROS_HOME" && mvn -B -q -DskipTests package 1>&2)
    touch "$stamp"
  fi
}

# The runtime classpath of a module: its classes, then its dependencies.
browseros_classpath() {
  local module="$1"
  local dir="$BROWSEROS_HOME/$module"
  local cp="$dir/target/classes"
  if [ -f "$dir/target/classpath.txt" ]; then cp="$cp:$(cat "$dir/target/classpath.txt")"; fi
  echo "$cp"
}

# JVM options of the main process for idle CPU (issue 5, docs/PERFORMANCE.md, "Fourth round: idle CPU"); scripts/bench
# uses them too, as its JVM is the main process that its idle row measures. Each stops a JVM thread
# from waking several times a second while main is idle:
# - PerfDataSamplingInterval: the periodic task thread samples the performance counters every 50 ms;
#   once a second keeps jps/jstat working.
# - AsyncDeflationInterval (diagnostic): the monitor deflation thread looks for idle monitors every
#   250 ms; once a second.
# - GuaranteedSafepointInterval=0 (diagnostic): the VM thread wakes every second to look for cleanup
#   work for a safepoint; that work then waits for the next safepoint that comes anyway (GC, JIT).
# - G1ConcRefinementServiceIntervalMillis: G1's service thread samples the young generation's
#   remembered sets every 300 ms (for its pause-time predictions); once a second.
browseros_main_idle_jvm_opts() {
  echo -XX:PerfDataSamplingInterval=1000 -XX:+UnlockDiagnosticVMOptions -XX:AsyncDeflationInterval=1000 \
    -XX:GuaranteedSafepointInterval=0 -XX:G1ConcRefinementServiceIntervalMillis=1000
}

browseros_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

# The feature release (17, 25, ...) of the java browseros_java runs, from its JDK's release file; 0 if unknown.
browseros_java_feature() {
  local real version=""
  real="$(readlink -f "$(command -v "$(browseros_java)")" 2>/dev/null)" || real=""
  if [ -n "$real" ]; then
    version="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$(dirname "$(dirname "$real")")/release" 2>/dev/null)"
  fi
  echo "${version:-0}"
}

# A module's runtime classpath on its packaged jars instead of target/classes directories, for Class
# Data Sharing: the JVM archives classes from jars only and refuses a classpath with a non-empty
# directory in it. Fails (status 1) when a module jar is missing or older than its classes (tests run
# before `package`, or sources were rebuilt without packaging): the caller then runs without CDS.
browseros_jar_classpath() {
  local module="$1" entry target name jar cp="" deps=()
  [ -f "$BROWSEROS_HOME/$module/target/classpath.txt" ] || return 1
  IFS=: read -r -a deps < "$BROWSEROS_HOME/$module/target/classpath.txt"
  for entry in "$BROWSEROS_HOME/$module/target/classes" "${deps[@]}"; do
    if [ -d "$entry" ]; then
      target="$(dirname "$entry")"
      name="$(basename "$(dirname "$target")")"
      jar="$(find "$target" -maxdepth 1 -name "$name-*.jar" ! -name '*-sources.jar' ! -name '*-tests.jar' -print -quit)"
      if [ -z "$jar" ] || [ -n "$(find "$entry" -type f -newer "$jar" -print -quit)" ]; then return 1; fi
      entry="$jar"
    fi
    cp="${cp:+$cp:}$entry"
  done
  echo "$cp"
}

# The data dir scripts/main-process will use: --data-dir, else $BROWSEROS_DATA_DIR, else ./var (as
# reference.conf; a data-dir set in application.conf is not seen here).
browseros_data_dir() {
  local dir="${BROWSEROS_DATA_DIR:-./var}"
  while [ $# -gt 0 ]; do
    case "$1" in
      --data-dir) dir="${2:-$dir}"; shift ;;
      --data-dir=*) dir="${1#--data-dir=}" ;;
    esac
    shift || true
  done
  echo "$dir"
}

# AppCDS archive DIR/NAME.jsa for a JVM on classpath CP, built from the class list LIST that an
# earlier run recorded (-XX:DumpLoadedClassList). With KIND aot (BROWSEROS_AOT=on, JDK 25+), the AOT
# cache DIR/NAME.aot (JEP 483/515) instead, built from the AOT configuration LIST that an earlier run
# recorded (-XX:AOTMode=record). The dump (a few seconds) runs in the background once this start is
# under way, so that no start waits for it: the next start maps it. The archive is
# written under a temporary name and renamed only when the dump succeeded: a truncated archive
# crashes the JVM that maps it (SIGBUS), while a complete one that does not match is only ignored.
# A change of classpath or java, or a jar newer than the archive discards it, so that it is rebuilt
# from the next run's list. Never fails.
browseros_cds_prepare() {
  local name="$1" cp="$2" dir="$3" list="$4" kind="${5:-cds}"
  local ext=jsa listext=classlist java
  if [ "$kind" = aot ]; then ext=aot; listext=aotconf; fi
  java="$(browseros_java)"
  local archive="$dir/$name.$ext" stamp="$dir/$name.$ext.stamp" work="$dir/$name.dumping.$$"
  local built_for
  built_for="$(readlink -f "$(command -v "$java")" 2>/dev/null || echo "$java") $cp"
  if [ -f "$archive" ] && { [ "$(cat "$stamp" 2>/dev/null)" != "$built_for" ] \
      || [ -n "$(IFS=:; find $cp -maxdepth 0 -newer "$archive" -print -quit 2>/dev/null)" ]; }; then
    rm -f "$archive" "$stamp"
  fi
  if [ -f "$archive" ]; then
    # Lists a recording JVM wrote at its exit after the dump began (an AOT configuration is ~100 MB).
    rm -f "$dir/$name.$listext" "$dir/$name"-*."$listext" "$dir/$name.classpath"
    return 0
  fi
  if [ -z "$list" ] || [ ! -s "$list" ]; then return 0; fi
  # A dump under way (started by an earlier start in the last 10 minutes) will provide the archive.
  if [ -n "$(find "$dir" -maxdepth 1 -name "$name.dumping.*" -mmin -10 -print -quit)" ]; then return 0; fi
  # Taken aside: this run records a new list while the old one is archived.
  mv -f "$list" "$work.$listext" 2>/dev/null || return 0
  local dump=(-Xshare:dump -XX:SharedClassListFile="$work.$listext" -XX:SharedArchiveFile="$work.$ext")
  if [ "$kind" = aot ]; then
    dump=(-XX:AOTMode=create -XX:AOTConfiguration="$work.$listext" -XX:AOTCache="$work.$ext")
  fi
  # Niced and delayed: the dump must not take the CPU from the start it runs next to (on 2 cores a
  # starved start times out on its journal connection).
  (
    sleep "${BROWSEROS_CDS_DUMP_DELAY:-20}"
    if nice -n 19 "$java" "${dump[@]}" -cp "$cp" && [ -s "$work.$ext" ]; then
      printf '%s' "$built_for" > "$stamp"
      mv -f "$work.$ext" "$archive"
      rm -f "$dir/$name.$listext" "$dir/$name"-*."$listext"
    fi
    rm -f "$work.$ext" "$work.$listext"
  ) </dev/null >/dev/null 2>&1 &
  return 0
}
