#!/bin/sh
# Runs Debian's avahi (daemon, avahi-publish, avahi-browse) inside the network namespace this is started in with
# 'ip netns exec NS', which also gives it a mount namespace of its own: a private D-Bus system bus and avahi's run
# directory are mounted over /run here, so nothing of the host's D-Bus or avahi is touched.
#
#   avahi-in-netns.sh DIR IFACE NAME PORT TXT...
#
# publishes _drawbridge._tcp as NAME on PORT with the TXT strings, then writes 'avahi-browse -rpt _drawbridge._tcp'
# to DIR/avahi-browse.txt every second (atomically) until it is killed. Logs go to DIR/avahi-*.log.
set -eu
dir=$1 iface=$2 name=$3 port=$4
shift 4
mount -t tmpfs -o mode=0755 tmpfs /run/dbus
mkdir -p /run/avahi-daemon
mount -t tmpfs -o mode=0755 tmpfs /run/avahi-daemon
cat > "$dir/avahi-daemon.conf" <<CONF
[server]
host-name=dbavahi
use-ipv4=yes
use-ipv6=yes
allow-interfaces=$iface
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
[reflector]
enable-reflector=no
CONF
dbus-daemon --system --fork --print-address > "$dir/avahi-dbus.address"
for _ in $(seq 50); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.1; done
avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "$dir/avahi-daemon.conf" > "$dir/avahi-daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do avahi-browse -at >/dev/null 2>&1 && break; sleep 0.1; done
avahi-publish -s "$name" _drawbridge._tcp "$port" "$@" > "$dir/avahi-publish.log" 2>&1 &
publisher=$!
trap 'kill $publisher $daemon 2>/dev/null; exit 0' TERM INT
while kill -0 $daemon 2>/dev/null; do
  avahi-browse -rpt _drawbridge._tcp > "$dir/avahi-browse.tmp" 2>>"$dir/avahi-browse.log" || true
  mv "$dir/avahi-browse.tmp" "$dir/avahi-browse.txt"
  sleep 1
done
echo "avahi-daemon exited" >&2
exit 1
