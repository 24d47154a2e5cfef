package dev.drawbridge.controller.config;

import java.time.Duration;

/**
 * Several controllers on one store. Every controller registers as a member and beats every {@code heartbeat}; a
 * member whose beat count has not moved for {@code missed-beats} heartbeats (as each observer's own clock measures
 * it, so clock skew between controllers does not matter) counts as dead.
 *
 * @param enabled       share the nodes with the other live members (a consistent hash ring, reservations with an
 *                      epoch) and run singleton duties under leases; off by default, and a controller refuses to
 *                      start on a store another live controller uses while it is off
 * @param name          this member's stable name on the ring (empty: the listen address's host and port); a
 *                      restarted member with the same name gets the same share back
 * @param advertise     the URL other members and clients reach this member at (empty: the URL it listens on)
 * @param heartbeat     how often a member beats (default 2 s)
 * @param missedBeats   how many beats a member may miss before it counts as dead (default 3)
 * @param virtualPoints points per member on the hash ring (default 256, which keeps three members within about 5%
 *                      of an even share of 10,000 nodes; 64 left one at 35% below)
 * @param leaseTtl      how long a singleton duty's lease lasts without renewal (default 10 s); its holder renews
 *                      every third of it and stops acting at half of it
 * @param mode          {@code shared} (every live member polls its share), {@code active-standby} (only the holder
 *                      of the {@code active} lease polls and runs duties; the others take over when it lapses) or
 *                      {@code pacemaker} (the same, but a member takes the lease only when the resource manager
 *                      promotes it: {@code POST /v1/cluster/promote}, from the OCF resource agent)
 */
public record ClusterConfig(boolean enabled, String name, String advertise, Duration heartbeat, int missedBeats,
                            int virtualPoints, Duration leaseTtl, String mode) {
    public ClusterConfig {
        if (heartbeat.compareTo(Duration.ofMillis(100)) < 0 || heartbeat.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new ConfigException("cluster.heartbeat must be 100ms to 1m, not " + DurationText.format(heartbeat));
        }
        if (missedBeats < 2 || missedBeats > 20) {
            throw new ConfigException("cluster.missed-beats must be 2 to 20, not " + missedBeats);
        }
        if (virtualPoints < 1 || virtualPoints > 1024) {
            throw new ConfigException("cluster.virtual-points must be 1 to 1024, not " + virtualPoints);
        }
        if (leaseTtl.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new ConfigException("cluster.lease-ttl must be at least two heartbeats");
        }
        if (!mode.equals("shared") && !mode.equals("active-standby") && !mode.equals("pacemaker")) {
            throw new ConfigException("cluster.mode must be shared, active-standby or pacemaker, not '" + mode + "'");
        }
    }

    public static ClusterConfig defaults() {
        return new ClusterConfig(false, "", "", Duration.ofSeconds(2), 3, 256, Duration.ofSeconds(10), "shared");
    }

    public ClusterConfig enabledAs(String memberName, String memberMode) {
        return new ClusterConfig(true, memberName, advertise, heartbeat, missedBeats, virtualPoints, leaseTtl,
                memberMode);
    }

    public ClusterConfig withTiming(Duration beat, int missed, Duration ttl) {
        return new ClusterConfig(enabled, name, advertise, beat, missed, virtualPoints, ttl, mode);
    }

    /** How long without a beat before a member counts as dead. */
    public Duration deadAfter() {
        return heartbeat.multipliedBy(missedBeats);
    }

    /** One active member at a time: {@code active-standby} or {@code pacemaker}. */
    public boolean activeStandby() {
        return mode.equals("active-standby") || mode.equals("pacemaker");
    }

    /** The resource manager, not the lease, decides which member is active. */
    public boolean pacemaker() {
        return mode.equals("pacemaker");
    }
}
