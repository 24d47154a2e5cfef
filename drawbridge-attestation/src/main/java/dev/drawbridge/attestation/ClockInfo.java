package dev.drawbridge.attestation;

/**
 * TPMS_CLOCK_INFO (TCG TPM 2.0 Part 2, 10.11.1): milliseconds the TPM has been powered, how
 * often it was reset and restarted, and whether the clock could have gone backwards.
 */
public record ClockInfo(long clock, long resetCount, long restartCount, boolean safe) {

    /**
     * Whether this clock is earlier than {@code previous}: a lower resetCount, or the same
     * resetCount with a lower restartCount, or both the same with a lower clock. A TPM Reset
     * sets restartCount back to zero, so it is compared only within one resetCount.
     */
    public boolean isBefore(ClockInfo previous) {
        if (resetCount != previous.resetCount) {
            return Long.compareUnsigned(resetCount, previous.resetCount) < 0;
        }
        if (restartCount != previous.restartCount) {
            return Long.compareUnsigned(restartCount, previous.restartCount) < 0;
        }
        return Long.compareUnsigned(clock, previous.clock) < 0;
    }

    static ClockInfo read(TpmReader r) {
        long clock = r.u64("clockInfo.clock");
        long resetCount = r.u32("clockInfo.resetCount");
        long restartCount = r.u32("clockInfo.restartCount");
        int safe = r.u8("clockInfo.safe");
        if (safe > 1) {
            throw r.fail("clockInfo.safe is " + safe + ", not a TPMI_YES_NO");
        }
        return new ClockInfo(clock, resetCount, restartCount, safe == 1);
    }

    void write(TpmWriter w) {
        w.u64(clock).u32(resetCount).u32(restartCount).u8(safe ? 1 : 0);
    }
}
