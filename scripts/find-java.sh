# Sourced by ./drawbridge, scripts/test and .ci/run: sets JAVA_HOME to a JDK >= 21.
# Looks at $JAVA_HOME, then `java` on PATH, then the distribution's JVM directory.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'; }
find_java() {
  local c candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do [ -d "$c" ] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    local v; v=$(java_major "$c")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then export JAVA_HOME="$c"; return 0; fi
  done
  echo "drawbridge: no JDK 21 or newer found (looked at JAVA_HOME, java on PATH, /usr/lib/jvm)." >&2
  echo "Install one, for example: apt-get install openjdk-21-jdk-headless (or any Temurin 21+), or set JAVA_HOME." >&2
  return 1
}
find_java || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
