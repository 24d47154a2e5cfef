package dev.drawbridge.oauth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The vendors whose signature on a software statement (RFC 7591 §2.3) this server accepts: a name and public keys
 * for each. A statement verified by one of them says which vendor vouches for the client's software.
 */
public final class VendorKeys {
    private final Map<String, JWKSet> vendors;
    private final Clock clock;

    public VendorKeys(Map<String, JWKSet> vendors, Clock clock) {
        this.vendors = new LinkedHashMap<>(vendors);
        this.clock = clock;
        this.vendors.replaceAll((name, set) -> set.toPublicJWKSet());
    }

    public static VendorKeys none(Clock clock) {
        return new VendorKeys(Map.of(), clock);
    }

    /** What checking a statement found. */
    public sealed interface Checked {}

    public record Verified(RegistrationPolicy.Statement statement) implements Checked {}

    /** Not usable: {@code unknownVendor} when no configured key verifies it, otherwise malformed or expired. */
    public record Refused(boolean unknownVendor, String reason) implements Checked {}

    public Checked check(SignedJWT statement) {
        JWTClaimsSet claims;
        try {
            claims = statement.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Refused(false, "the software statement's claims are not a JSON object: " + e.getMessage());
        }
        Date exp = claims.getExpirationTime();
        if (exp != null && !exp.after(Date.from(clock.instant()))) {
            return new Refused(false, "the software statement expired at " + exp.toInstant());
        }
        String kid = statement.getHeader().getKeyID();
        DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
        for (Map.Entry<String, JWKSet> v : vendors.entrySet()) {
            for (JWK key : v.getValue().getKeys()) {
                if (kid != null && key.getKeyID() != null && !kid.equals(key.getKeyID())) {
                    continue;
                }
                if (verifies(factory, statement, key)) {
                    return new Verified(new RegistrationPolicy.Statement(v.getKey(), claims));
                }
            }
        }
        return new Refused(true, "no configured vendor key verifies the software statement"
                + (kid == null ? "" : " (kid " + kid + ")"));
    }


    private static boolean verifies(DefaultJWSVerifierFactory factory, SignedJWT jwt, JWK key) {
        if (!(key instanceof AsymmetricJWK asym)) {
            return false;
        }
        try {
            JWSVerifier verifier = factory.createJWSVerifier(jwt.getHeader(), asym.toPublicKey());
            return jwt.verify(verifier);
        } catch (JOSEException | IllegalStateException e) {
            return false;
        }
    }
}
