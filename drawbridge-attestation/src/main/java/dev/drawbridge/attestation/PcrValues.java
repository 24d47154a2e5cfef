package dev.drawbridge.attestation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * PCR values as {@code tpm2_quote -o} and {@code tpm2_pcrread -o} write them in their default
 * "serialized" format: a little-endian dump of a TPML_PCR_SELECTION (132 bytes), a u32 count N,
 * then N TPML_DIGEST of 532 bytes (u32 count, 8 x TPM2B_DIGEST of u16 size and a 64-byte buffer).
 * The digests fill the selection in bank order, then ascending PCR index.
 *
 * <p>{@code values} holds one digest per selected PCR in that order; arrays are owned by the record.
 */
public record PcrValues(PcrSelection selection, List<byte[]> values) {
    static final int SELECTION_DUMP_SIZE = 4 + PcrSelection.MAX_BANKS * 8;
    static final int DIGESTS_PER_LIST = 8;
    static final int DIGEST_LIST_DUMP_SIZE = 4 + DIGESTS_PER_LIST * (2 + TpmsAttest.MAX_DIGEST);

    public PcrValues {
        values = List.copyOf(values);
        if (values.size() != selection.count()) {
            throw new AttestationException("PCR values: " + values.size() + " digests for " + selection.count()
                    + " selected PCRs");
        }
        int i = 0;
        for (PcrSelection.Bank bank : selection.banks()) {
            for (int pcr : bank.pcrs()) {
                int size = values.get(i++).length;
                if (size != bank.hash().digestSize()) {
                    throw new AttestationException("PCR values: " + bank.hash() + " PCR " + pcr + " has a " + size
                            + "-byte digest, not " + bank.hash().digestSize());
                }
            }
        }
    }

    /** Parses tpm2-tools' serialized PCR file; anything else is an {@link AttestationException}. */
    public static PcrValues parse(byte[] data) {
        TpmReader r = TpmReader.littleEndian(data, "PCR file");
        PcrSelection selection = PcrSelection.readDump(r, "pcrSelections");
        long lists = r.u32("count");
        if (lists * DIGEST_LIST_DUMP_SIZE != r.remaining()) {
            throw r.fail("count " + lists + " needs " + lists * DIGEST_LIST_DUMP_SIZE + " bytes of TPML_DIGEST, found "
                    + r.remaining());
        }
        List<byte[]> values = new ArrayList<>(selection.count());
        for (int l = 0; l < lists; l++) {
            String f = "digests[" + l + "]";
            long count = r.u32(f + ".count");
            if (count > DIGESTS_PER_LIST) {
                throw r.fail(f + ".count " + count + " exceeds " + DIGESTS_PER_LIST);
            }
            for (int d = 0; d < DIGESTS_PER_LIST; d++) {
                String g = f + ".digests[" + d + "]";
                int size = r.u16(g + ".size");
                if (size > TpmsAttest.MAX_DIGEST) {
                    throw r.fail(g + ".size " + size + " exceeds " + TpmsAttest.MAX_DIGEST);
                }
                if (d < count) {
                    values.add(r.bytes(size, g + ".buffer"));
                    r.skip(TpmsAttest.MAX_DIGEST - size, g + ".buffer");
                } else {
                    r.skip(TpmsAttest.MAX_DIGEST, g + ".buffer");
                }
            }
        }
        r.end();
        try {
            return new PcrValues(selection, values);
        } catch (AttestationException e) {
            throw r.fail(e.getMessage());
        }
    }

    /** Writes the file as tpm2-tools does, with zeroed padding and unused slots. */
    public byte[] encode() {
        TpmWriter w = TpmWriter.littleEndian();
        selection.writeDump(w);
        int lists = (values.size() + DIGESTS_PER_LIST - 1) / DIGESTS_PER_LIST;
        w.u32(lists);
        for (int l = 0; l < lists; l++) {
            int count = Math.min(DIGESTS_PER_LIST, values.size() - l * DIGESTS_PER_LIST);
            w.u32(count);
            for (int d = 0; d < DIGESTS_PER_LIST; d++) {
                if (d < count) {
                    byte[] v = values.get(l * DIGESTS_PER_LIST + d);
                    w.u16(v.length).bytes(v).zeros(TpmsAttest.MAX_DIGEST - v.length);
                } else {
                    w.zeros(2 + TpmsAttest.MAX_DIGEST);
                }
            }
        }
        return w.toByteArray();
    }

    /** The value of one PCR, if the file holds it. */
    public Optional<byte[]> value(HashAlg hash, int pcr) {
        int i = 0;
        for (PcrSelection.Bank bank : selection.banks()) {
            for (int p : bank.pcrs()) {
                if (bank.hash() == hash && p == pcr) {
                    return Optional.of(values.get(i));
                }
                i++;
            }
        }
        return Optional.empty();
    }

    /** All values of one bank by PCR index (empty if the bank is not selected). */
    public SortedMap<Integer, byte[]> bank(HashAlg hash) {
        SortedMap<Integer, byte[]> out = new TreeMap<>();
        int i = 0;
        for (PcrSelection.Bank bank : selection.banks()) {
            for (int p : bank.pcrs()) {
                if (bank.hash() == hash) {
                    out.put(p, values.get(i));
                }
                i++;
            }
        }
        return Collections.unmodifiableSortedMap(out);
    }
}
