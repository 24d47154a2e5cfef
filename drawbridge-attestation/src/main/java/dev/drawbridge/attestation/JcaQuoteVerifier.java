package dev.drawbridge.attestation;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/** {@link QuoteVerifier} over JCA signatures; collects every failed check, not just the first. */
final class JcaQuoteVerifier implements QuoteVerifier {
    private static final HexFormat HEX = HexFormat.of();

    @Override
    public Verdict verify(Quote quote, Expectations exp) {
        try {
            return check(quote, exp);
        } catch (AttestationException e) {
            // e.g. a hash algorithm the JCA lacks (SM3): the quote cannot be checked, so it is not trusted
            return new Verdict.Failed(List.of(new Verdict.Reason(FailureCode.MALFORMED, e.getMessage())));
        }
    }

    private Verdict check(Quote quote, Expectations exp) {
        TpmsAttest attest;
        TpmtSignature signature;
        PcrValues pcrs;
        try {
            attest = TpmsAttest.parse(quote.attest());
            signature = TpmtSignature.parse(quote.signature());
            pcrs = PcrValues.parse(quote.pcrs());
        } catch (AttestationException e) {
            return new Verdict.Failed(List.of(new Verdict.Reason(FailureCode.MALFORMED, e.getMessage())));
        }
        List<Verdict.Reason> reasons = new ArrayList<>(2);
        checkSignature(quote.attest(), signature, exp.key().publicKey()).ifPresent(d -> fail(reasons, FailureCode.BAD_SIGNATURE, d));
        exp.key().qualifiedName().ifPresent(qn -> {
            if (!MessageDigest.isEqual(qn, attest.qualifiedSigner())) {
                fail(reasons, FailureCode.WRONG_AK, "qualifiedSigner " + HEX.formatHex(attest.qualifiedSigner())
                        + " is not the AK's qualified Name " + HEX.formatHex(qn));
            }
        });
        if (!MessageDigest.isEqual(exp.nonce(), attest.extraData())) {
            fail(reasons, FailureCode.WRONG_NONCE, "extraData " + HEX.formatHex(attest.extraData())
                    + " is not the nonce " + HEX.formatHex(exp.nonce()));
        }
        checkClock(attest.clockInfo(), reasons);
        exp.previousClock().ifPresent(p -> checkClockAfter(attest.clockInfo(), p, reasons));
        checkSelection(attest.pcrSelect(), exp.required(), reasons);
        boolean digestMatches = checkDigest(attest, signature.hash(), pcrs, reasons);
        if (digestMatches) {
            // Unauthenticated values say nothing about the machine, so only compare authenticated ones.
            checkReference(attest.pcrSelect(), pcrs, exp.reference(), reasons);
        }
        if (reasons.isEmpty()) {
            return new Verdict.Trusted(attest, pcrs);
        }
        boolean onlyReference = reasons.stream().allMatch(r -> r.code() == FailureCode.REFERENCE_MISMATCH);
        return new Verdict.Failed(reasons, onlyReference ? Optional.of(pcrs) : Optional.empty());
    }

    private static void fail(List<Verdict.Reason> reasons, FailureCode code, String detail) {
        reasons.add(new Verdict.Reason(code, detail));
    }

    /** The reason the signature fails, or empty when it verifies. */
    static Optional<String> checkSignature(byte[] signed, TpmtSignature sig, PublicKey key) {
        try {
            return switch (sig) {
                case TpmtSignature.Ecdsa e when key instanceof ECPublicKey ->
                        result(Signatures.verify(e.hash().jcaName().replace("-", "") + "withECDSA", null, key, signed,
                                Ecdsa.toDer(e.r(), e.s())));
                case TpmtSignature.Rsassa r when key instanceof RSAPublicKey ->
                        result(Signatures.verify(r.hash().jcaName().replace("-", "") + "withRSA", null, key, signed, r.sig()));
                case TpmtSignature.Rsapss p when key instanceof RSAPublicKey rsa -> result(
                        Signatures.verifyPss(p.hash(), p.hash().digestSize(), rsa, signed, p.sig())
                        || Signatures.verifyPss(p.hash(), maxSalt(rsa, p.hash()), rsa, signed, p.sig()));
                default -> Optional.of(sig.getClass().getSimpleName().toUpperCase() + " signature cannot come from a "
                        + key.getAlgorithm() + " AK");
            };
        } catch (GeneralSecurityException | AttestationException e) {
            return Optional.of("signature unusable: " + e.getMessage());
        }
    }

    private static Optional<String> result(boolean ok) {
        return ok ? Optional.empty() : Optional.of("the AK's signature over TPMS_ATTEST does not verify");
    }

    /** Older TPMs use the largest salt the key allows rather than the digest length (TPM 2.0 Part 1, B.7). */
    private static int maxSalt(RSAPublicKey key, HashAlg hash) {
        return (key.getModulus().bitLength() + 7) / 8 - hash.digestSize() - 2;
    }

    private static void checkClock(ClockInfo clock, List<Verdict.Reason> reasons) {
        if (!clock.safe()) {
            fail(reasons, FailureCode.CLOCK_NOT_SAFE, "the TPM reports its clock may have gone backwards (safe = NO)");
        }
    }

    private static void checkClockAfter(ClockInfo clock, ClockInfo previous, List<Verdict.Reason> reasons) {
        if (clock.isBefore(previous)) {
            fail(reasons, FailureCode.CLOCK_WENT_BACKWARDS,
                    "clock " + describe(clock) + " is earlier than the previous " + describe(previous));
        }
    }

    private static String describe(ClockInfo c) {
        return "(resetCount " + c.resetCount() + ", restartCount " + c.restartCount() + ", clock " + c.clock() + ")";
    }

    private static void checkSelection(PcrSelection quoted, PcrSelection required, List<Verdict.Reason> reasons) {
        for (PcrSelection.Bank bank : required.banks()) {
            List<Integer> missing = bank.pcrs().stream().filter(p -> !quoted.contains(bank.hash(), p)).toList();
            if (!missing.isEmpty()) {
                fail(reasons, FailureCode.MISSING_PCR, "the quote does not cover " + bank.hash() + " PCRs " + missing);
            }
        }
    }

    /** pcrDigest = H_scheme(values of pcrSelect, in bank order then ascending PCR) (TPM 2.0 Part 3, 18.4). */
    private static boolean checkDigest(TpmsAttest attest, HashAlg hash, PcrValues pcrs, List<Verdict.Reason> reasons) {
        MessageDigest md = hash.newDigest();
        for (PcrSelection.Bank bank : attest.pcrSelect().banks()) {
            for (int pcr : bank.pcrs()) {
                Optional<byte[]> value = pcrs.value(bank.hash(), pcr);
                if (value.isEmpty()) {
                    fail(reasons, FailureCode.PCR_DIGEST_MISMATCH, "the PCR file lacks quoted " + bank.hash() + " PCR " + pcr);
                    return false;
                }
                md.update(value.get());
            }
        }
        byte[] actual = md.digest();
        if (!MessageDigest.isEqual(actual, attest.pcrDigest())) {
            fail(reasons, FailureCode.PCR_DIGEST_MISMATCH, "the reported PCR values hash to " + HEX.formatHex(actual)
                    + ", the quote's pcrDigest is " + HEX.formatHex(attest.pcrDigest()));
            return false;
        }
        return true;
    }

    private static void checkReference(PcrSelection quoted, PcrValues pcrs, ReferenceValues reference,
                                       List<Verdict.Reason> reasons) {
        for (Map.Entry<HashAlg, SortedMap<Integer, byte[]>> bank : reference.banks().entrySet()) {
            for (Map.Entry<Integer, byte[]> golden : bank.getValue().entrySet()) {
                int pcr = golden.getKey();
                Optional<byte[]> actual = quoted.contains(bank.getKey(), pcr) ? pcrs.value(bank.getKey(), pcr) : Optional.empty();
                if (actual.isEmpty()) {
                    fail(reasons, FailureCode.MISSING_PCR, "the quote does not cover " + bank.getKey() + " PCR " + pcr
                            + ", which has a reference value");
                } else if (!MessageDigest.isEqual(actual.get(), golden.getValue())) {
                    fail(reasons, FailureCode.REFERENCE_MISMATCH, bank.getKey() + " PCR " + pcr + ": expected "
                            + HEX.formatHex(golden.getValue()) + ", actual " + HEX.formatHex(actual.get()));
                }
            }
        }
    }
}
