package dev.drawbridge.attestation;

/**
 * TPM object Names and qualified Names (TCG TPM 2.0 Part 1, 16). A Name is nameAlg || H(TPMT_PUBLIC);
 * a qualified Name is nameAlg || H(parent's qualified Name || Name), and a hierarchy's qualified
 * Name is its handle. A quote's qualifiedSigner is the AK's qualified Name.
 */
public final class TpmName {
    /** TPM_RH_ENDORSEMENT, the hierarchy an EK and an AK under it live in. */
    public static final int TPM_RH_ENDORSEMENT = 0x4000000B;

    private TpmName() {}

    /** The Name of an object: nameAlg (u16) || H_nameAlg(marshalled TPMT_PUBLIC). */
    public static byte[] of(HashAlg nameAlg, byte[] tpmtPublic) {
        return prefixed(nameAlg, nameAlg.digest(tpmtPublic));
    }

    /** The qualified Name of a hierarchy: its 4-byte handle. */
    public static byte[] hierarchy(int handle) {
        return TpmWriter.bigEndian().u32(handle).toByteArray();
    }

    /** The qualified Name of a child: nameAlg || H_nameAlg(parentQualifiedName || childName). */
    public static byte[] qualified(HashAlg nameAlg, byte[] parentQualifiedName, byte[] childName) {
        return prefixed(nameAlg, nameAlg.digest(parentQualifiedName, childName));
    }

    /** The hash algorithm a Name starts with. */
    public static HashAlg algorithmOf(byte[] name) {
        if (name.length < 2) {
            throw new AttestationException("TPM2B_NAME of " + name.length + " bytes has no nameAlg");
        }
        return HashAlg.require(((name[0] & 0xFF) << 8) | (name[1] & 0xFF), "TPM2B_NAME nameAlg");
    }

    private static byte[] prefixed(HashAlg alg, byte[] digest) {
        return TpmWriter.bigEndian().u16(alg.id()).bytes(digest).toByteArray();
    }
}
