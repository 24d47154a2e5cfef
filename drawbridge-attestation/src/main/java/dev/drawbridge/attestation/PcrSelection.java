package dev.drawbridge.attestation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A TPML_PCR_SELECTION: for each bank (hash algorithm) in order, the selected PCR indices in
 * ascending order. The order matters: a quote's pcrDigest hashes values in exactly this order.
 */
public record PcrSelection(List<Bank> banks) {
    /** TPM2_NUM_PCR_BANKS: the most TPMS_PCR_SELECTION entries a TPML_PCR_SELECTION holds. */
    static final int MAX_BANKS = 16;
    /** PCR_SELECT_MAX: the most bitmap bytes in a TPMS_PCR_SELECTION. */
    static final int MAX_SELECT = 4;
    /** PCR_SELECT_MIN, the bitmap size tpm2-tools and the TPM use for 24 PCRs. */
    static final int DEFAULT_SELECT = 3;

    public PcrSelection {
        banks = List.copyOf(banks);
        if (banks.size() > MAX_BANKS) {
            throw new AttestationException("TPML_PCR_SELECTION: " + banks.size() + " banks exceed " + MAX_BANKS);
        }
        Set<HashAlg> seen = EnumSet.noneOf(HashAlg.class);
        for (Bank bank : banks) {
            if (!seen.add(bank.hash())) {
                throw new AttestationException("TPML_PCR_SELECTION: bank " + bank.hash() + " appears twice");
            }
        }
    }

    /**
     * One TPMS_PCR_SELECTION: the bank's hash, its sizeofSelect (bitmap bytes) and the selected
     * PCRs, ascending.
     */
    public record Bank(HashAlg hash, int selectSize, List<Integer> pcrs) {
        public Bank {
            if (selectSize < 0 || selectSize > MAX_SELECT) {
                throw new AttestationException("TPMS_PCR_SELECTION.sizeofSelect " + selectSize + " outside 0.." + MAX_SELECT);
            }
            TreeSet<Integer> sorted = new TreeSet<>(pcrs);
            if (sorted.size() != pcrs.size()) {
                throw new AttestationException("TPMS_PCR_SELECTION: duplicate PCR index in " + pcrs);
            }
            for (int pcr : sorted) {
                if (pcr < 0 || pcr >= selectSize * 8) {
                    throw new AttestationException("TPMS_PCR_SELECTION: PCR " + pcr + " outside a "
                            + selectSize + "-byte bitmap");
                }
            }
            pcrs = List.copyOf(sorted);
        }

        /** A bank with the usual 3-byte bitmap (PCRs 0 to 23). */
        public static Bank of(HashAlg hash, int... pcrs) {
            List<Integer> list = new ArrayList<>(pcrs.length);
            for (int pcr : pcrs) {
                list.add(pcr);
            }
            return new Bank(hash, DEFAULT_SELECT, list);
        }
    }

    /** One bank with the usual 3-byte bitmap, e.g. {@code of(SHA256, 0, 1, 2, 3, 7)}. */
    public static PcrSelection of(HashAlg hash, int... pcrs) {
        return new PcrSelection(List.of(Bank.of(hash, pcrs)));
    }

    public Optional<Bank> bank(HashAlg hash) {
        return banks.stream().filter(b -> b.hash() == hash).findFirst();
    }

    public boolean contains(HashAlg hash, int pcr) {
        return bank(hash).map(b -> b.pcrs().contains(pcr)).orElse(false);
    }

    /** How many PCR values the selection names across all banks. */
    public int count() {
        int n = 0;
        for (Bank bank : banks) {
            n += bank.pcrs().size();
        }
        return n;
    }

    /** Reads a marshalled TPML_PCR_SELECTION (u32 count, then per bank u16 hash, u8 sizeofSelect, bitmap). */
    static PcrSelection read(TpmReader r, String field) {
        long count = r.u32(field + ".count");
        if (count > MAX_BANKS) {
            throw r.fail(field + ".count " + count + " exceeds " + MAX_BANKS);
        }
        List<Bank> banks = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            String f = field + ".pcrSelections[" + i + "]";
            HashAlg hash = HashAlg.require(r.u16(f + ".hash"), f + ".hash");
            int size = r.u8(f + ".sizeofSelect");
            if (size > MAX_SELECT) {
                throw r.fail(f + ".sizeofSelect " + size + " exceeds " + MAX_SELECT);
            }
            banks.add(new Bank(hash, size, fromBitmap(r.bytes(size, f + ".pcrSelect"))));
        }
        return wrap(r, field, banks);
    }

    /** Reads the 132-byte little-endian C struct dump that tpm2-tools writes ahead of PCR values. */
    static PcrSelection readDump(TpmReader r, String field) {
        long count = r.u32(field + ".count");
        if (count > MAX_BANKS) {
            throw r.fail(field + ".count " + count + " exceeds " + MAX_BANKS);
        }
        List<Bank> banks = new ArrayList<>((int) count);
        for (int i = 0; i < MAX_BANKS; i++) {
            String f = field + ".pcrSelections[" + i + "]";
            int hashId = r.u16(f + ".hash");
            int size = r.u8(f + ".sizeofSelect");
            byte[] bitmap = r.bytes(MAX_SELECT, f + ".pcrSelect");
            r.skip(1, f + ".padding");
            if (i >= count) {
                continue; // unused slots of the fixed-size array
            }
            if (size > MAX_SELECT) {
                throw r.fail(f + ".sizeofSelect " + size + " exceeds " + MAX_SELECT);
            }
            banks.add(new Bank(HashAlg.require(hashId, f + ".hash"), size,
                    fromBitmap(Arrays.copyOf(bitmap, size))));
        }
        return wrap(r, field, banks);
    }

    private static PcrSelection wrap(TpmReader r, String field, List<Bank> banks) {
        try {
            return new PcrSelection(banks);
        } catch (AttestationException e) {
            throw r.fail(field + ": " + e.getMessage());
        }
    }

    void write(TpmWriter w) {
        w.u32(banks.size());
        for (Bank bank : banks) {
            w.u16(bank.hash().id()).u8(bank.selectSize()).bytes(toBitmap(bank));
        }
    }

    void writeDump(TpmWriter w) {
        w.u32(banks.size());
        for (int i = 0; i < MAX_BANKS; i++) {
            if (i < banks.size()) {
                Bank bank = banks.get(i);
                w.u16(bank.hash().id()).u8(bank.selectSize()).bytes(Arrays.copyOf(toBitmap(bank), MAX_SELECT));
                w.zeros(1);
            } else {
                w.zeros(8);
            }
        }
    }

    /** PCR n is bit n % 8 of byte n / 8 (TCG TPM 2.0 Part 2, 10.6.1 TPMS_PCR_SELECT). */
    private static List<Integer> fromBitmap(byte[] bitmap) {
        List<Integer> pcrs = new ArrayList<>();
        for (int pcr = 0; pcr < bitmap.length * 8; pcr++) {
            if ((bitmap[pcr / 8] & (1 << (pcr % 8))) != 0) {
                pcrs.add(pcr);
            }
        }
        return pcrs;
    }

    private static byte[] toBitmap(Bank bank) {
        byte[] bitmap = new byte[bank.selectSize()];
        for (int pcr : bank.pcrs()) {
            bitmap[pcr / 8] |= (byte) (1 << (pcr % 8));
        }
        return bitmap;
    }
}
