package dev.drawbridge.attestation;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Golden PCR values per bank: each listed PCR must have exactly this value in a trusted quote. */
public record ReferenceValues(Map<HashAlg, SortedMap<Integer, byte[]>> banks) {

    public ReferenceValues {
        EnumMap<HashAlg, SortedMap<Integer, byte[]>> copy = new EnumMap<>(HashAlg.class);
        banks.forEach((hash, values) -> {
            values.forEach((pcr, value) -> {
                if (value.length != hash.digestSize()) {
                    throw new AttestationException("reference value for " + hash + " PCR " + pcr + " has "
                            + value.length + " bytes, not " + hash.digestSize());
                }
            });
            copy.put(hash, Collections.unmodifiableSortedMap(new TreeMap<>(values)));
        });
        banks = Collections.unmodifiableMap(copy);
    }

    public static ReferenceValues none() {
        return new ReferenceValues(Map.of());
    }

    public static ReferenceValues of(HashAlg hash, Map<Integer, byte[]> values) {
        return new ReferenceValues(Map.of(hash, new TreeMap<>(values)));
    }
}
