package dev.drawbridge.pki;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/**
 * Signs with the CA key through a JCA provider: the token's provider for a PKCS#11 key, else whatever is
 * installed first (ACCP when it loads). BouncyCastle only frames the bytes. Initialised {@link Signature}
 * objects are pooled without locks because {@code initSign} costs more than the signature itself under
 * some providers, and callers may be thousands of virtual threads (a ThreadLocal would not be reused).
 */
final class CaSigner {
    private final PrivateKey key;
    private final Optional<Provider> provider;
    private final String algorithm;
    private final AlgorithmIdentifier algorithmId;
    private final ConcurrentLinkedQueue<Signature> pool = new ConcurrentLinkedQueue<>();

    /** Signs through {@code provider} (a PKCS#11 token's). */
    CaSigner(PrivateKey key, PublicKey publicKey, Provider provider) {
        this(key, publicKey, Optional.of(provider));
    }

    /** Signs through whichever provider {@code Signature.getInstance} picks. */
    CaSigner(PrivateKey key, PublicKey publicKey) {
        this(key, publicKey, Optional.empty());
    }

    private CaSigner(PrivateKey key, PublicKey publicKey, Optional<Provider> provider) {
        this.key = key;
        this.provider = provider;
        this.algorithm = algorithmFor(publicKey);
        this.algorithmId = new DefaultSignatureAlgorithmIdentifierFinder().find(algorithm);
    }

    /** RFC 5758 §3.2: ECDSA with a hash matching the curve strength; RFC 4055: SHA-256 with RSA. */
    static String algorithmFor(PublicKey publicKey) {
        if (publicKey instanceof ECPublicKey ec) {
            return ec.getParams().getOrder().bitLength() > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
        }
        if (publicKey.getAlgorithm().equals("RSA")) {
            return "SHA256withRSA";
        }
        throw new PkiException("CA key type " + publicKey.getAlgorithm() + " is not supported");
    }

    /** The provider an ordinary {@code Signature.getInstance} picks for a key like {@code publicKey}. */
    static Provider defaultProvider(PublicKey publicKey) {
        try {
            return Signature.getInstance(algorithmFor(publicKey)).getProvider();
        } catch (GeneralSecurityException e) {
            throw new PkiException("no provider signs " + algorithmFor(publicKey), e);
        }
    }

    AlgorithmIdentifier algorithmId() {
        return algorithmId;
    }

    /** A fresh one-shot BouncyCastle signer: buffers the to-be-signed bytes, signs them on demand. */
    ContentSigner contentSigner() {
        return new ContentSigner() {
            private final ByteArrayOutputStream tbs = new ByteArrayOutputStream(512);

            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return algorithmId;
            }

            @Override
            public OutputStream getOutputStream() {
                return tbs;
            }

            @Override
            public byte[] getSignature() {
                return sign(tbs.toByteArray());
            }
        };
    }

    byte[] sign(byte[] data) {
        Signature s = pool.poll();
        try {
            if (s == null) {
                s = provider.isPresent() ? Signature.getInstance(algorithm, provider.get())
                        : Signature.getInstance(algorithm);
                s.initSign(key);
            }
            s.update(data);
            byte[] signature = s.sign(); // sign() resets the object to its initSign state, so it can be reused
            pool.offer(s);
            return signature;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException("CA signing with " + algorithm + " failed: " + e.getMessage(), e);
        }
    }
}
