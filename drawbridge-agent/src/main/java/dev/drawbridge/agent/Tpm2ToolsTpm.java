package dev.drawbridge.agent;

import dev.drawbridge.protocol.AkResult;
import dev.drawbridge.protocol.CredentialResult;
import dev.drawbridge.protocol.QuoteResult;
import dev.drawbridge.attestation.AttestationException;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.PcrValues;
import dev.drawbridge.attestation.TpmsAttest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real TPM (or swtpm) through tpm2-tools subprocesses, reached with {@code TPM2TOOLS_TCTI}.
 *
 * <p>On first use it makes sure of an endorsement key at {@link #EK_HANDLE} (an existing one is reused, e.g. the RSA
 * EK {@code swtpm_setup --createek} or a platform left there; otherwise an RSA-2048 EK is created and persisted) and an
 * ECC P-256 ECDSA/SHA-256 attestation key under it at {@link #AK_HANDLE}, persisted with {@code tpm2_evictcontrol}
 * (owner hierarchy, empty owner auth) so quotes never load it again. A key already at the AK handle is reused if it
 * is a restricted signing ECC key; anything else there is left alone and reported. The AK's TPM2B_PUBLIC and
 * qualified Name are kept in the data directory ({@code tpm-ak.pub}, {@code tpm-ak.qname}), and the TPM is the
 * authority when the two disagree.
 *
 * <p>Without a resource manager (swtpm over TCP) the TPM holds 3 transient objects, so every step that loads one
 * is followed by {@code tpm2_flushcontext}. Quotes use the persistent AK and load nothing.
 *
 * <p>{@code tpm2_quote} sends TPM2_Quote and then a separate TPM2_PCR_Read; a PCR extended in between leaves a PCR
 * file that does not match the signed pcrDigest. Each quote is checked and retaken up to {@link #QUOTE_RETRIES}
 * times, so the controller sees a digest mismatch only from a TPM that really is inconsistent.
 */
final class Tpm2ToolsTpm implements Tpm {
    private static final Logger LOG = LoggerFactory.getLogger(Tpm2ToolsTpm.class);
    static final String EK_HANDLE = "0x81010001";
    static final String AK_HANDLE = "0x81010002";
    static final String AK_PUBLIC_FILE = "tpm-ak.pub";
    static final String AK_QNAME_FILE = "tpm-ak.qname";
    static final String EK_PUBLIC_FILE = "tpm-ek.pub";
    /** Retakes of a quote whose PCR file does not match its pcrDigest (the quote/PCR-read race). */
    static final int QUOTE_RETRIES = 3;
    /** tpm2_quote takes at most 64 bytes of qualifying data (a TPM2B_DATA holding a SHA-512 digest). */
    static final int MAX_NONCE = 64;
    /** Reads, quotes, flushes. */
    static final Duration SHORT = Duration.ofSeconds(30);
    /** Key generation: an RSA EK can take many seconds on a slow discrete TPM. */
    static final Duration KEYGEN = Duration.ofSeconds(120);

    private static final int TPM_ALG_ECC = 0x0023;
    private static final int ATTR_RESTRICTED = 1 << 16;
    private static final int ATTR_DECRYPT = 1 << 17;
    private static final int ATTR_SIGN = 1 << 18;
    private static final Pattern HANDLE_LINE = Pattern.compile("^-\\s*(0x[0-9a-fA-F]{8})\\s*$", Pattern.MULTILINE);

    private final Tpm2ToolsRunner tools;
    private final DataFiles files;
    private final Base64.Encoder b64 = Base64.getEncoder();
    /** The provisioned AK: TPM2B_PUBLIC and qualified Name; null until first use. */
    private byte[][] ak;

    Tpm2ToolsTpm(String tcti, Path dataDir) {
        this(new Tpm2ToolsRunner.Subprocess(tcti), new DataFiles(dataDir));
    }

    Tpm2ToolsTpm(Tpm2ToolsRunner tools, DataFiles files) {
        this.tools = tools;
        this.files = files;
    }

    @Override
    public synchronized AkResult akInfo() {
        byte[][] key = ensureAk();
        Path work = workDir();
        try {
            Path ek = work.resolve("ek.pem");
            tools.run(SHORT, List.of("tpm2_readpublic", "-c", EK_HANDLE, "-f", "pem", "-o", ek.toString()));
            return new AkResult(b64.encodeToString(key[0]), b64.encodeToString(key[1]),
                    Optional.of(Files.readString(ek)), ekCertificate(work).map(b64::encodeToString));
        } catch (IOException e) {
            throw new CommandFailed("cannot read the EK public key: " + e.getMessage(), e);
        } finally {
            deleteTree(work);
        }
    }

    /** The RSA EK certificate a manufacturer (or swtpm_setup) stored in NV index 0x01c00002, if any. */
    private Optional<byte[]> ekCertificate(Path work) {
        Path out = work.resolve("ek.crt");
        try {
            tools.run(SHORT, List.of("tpm2_nvread", "-C", "o", "-o", out.toString(), "0x01c00002"));
            byte[] der = Files.readAllBytes(out);
            // NV reads come back padded to the index size: keep the DER SEQUENCE's own length.
            if (der.length > 4 && (der[0] & 0xff) == 0x30 && (der[1] & 0xff) == 0x82) {
                int len = ((der[2] & 0xff) << 8 | (der[3] & 0xff)) + 4;
                return Optional.of(Arrays.copyOf(der, Math.min(len, der.length)));
            }
            return Optional.of(der);
        } catch (CommandFailed | IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public synchronized CredentialResult activateCredential(byte[] credentialFile) {
        ensureAk();
        Path work = workDir();
        try {
            Path in = Files.write(work.resolve("cred.in"), credentialFile);
            Path session = work.resolve("session.ctx");
            Path out = work.resolve("cred.out");
            // The EK's policy needs PolicySecret(endorsement hierarchy) in a policy session (TPM 2.0 Part 3 §12.5).
            tools.run(SHORT, List.of("tpm2_startauthsession", "--policy-session", "-S", session.toString()));
            try {
                tools.run(SHORT, List.of("tpm2_policysecret", "-S", session.toString(), "-c", "e"));
                tools.run(SHORT, List.of("tpm2_activatecredential", "-c", AK_HANDLE, "-C", EK_HANDLE, "-i",
                        in.toString(), "-o", out.toString(), "-P", "session:" + session));
            } finally {
                tools.run(SHORT, List.of("tpm2_flushcontext", session.toString()));
            }
            return new CredentialResult(b64.encodeToString(Files.readAllBytes(out)));
        } catch (IOException e) {
            throw new CommandFailed("cannot run credential activation: " + e.getMessage(), e);
        } finally {
            deleteTree(work);
        }
    }

    @Override
    public synchronized QuoteResult quote(byte[] nonce, PcrSelection selection) {
        if (selection.count() == 0) {
            throw new CommandFailed("a quote needs at least one PCR");
        }
        if (nonce.length == 0 || nonce.length > MAX_NONCE) {
            throw new CommandFailed("a TPM quote takes a nonce of 1 to " + MAX_NONCE + " bytes, not " + nonce.length);
        }
        ensureAk();
        String pcrList = selectionArgument(selection);
        String nonceHex = HexFormat.of().formatHex(nonce);
        for (int attempt = 0; attempt <= QUOTE_RETRIES; attempt++) {
            Path work = workDir();
            try {
                Path msg = work.resolve("quote.msg");
                Path sig = work.resolve("quote.sig");
                Path pcrs = work.resolve("quote.pcrs");
                tools.run(SHORT, List.of("tpm2_quote", "-c", AK_HANDLE, "-l", pcrList, "-q", nonceHex,
                        "-m", msg.toString(), "-s", sig.toString(), "-o", pcrs.toString(), "-g", "sha256"));
                byte[] attest = Files.readAllBytes(msg);
                byte[] signature = Files.readAllBytes(sig);
                byte[] values = Files.readAllBytes(pcrs);
                if (consistent(attest, values, nonce)) {
                    return new QuoteResult(b64.encodeToString(attest), b64.encodeToString(signature),
                            b64.encodeToString(values));
                }
                LOG.info("a PCR changed between TPM2_Quote and TPM2_PCR_Read (attempt {} of {}); quoting again",
                        attempt + 1, QUOTE_RETRIES + 1);
            } catch (IOException e) {
                throw new CommandFailed("cannot read tpm2_quote's output: " + e.getMessage(), e);
            } finally {
                deleteTree(work);
            }
        }
        throw new CommandFailed("the PCR values read after each of " + (QUOTE_RETRIES + 1)
                + " quotes did not match the quoted pcrDigest: the PCRs keep changing; try again");
    }

    /** Whether the PCR file is what the TPM quoted (SHA-256 of the values in file order is the pcrDigest). */
    private static boolean consistent(byte[] attestBytes, byte[] pcrBytes, byte[] nonce) {
        TpmsAttest attest;
        PcrValues values;
        try {
            attest = TpmsAttest.parse(attestBytes);
            values = PcrValues.parse(pcrBytes);
        } catch (AttestationException e) {
            throw new CommandFailed("tpm2_quote wrote a file that does not parse: " + e.getMessage(), e);
        }
        if (!Arrays.equals(attest.extraData(), nonce)) {
            throw new CommandFailed("the TPM quoted a different nonce than the one asked for");
        }
        return attest.pcrSelect().equals(values.selection())
                && Arrays.equals(HashAlg.SHA256.digest(values.values().toArray(byte[][]::new)), attest.pcrDigest());
    }

    /** {@code sha256:0,1,2,3,7}, banks joined with {@code +}, as tpm2-tools' {@code -l} takes it. */
    static String selectionArgument(PcrSelection selection) {
        return selection.banks().stream().filter(b -> !b.pcrs().isEmpty())
                .map(b -> bankName(b.hash()) + ":" + b.pcrs().stream().map(String::valueOf).collect(Collectors.joining(",")))
                .collect(Collectors.joining("+"));
    }

    private static String bankName(HashAlg hash) {
        return switch (hash) {
            case SM3_256 -> "sm3_256";
            default -> hash.name().toLowerCase(Locale.ROOT);
        };
    }

    /** The AK (TPM2B_PUBLIC, qualified Name), provisioned on first use. */
    private byte[][] ensureAk() {
        if (ak != null) {
            return ak;
        }
        Set<String> persistent = persistentHandles();
        Optional<byte[]> storedPublic = files.read(AK_PUBLIC_FILE);
        byte[][] key;
        if (persistent.contains(AK_HANDLE)) {
            key = readAk();
            if (storedPublic.isPresent() && !Arrays.equals(storedPublic.get(), key[0])) {
                LOG.warn("the AK at {} differs from the one recorded in the data directory; using the TPM's", AK_HANDLE);
            }
        } else {
            if (storedPublic.isPresent()) {
                LOG.warn("the AK recorded in the data directory is no longer at {}; creating a new one (the controller "
                        + "must learn the new AK)", AK_HANDLE);
            }
            key = createAk(persistent.contains(EK_HANDLE));
        }
        if (storedPublic.isEmpty() || !Arrays.equals(storedPublic.get(), key[0])
                || !Arrays.equals(files.read(AK_QNAME_FILE).orElse(new byte[0]), key[1])) {
            files.write(AK_PUBLIC_FILE, key[0]);
            files.write(AK_QNAME_FILE, key[1]);
        }
        ak = key;
        return key;
    }

    private Set<String> persistentHandles() {
        String out = tools.run(SHORT, List.of("tpm2_getcap", "handles-persistent"));
        Set<String> handles = new LinkedHashSet<>();
        Matcher m = HANDLE_LINE.matcher(out);
        while (m.find()) {
            handles.add(m.group(1).toLowerCase(Locale.ROOT));
        }
        return handles;
    }

    private byte[][] createAk(boolean ekPresent) {
        Path work = workDir();
        try {
            flush(); // free the 3 object slots of a TPM without a resource manager
            if (!ekPresent) {
                LOG.info("creating an RSA endorsement key at {}", EK_HANDLE);
                tools.run(KEYGEN, List.of("tpm2_createek", "-c", EK_HANDLE, "-G", "rsa",
                        "-u", work.resolve("ek.pub").toString()));
                files.write(EK_PUBLIC_FILE, Files.readAllBytes(work.resolve("ek.pub")));
                flush();
            }
            LOG.info("creating an ECC P-256 attestation key at {}", AK_HANDLE);
            Path ctx = work.resolve("ak.ctx");
            tools.run(KEYGEN, List.of("tpm2_createak", "-C", EK_HANDLE, "-c", ctx.toString(), "-G", "ecc",
                    "-g", "sha256", "-s", "ecdsa", "-u", work.resolve("ak.pub").toString(),
                    "-n", work.resolve("ak.name").toString(), "-q", work.resolve("ak.qname").toString()));
            flush();
            tools.run(SHORT, List.of("tpm2_evictcontrol", "-C", "o", "-c", ctx.toString(), AK_HANDLE));
            flush(); // evictcontrol loads the context as a transient object and leaves it
            return readAk();
        } catch (IOException e) {
            throw new CommandFailed("cannot read tpm2_createek's output: " + e.getMessage(), e);
        } catch (CommandFailed e) {
            flushQuietly();
            throw new CommandFailed("cannot create the attestation key: " + e.getMessage(), e);
        } finally {
            deleteTree(work);
        }
    }

    /** The persistent AK's TPM2B_PUBLIC and qualified Name, refusing a key that cannot sign quotes. */
    private byte[][] readAk() {
        Path work = workDir();
        try {
            Path pub = work.resolve("ak.pub");
            Path qname = work.resolve("ak.qname");
            tools.run(SHORT, List.of("tpm2_readpublic", "-c", AK_HANDLE, "-o", pub.toString(), "-q", qname.toString()));
            byte[] key = Files.readAllBytes(pub);
            checkAk(key);
            return new byte[][] {key, Files.readAllBytes(qname)};
        } catch (IOException e) {
            throw new CommandFailed("cannot read tpm2_readpublic's output: " + e.getMessage(), e);
        } finally {
            deleteTree(work);
        }
    }

    /** TPM2B_PUBLIC: u16 size, then TPMT_PUBLIC's u16 type, u16 nameAlg, u32 objectAttributes. */
    private static void checkAk(byte[] tpm2bPublic) {
        if (tpm2bPublic.length < 10) {
            throw new CommandFailed("the object at " + AK_HANDLE + " has a truncated public area");
        }
        ByteBuffer b = ByteBuffer.wrap(tpm2bPublic);
        b.getShort();
        int type = b.getShort() & 0xFFFF;
        b.getShort();
        int attributes = b.getInt();
        boolean signingAk = (attributes & ATTR_RESTRICTED) != 0 && (attributes & ATTR_SIGN) != 0
                && (attributes & ATTR_DECRYPT) == 0;
        if (type != TPM_ALG_ECC || !signingAk) {
            throw new CommandFailed("persistent handle " + AK_HANDLE + " holds a key that is not a restricted ECC "
                    + "signing key (type 0x" + Integer.toHexString(type) + ", attributes 0x"
                    + Integer.toHexString(attributes) + "); the agent leaves it alone: evict it to let the agent "
                    + "create its attestation key there");
        }
    }

    /** Flushes transient objects and sessions: a TPM without a resource manager keeps them until told. */
    private void flush() {
        tools.run(SHORT, List.of("tpm2_flushcontext", "-t"));
        tools.run(SHORT, List.of("tpm2_flushcontext", "-l"));
        tools.run(SHORT, List.of("tpm2_flushcontext", "-s"));
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (CommandFailed e) {
            LOG.debug("flush after a failure failed too: {}", e.getMessage());
        }
    }

    private static Path workDir() {
        try {
            return Files.createTempDirectory("drawbridge-tpm"); // owner-only on POSIX
        } catch (IOException e) {
            throw new CommandFailed("cannot create a temporary directory for tpm2-tools: " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
