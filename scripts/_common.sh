#!/usr/bin/env bash
# Shared by the launch scripts: find the repo, build once if needed, print a module's classpath.
set -euo pipefail

BROWSEROS_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BROWSEROS_HOME

# Builds the modules (tests skipped) when a module's classes or classpath file are missing or older
# than its sources. Maven's output goes to stderr so that stdout stays the program's own.
browseros_build_if_needed() {
  # Tests that run the scripts set this: the build under test is already there.
  if [ "${BROWSEROS_SKIP_BUILD:-}" = 1 ]; then return 0; fi
  local module stale=0
  for module in protocol renderer-process main-process; do
    local dir="$BROWSEROS_HOME/$module"
    if [ ! -f "$dir/target/classpath.txt" ] && [ "$module" != protocol ]; then stale=1; fi
    if [ ! -d "$dir/target/classes" ]; then stale=1; fi
    if [ "$stale" = 0 ] && [ -n "$(find "$dir/src/main" "$dir/pom.xml" -newer "$dir/target/classes" -type f 2>/dev/null | head -n 1)" ]; then
      stale=1
    fi
  done
  if [ -n "$(find "$BROWSEROS_HOME/pom.xml" -newer "$BROWSEROS_HOME/main-process/target/classes" 2>/dev/null)" ]; then stale=1; fi
  if [ "$stale" = 1 ]; then
    echo "Building Browser OS IPC (first run or sources changed)..." >&2
    (cd "$BROWSEROS_HOME" && mvn -B -q -DskipTests package 1>&2)
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
