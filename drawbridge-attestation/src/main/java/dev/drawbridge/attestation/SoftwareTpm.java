package dev.drawbridge.attestation;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * An in-memory TPM for simulated nodes: one SHA-256 PCR bank and an ECDSA P-256 AK under a
 * made-up EK. Its quotes are byte-for-byte the structures tpm2-tools writes, so the real
 * verifier checks them unchanged. Not a security boundary: the AK key lives in the heap.
 */
public final class SoftwareTpm {
    static final int PCR_COUNT = 24;
    /** A fixed firmwareVersion, like swtpm's. */
    static final long FIRMWARE_VERSION = 0x2019_1023_0016_3100L;

    private final KeyPair ak;
    private final byte[] akPublic;
    private final AttestationKey attestationKey;
    private final LongSupplier clockMillis;
    private final byte[][] pcrs = new byte[PCR_COUNT][];
    private long resetCount;
    private long restartCount;
    private long clockBase;
    private boolean safe = true;

    private SoftwareTpm(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            this.ak = gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AttestationException("cannot make a P-256 AK: " + e.getMessage(), e);
        }
        byte[] tpmtPublic = TpmtPublic.eccAk((ECPublicKey) ak.getPublic());
        this.akPublic = TpmWriter.bigEndian().tpm2b(tpmtPublic).toByteArray();
        byte[] ekName = TpmName.of(HashAlg.SHA256, HashAlg.SHA256.digest(tpmtPublic, "software EK".getBytes(
                StandardCharsets.US_ASCII)));
        byte[] ekQualified = TpmName.qualified(HashAlg.SHA256, TpmName.hierarchy(TpmName.TPM_RH_ENDORSEMENT), ekName);
        this.attestationKey = AttestationKey.fromTpm2bPublic(akPublic).qualifiedUnder(ekQualified);
        this.clockBase = clockMillis.getAsLong();
        clearPcrs();
    }

    /** A TPM whose clock counts milliseconds of wall time since it was made. */
    public static SoftwareTpm create() {
        return new SoftwareTpm(() -> System.nanoTime() / 1_000_000);
    }

    /** A TPM whose clock follows the given milliseconds (e.g. a test clock). */
    public static SoftwareTpm create(LongSupplier clockMillis) {
        return new SoftwareTpm(clockMillis);
    }

    /** The AK as a verifier should know it: public key, Name and qualified Name. */
    public AttestationKey attestationKey() {
        return attestationKey;
    }

    /** The AK's TPM2B_PUBLIC, as {@code tpm2_createak -u} writes it. */
    public byte[] akPublic() {
        return akPublic.clone();
    }

    /** TPM2_PCR_Extend on the SHA-256 bank: new = SHA-256(old || digest). */
    public synchronized void extend(int pcr, byte[] digest) {
        checkPcr(pcr);
        if (digest.length != HashAlg.SHA256.digestSize()) {
            throw new AttestationException("extend: a SHA-256 digest has 32 bytes, not " + digest.length);
        }
        pcrs[pcr] = HashAlg.SHA256.digest(pcrs[pcr], digest);
    }

    public synchronized byte[] pcr(int pcr) {
        checkPcr(pcr);
        return pcrs[pcr].clone();
    }

    /** A TPM Restart (Shutdown(STATE) then Startup(STATE)): restartCount goes up, PCRs are kept. */
    public synchronized void restart() {
        restartCount++;
    }

    /** A TPM Reset (power cycle): resetCount goes up, restartCount and PCRs start over. */
    public synchronized void reset() {
        resetCount++;
        restartCount = 0;
        clearPcrs();
    }

    /** Marks the clock unsafe, as a TPM does after an orderly shutdown was missed. */
    public synchronized void setSafe(boolean safe) {
        this.safe = safe;
    }

    /** TPM2_Quote over the SHA-256 bank, signed with ECDSA-SHA256, plus the PCR values tpm2_quote -o writes. */
    public synchronized Quote quote(byte[] nonce, PcrSelection selection) {
        List<byte[]> values = new ArrayList<>(selection.count());
        for (PcrSelection.Bank bank : selection.banks()) {
            if (bank.hash() != HashAlg.SHA256) {
                throw new AttestationException("software TPM has only a SHA-256 bank, not " + bank.hash());
            }
            for (int pcr : bank.pcrs()) {
                checkPcr(pcr);
                values.add(pcrs[pcr].clone());
            }
        }
        byte[] digest = HashAlg.SHA256.digest(values.toArray(new byte[0][]));
        ClockInfo clock = new ClockInfo(clockMillis.getAsLong() - clockBase, resetCount, restartCount, safe);
        byte[] attest = new TpmsAttest(attestationKey.qualifiedName().orElseThrow(), nonce.clone(), clock,
                FIRMWARE_VERSION, selection, digest).encode();
        byte[][] rs = Ecdsa.fromDer(Signatures.sign("SHA256withECDSA", ak.getPrivate(), attest), 32);
        byte[] signature = new TpmtSignature.Ecdsa(HashAlg.SHA256, rs[0], rs[1]).encode();
        return new Quote(attest, signature, new PcrValues(selection, values).encode());
    }

    private void clearPcrs() {
        for (int i = 0; i < PCR_COUNT; i++) {
            pcrs[i] = new byte[HashAlg.SHA256.digestSize()];
        }
    }

    private static void checkPcr(int pcr) {
        if (pcr < 0 || pcr >= PCR_COUNT) {
            throw new AttestationException("PCR " + pcr + " outside 0.." + (PCR_COUNT - 1));
        }
    }
}
