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
    newer="$(find "$BROWSEROS_HOME/pom.xml" "$BROWSEROS_HOME"/{protocol,renderer-process,main-process}/{pom.xml,src/main} \
      -type f -newer "$stamp" 2>/dev/null | head -n 1)"
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

browseros_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}
