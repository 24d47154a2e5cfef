package dev.drawbridge.pki;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.crypto.impl.ECDSA;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.Optional;
import java.util.Set;

/**
 * Compact JWS (RFC 7515) signed by the CA key, for bootstrap payloads. Signing goes through the CA's own
 * signer, so it works the same for a PKCS#12 key and for a key that never leaves a PKCS#11 token.
 */
public final class Jws {
    /** The {@code typ} header of a Drawbridge bootstrap payload. */
    public static final String PAYLOAD_TYPE = "drawbridge-payload+jws";

    private Jws() {}

    static String sign(CaSigner signer, X509Certificate root, String json) {
        JWSAlgorithm alg = algorithm(root);
        JWSHeader header = new JWSHeader.Builder(alg).type(new JOSEObjectType(PAYLOAD_TYPE)).build();
        JWSObject jws = new JWSObject(header, new Payload(json));
        try {
            jws.sign(new JWSSigner() {
                @Override
                public Base64URL sign(JWSHeader h, byte[] signingInput) throws JOSEException {
                    byte[] der = signer.sign(signingInput);
                    if (alg.equals(JWSAlgorithm.RS256)) {
                        return Base64URL.encode(der);
                    }
                    // RFC 7518 §3.4: ECDSA signatures in JWS are R || S, not DER.
                    return Base64URL.encode(ECDSA.transcodeSignatureToConcat(der,
                            ECDSA.getSignatureByteArrayLength(alg)));
                }

                @Override
                public Set<JWSAlgorithm> supportedJWSAlgorithms() {
                    return Set.of(alg);
                }

                @Override
                public JCAContext getJCAContext() {
                    return new JCAContext();
                }
            });
        } catch (JOSEException e) {
            throw new PkiException("cannot sign payload: " + e.getMessage(), e);
        }
        return jws.serialize();
    }

    /** The payload of a compact JWS if {@code root}'s key signed it and its type is ours; otherwise empty. */
    public static Optional<String> verify(String compact, X509Certificate root) {
        try {
            JWSObject jws = JWSObject.parse(compact.strip());
            if (!jws.getHeader().getAlgorithm().equals(algorithm(root))
                    || jws.getHeader().getType() == null
                    || !PAYLOAD_TYPE.equals(jws.getHeader().getType().getType())) {
                return Optional.empty();
            }
            JWSVerifier verifier = root.getPublicKey() instanceof ECPublicKey ec ? new ECDSAVerifier(ec)
                    : new RSASSAVerifier((RSAPublicKey) root.getPublicKey());
            return jws.verify(verifier) ? Optional.of(jws.getPayload().toString()) : Optional.empty();
        } catch (ParseException | JOSEException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The JWS payload without checking its signature, to find the root it claims to be signed by. */
    public static Optional<String> unverifiedPayload(String compact) {
        try {
            return Optional.of(JWSObject.parse(compact.strip()).getPayload().toString());
        } catch (ParseException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static JWSAlgorithm algorithm(X509Certificate root) {
        if (root.getPublicKey() instanceof ECPublicKey ec) {
            return ec.getParams().getOrder().bitLength() > 256 ? JWSAlgorithm.ES384 : JWSAlgorithm.ES256;
        }
        return JWSAlgorithm.RS256;
    }
}
