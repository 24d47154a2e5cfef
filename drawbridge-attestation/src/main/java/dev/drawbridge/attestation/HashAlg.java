package dev.drawbridge.attestation;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** TPM_ALG_ID values of the hash algorithms a PCR bank or a signature may use (TCG TPM 2.0 Part 2, 6.3). */
public enum HashAlg {
    SHA1(0x0004, 20, "SHA-1"),
    SHA256(0x000B, 32, "SHA-256"),
    SHA384(0x000C, 48, "SHA-384"),
    SHA512(0x000D, 64, "SHA-512"),
    SM3_256(0x0012, 32, "SM3");

    private final int id;
    private final int digestSize;
    private final String jcaName;

    HashAlg(int id, int digestSize, String jcaName) {
        this.id = id;
        this.digestSize = digestSize;
        this.jcaName = jcaName;
    }

    /** The TPM_ALG_ID. */
    public int id() {
        return id;
    }

    /** Size in bytes of a digest (the TPMU_HA member). */
    public int digestSize() {
        return digestSize;
    }

    /** The JCA MessageDigest name. */
    public String jcaName() {
        return jcaName;
    }

    /** The algorithm with this TPM_ALG_ID, if it is a hash this module knows. */
    public static Optional<HashAlg> byId(int id) {
        for (HashAlg alg : values()) {
            if (alg.id == id) {
                return Optional.of(alg);
            }
        }
        return Optional.empty();
    }

    static HashAlg require(int id, String field) {
        return byId(id).orElseThrow(() -> new AttestationException(
                field + ": unsupported hash algorithm 0x" + String.format("%04x", id)));
    }

    /** A new MessageDigest for this algorithm; SM3 needs a provider that has it. */
    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new AttestationException("no JCA provider for " + jcaName, e);
        }
    }

    /** The digest of the concatenation of the parts. */
    public byte[] digest(byte[]... parts) {
        MessageDigest md = newDigest();
        for (byte[] part : parts) {
            md.update(part);
        }
        return md.digest();
    }
}
