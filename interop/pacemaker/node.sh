#!/bin/sh
# One Corosync/Pacemaker cluster node in the network namespace this runs in, with its own host name, IPC, /run,
# /dev/shm and cluster state, so that two nodes can share one machine. Run as root, inside `ip netns exec NS
# unshare --mount --uts --ipc --propagation private`:
#
#   node.sh STATE_DIR NODE_NAME COROSYNC_CONF AUTHKEY OCF_AGENT
#
# STATE_DIR gets the node's private /etc/corosync, /var/lib/{corosync,pacemaker}, /var/log/{corosync,pacemaker},
# /run, /srv (STATE_DIR/srv: put the node's controller configuration and data directory there first) and a private
# copy of the OCF agent tree with Drawbridge's agent as ocf:drawbridge:controller. Corosync and
# pacemakerd run in the foreground of this script; killing the namespace's processes is a power cut.
set -eu
state=$1 name=$2 conf=$3 authkey=$4 agent=$5

hostname "$name"
mkdir -p "$state"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# /run: private, with the directories the daemons expect.
mkdir -p "$state/run"
mount --bind "$state/run" /run
mkdir -p /run/crm /run/corosync /run/resource-agents /run/lock
chown hacluster:haclient /run/crm

private() { # SOURCE TARGET: a private copy of a system directory, bound over it
    mkdir -p "$state/$2"
    cp -a "$1/." "$state/$2/"
    mount --bind "$state/$2" "$1"
}
private /etc/corosync etc-corosync
private /var/lib/corosync var-lib-corosync
private /var/lib/pacemaker var-lib-pacemaker
private /var/log/corosync var-log-corosync
private /var/log/pacemaker var-log-pacemaker
private /usr/lib/ocf/resource.d ocf-resource.d
private /srv srv
mkdir -p /usr/lib/ocf/resource.d/drawbridge
cp "$agent" /usr/lib/ocf/resource.d/drawbridge/controller
chmod 0755 /usr/lib/ocf/resource.d/drawbridge/controller

cp "$conf" /etc/corosync/corosync.conf
install -m 0400 "$authkey" /etc/corosync/authkey
rm -f /var/lib/pacemaker/cib/cib*

corosync -f > "$state/corosync.out" 2>&1 &
corosync=$!
i=0
until corosync-cfgtool -s > /dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $corosync 2> /dev/null; then
        echo "node.sh: corosync did not start on $name; see $state/corosync.out" >&2
        exit 1
    fi
    sleep 0.1
done
echo "node.sh: corosync up on $name"
exec pacemakerd > "$state/pacemakerd.out" 2>&1
