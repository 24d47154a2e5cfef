package dev.drawbridge.controller.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A consistent hash ring: each member name gets {@code points} points (the first 8 bytes of SHA-256 of
 * {@code name#i}), and a key belongs to the member of the first point at or after the key's own hash, wrapping
 * around. When a member joins or leaves, only the keys between its points and their predecessors move; every other
 * key keeps its member. Immutable; built anew when the live members change.
 */
public final class HashRing {
    private final long[] points;
    private final String[] owners;

    public HashRing(Collection<String> members, int pointsPerMember) {
        if (pointsPerMember < 1) {
            throw new IllegalArgumentException("points per member must be positive");
        }
        TreeSet<String> names = new TreeSet<>(members);
        long[][] all = new long[names.size() * pointsPerMember][];
        String[] byIndex = names.toArray(String[]::new);
        int n = 0;
        for (int m = 0; m < byIndex.length; m++) {
            for (int i = 0; i < pointsPerMember; i++) {
                all[n++] = new long[] {hash(byIndex[m] + "#" + i), m};
            }
        }
        // Ties (practically never) go to the lower name, so every member builds the same ring.
        Arrays.sort(all, (a, b) -> a[0] != b[0] ? Long.compareUnsigned(a[0], b[0]) : Long.compare(a[1], b[1]));
        points = new long[all.length];
        owners = new String[all.length];
        for (int i = 0; i < all.length; i++) {
            points[i] = all[i][0];
            owners[i] = byIndex[(int) all[i][1]];
        }
    }

    /** The member a key belongs to; empty when the ring has no members. */
    public Optional<String> owner(String key) {
        if (points.length == 0) {
            return Optional.empty();
        }
        long h = hash(key);
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(points[mid], h) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return Optional.of(owners[lo == points.length ? 0 : lo]);
    }

    public boolean isEmpty() {
        return points.length == 0;
    }

    static long hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
