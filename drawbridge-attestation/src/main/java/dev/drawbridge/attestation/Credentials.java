package dev.drawbridge.attestation;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * TPM2_MakeCredential in software (TCG TPM 2.0 Part 1, 24 "Credential Protection"): binds an
 * attestation key to an endorsement key. The verifier encrypts a secret so that only the TPM that
 * holds the EK's private key <em>and</em> has an object loaded whose Name is {@code akName} can
 * recover it with TPM2_ActivateCredential.
 *
 * <p>Only the RSA-2048 EK of the TCG EK credential profile (template L-1: nameAlg SHA-256,
 * AES-128-CFB symmetric) is supported:
 * <ul>
 * <li>seed = 32 random bytes, sent as RSA-OAEP(SHA-256, MGF1-SHA-256, label "IDENTITY\0");</li>
 * <li>symKey = KDFa(SHA-256, seed, "STORAGE", akName, "", 128);
 *     hmacKey = KDFa(SHA-256, seed, "INTEGRITY", "", "", 256);</li>
 * <li>encIdentity = AES-128-CFB(symKey, iv = 0) of TPM2B_DIGEST(secret);</li>
 * <li>outerHMAC = HMAC-SHA-256(hmacKey, encIdentity || akName);</li>
 * <li>credentialBlob = TPM2B_ID_OBJECT = u16 size || TPM2B_DIGEST(outerHMAC) || encIdentity.</li>
 * </ul>
 */
public final class Credentials {
    /** Magic number at the start of a {@code tpm2_makecredential -o} file (tpm2-tools 5.x). */
    public static final int TPM2_TOOLS_MAGIC = 0xBADCC0DE;
    /** The version tpm2-tools 5.x writes after the magic number. */
    public static final int TPM2_TOOLS_VERSION = 1;

    private static final HashAlg EK_NAME_ALG = HashAlg.SHA256;
    private static final int EK_RSA_BITS = 2048;
    private static final int SYM_KEY_BITS = 128;
    private static final byte[] IDENTITY_LABEL = "IDENTITY\0".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Credentials() {}

    /**
     * A made credential: both fields are the marshalled TPM2B structures TPM2_ActivateCredential
     * takes (each with its u16 size prefix).
     *
     * @param credentialBlob  the TPM2B_ID_OBJECT
     * @param encryptedSecret the TPM2B_ENCRYPTED_SECRET (the OAEP-encrypted seed)
     */
    public record MadeCredential(byte[] credentialBlob, byte[] encryptedSecret) {
        public MadeCredential {
            credentialBlob = credentialBlob.clone();
            encryptedSecret = encryptedSecret.clone();
        }

        @Override
        public byte[] credentialBlob() {
            return credentialBlob.clone();
        }

        @Override
        public byte[] encryptedSecret() {
            return encryptedSecret.clone();
        }

        /**
         * The file {@code tpm2_makecredential -o} writes and {@code tpm2_activatecredential -i}
         * reads: u32 magic 0xBADCC0DE, u32 version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET,
         * all big-endian.
         */
        public byte[] toTpm2ToolsFile() {
            return TpmWriter.bigEndian().u32(TPM2_TOOLS_MAGIC).u32(TPM2_TOOLS_VERSION)
                    .bytes(credentialBlob).bytes(encryptedSecret).toByteArray();
        }

        /** Reads a {@code tpm2_makecredential -o} file. */
        public static MadeCredential fromTpm2ToolsFile(byte[] file) {
            TpmReader r = TpmReader.bigEndian(file, "tpm2_makecredential file");
            long magic = r.u32("magic");
            if (magic != (TPM2_TOOLS_MAGIC & 0xFFFFFFFFL)) {
                throw r.fail("magic 0x" + Long.toHexString(magic) + " is not 0xbadcc0de");
            }
            long version = r.u32("version");
            if (version != TPM2_TOOLS_VERSION) {
                throw r.fail("version " + version + " is not " + TPM2_TOOLS_VERSION);
            }
            byte[] blob = r.tpm2b("credentialBlob", 2 + 64 + 2 + 64);
            byte[] secret = r.tpm2b("secret", 512);
            r.end();
            return new MadeCredential(TpmWriter.bigEndian().tpm2b(blob).toByteArray(),
                    TpmWriter.bigEndian().tpm2b(secret).toByteArray());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MadeCredential m && Arrays.equals(credentialBlob, m.credentialBlob)
                    && Arrays.equals(encryptedSecret, m.encryptedSecret);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(credentialBlob) + Arrays.hashCode(encryptedSecret);
        }

        @Override
        public String toString() {
            return "MadeCredential[credentialBlob=" + credentialBlob.length + " bytes, encryptedSecret="
                    + encryptedSecret.length + " bytes]";
        }
    }

    /** {@link #make(PublicKey, byte[], byte[], SecureRandom)} with a shared SecureRandom. */
    public static MadeCredential make(PublicKey ekPublic, byte[] akName, byte[] secret) {
        return make(ekPublic, akName, secret, RANDOM);
    }

    /**
     * Makes a credential that only the TPM holding {@code ekPublic}'s private key, with an object
     * named {@code akName} loaded, can activate to recover {@code secret}.
     *
     * @param ekPublic an RSA-2048 EK public key (nameAlg SHA-256, AES-128-CFB, as in template L-1)
     * @param akName   the AK's TPM Name (nameAlg || digest), e.g. {@code tpm2_createak -n}
     * @param secret   1 to 32 bytes (a TPM2B_DIGEST no larger than the EK's nameAlg digest)
     */
    public static MadeCredential make(PublicKey ekPublic, byte[] akName, byte[] secret, SecureRandom random) {
        requireRsa2048(ekPublic);
        requireName(akName);
        if (secret.length < 1 || secret.length > EK_NAME_ALG.digestSize()) {
            throw new AttestationException("credential secret of " + secret.length + " bytes: must be 1 to "
                    + EK_NAME_ALG.digestSize());
        }
        byte[] seed = new byte[EK_NAME_ALG.digestSize()];
        random.nextBytes(seed);
        try {
            byte[] encryptedSeed = oaep(Cipher.ENCRYPT_MODE, ekPublic).doFinal(seed);
            byte[] symKey = kdfa(EK_NAME_ALG, seed, "STORAGE", akName, new byte[0], SYM_KEY_BITS);
            byte[] hmacKey = kdfa(EK_NAME_ALG, seed, "INTEGRITY", new byte[0], new byte[0],
                    EK_NAME_ALG.digestSize() * 8);
            byte[] encIdentity = cfb(Cipher.ENCRYPT_MODE, symKey)
                    .doFinal(TpmWriter.bigEndian().tpm2b(secret).toByteArray());
            byte[] outerHmac = hmac(hmacKey, encIdentity, akName);
            byte[] idObject = TpmWriter.bigEndian().tpm2b(outerHmac).bytes(encIdentity).toByteArray();
            Arrays.fill(seed, (byte) 0);
            Arrays.fill(symKey, (byte) 0);
            Arrays.fill(hmacKey, (byte) 0);
            return new MadeCredential(TpmWriter.bigEndian().tpm2b(idObject).toByteArray(),
                    TpmWriter.bigEndian().tpm2b(encryptedSeed).toByteArray());
        } catch (GeneralSecurityException e) {
            throw new AttestationException("MakeCredential: " + e.getMessage(), e);
        }
    }

    /**
     * TPM2_ActivateCredential in software, given the EK's private key: for tests and software TPMs.
     * Fails with an {@link AttestationException} when the integrity check fails (a credential made
     * for another Name or another EK, or a tampered blob).
     */
    static byte[] activate(PrivateKey ekPrivate, byte[] akName, MadeCredential credential) {
        requireName(akName);
        TpmReader blob = TpmReader.bigEndian(credential.credentialBlob, "TPM2B_ID_OBJECT");
        byte[] idObject = blob.tpm2b("credentialBlob", 2 + 64 + 2 + 64);
        blob.end();
        TpmReader id = TpmReader.bigEndian(idObject, "TPMS_ID_OBJECT");
        byte[] integrity = id.tpm2b("integrityHMAC", 64);
        byte[] encIdentity = id.bytes(id.remaining(), "encIdentity");
        TpmReader sec = TpmReader.bigEndian(credential.encryptedSecret, "TPM2B_ENCRYPTED_SECRET");
        byte[] encryptedSeed = sec.tpm2b("secret", 512);
        sec.end();
        try {
            byte[] seed = oaep(Cipher.DECRYPT_MODE, ekPrivate).doFinal(encryptedSeed);
            byte[] hmacKey = kdfa(EK_NAME_ALG, seed, "INTEGRITY", new byte[0], new byte[0],
                    EK_NAME_ALG.digestSize() * 8);
            if (!MessageDigest.isEqual(integrity, hmac(hmacKey, encIdentity, akName))) {
                throw new AttestationException("ActivateCredential: integrity check failed (wrong Name or EK)");
            }
            byte[] symKey = kdfa(EK_NAME_ALG, seed, "STORAGE", akName, new byte[0], SYM_KEY_BITS);
            byte[] plain = cfb(Cipher.DECRYPT_MODE, symKey).doFinal(encIdentity);
            TpmReader digest = TpmReader.bigEndian(plain, "TPM2B_DIGEST credential");
            byte[] secret = digest.tpm2b("credential", 64);
            digest.end();
            return secret;
        } catch (GeneralSecurityException e) {
            throw new AttestationException("ActivateCredential: " + e.getMessage(), e);
        }
    }

    /** Compares the secret sent with the one the TPM returned, in time independent of where they differ. */
    public static boolean check(byte[] expected, byte[] returned) {
        return expected != null && returned != null && expected.length > 0
                && MessageDigest.isEqual(expected, returned);
    }

    /**
     * KDFa (TCG TPM 2.0 Part 1, 11.4.10.2; SP 800-108 counter mode with HMAC): the label is used
     * with its terminating zero octet, then contextU, contextV and the output size in bits.
     */
    static byte[] kdfa(HashAlg alg, byte[] key, String label, byte[] contextU, byte[] contextV, int bits) {
        try {
            Mac mac = Mac.getInstance(hmacName(alg));
            mac.init(new SecretKeySpec(key, mac.getAlgorithm()));
            int bytes = (bits + 7) / 8;
            byte[] out = new byte[bytes];
            byte[] labelBytes = label.getBytes(StandardCharsets.US_ASCII);
            int done = 0;
            for (int counter = 1; done < bytes; counter++) {
                mac.update(TpmWriter.bigEndian().u32(counter).toByteArray());
                mac.update(labelBytes);
                mac.update((byte) 0);
                mac.update(contextU);
                mac.update(contextV);
                mac.update(TpmWriter.bigEndian().u32(bits).toByteArray());
                byte[] block = mac.doFinal();
                int n = Math.min(block.length, bytes - done);
                System.arraycopy(block, 0, out, done, n);
                done += n;
            }
            if (bits % 8 != 0) {
                out[0] &= (byte) (0xFF >>> (8 - bits % 8));
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new AttestationException("KDFa: " + e.getMessage(), e);
        }
    }

    private static String hmacName(HashAlg alg) {
        return switch (alg) {
            case SHA1 -> "HmacSHA1";
            case SHA256 -> "HmacSHA256";
            case SHA384 -> "HmacSHA384";
            case SHA512 -> "HmacSHA512";
            case SM3_256 -> throw new AttestationException("KDFa: no HMAC-SM3");
        };
    }

    private static byte[] hmac(byte[] key, byte[]... parts) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(hmacName(EK_NAME_ALG));
        mac.init(new SecretKeySpec(key, mac.getAlgorithm()));
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }

    private static Cipher oaep(int mode, Key key) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
        c.init(mode, key, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
                new PSource.PSpecified(IDENTITY_LABEL)));
        return c;
    }

    private static Cipher cfb(int mode, byte[] key) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/CFB/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
        return c;
    }

    private static void requireRsa2048(PublicKey ekPublic) {
        if (!(ekPublic instanceof RSAPublicKey rsa)) {
            throw new AttestationException("MakeCredential: EK is " + (ekPublic == null ? "null" : ekPublic.getAlgorithm())
                    + ", only RSA-2048 EKs are supported");
        }
        if (rsa.getModulus().bitLength() != EK_RSA_BITS) {
            throw new AttestationException("MakeCredential: RSA EK of " + rsa.getModulus().bitLength()
                    + " bits, only RSA-2048 is supported");
        }
    }

    private static void requireName(byte[] akName) {
        HashAlg alg = TpmName.algorithmOf(akName);
        if (akName.length != 2 + alg.digestSize()) {
            throw new AttestationException("AK Name of " + akName.length + " bytes: a " + alg
                    + " Name has " + (2 + alg.digestSize()));
        }
    }
}
