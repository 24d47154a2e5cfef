package dev.drawbridge.controller.enroll;

import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.CsrRejected;
import dev.drawbridge.pki.CsrRequest;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Signs console CSRs with our own CA under the console-client profile: TLS client auth only, with that profile's
 * policy OID, which no node or controller check accepts. Unlike node enrollment there is no inventory entry to take
 * the subject from: the console is an authenticated, trusted intermediary, so the CSR's CN and DNS SANs are used
 * after strict checks. The profile allows DNS names only (no IP addresses, e-mail, URIs or other kinds), at most
 * {@link #MAX_ALT_NAMES} of them, and no name (CN or SAN) of a node in inventory, so a console certificate can
 * never pass for a node's.
 */
final class BuiltinUpstream implements UpstreamCa {
    static final int MAX_ALT_NAMES = 32;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    private final CertificateAuthority ca;
    private final Predicate<String> inventoryName;

    /** {@code inventoryName} says whether a name (compared case-insensitively) is a node's in inventory. */
    BuiltinUpstream(CertificateAuthority ca, Predicate<String> inventoryName) {
        this.ca = ca;
        this.inventoryName = inventoryName;
    }

    @Override
    public String sign(String csrPem) throws BadCsr {
        CsrRequest csr;
        try {
            csr = ca.parseCsr(csrPem);
        } catch (CsrRejected e) {
            throw new BadCsr(e.getMessage());
        }
        if (!NAME.matcher(csr.subjectCommonName()).matches()) {
            throw new BadCsr("the CSR's subject CN must be a host name");
        }
        if (csr.altNameCount() > MAX_ALT_NAMES) {
            throw new BadCsr("the CSR asks for " + csr.altNameCount() + " subjectAltNames; at most " + MAX_ALT_NAMES
                    + " are signed for a console");
        }
        if (!csr.ipAddresses().isEmpty() || !csr.otherNames().isEmpty()) {
            List<String> kinds = new ArrayList<>(csr.otherNames());
            if (!csr.ipAddresses().isEmpty()) {
                kinds.add("iPAddress");
            }
            throw new BadCsr("the console profile takes DNS names only; the CSR also asks for " + kinds);
        }
        for (String dns : csr.dnsNames()) {
            if (!NAME.matcher(dns).matches()) {
                throw new BadCsr("the CSR's DNS name '" + dns + "' is not a host name");
            }
        }
        List<String> names = new ArrayList<>(csr.dnsNames());
        names.add(csr.subjectCommonName());
        for (String name : names) {
            if (inventoryName.test(name)) {
                throw new BadCsr("'" + name + "' is the name of a node in inventory; a console certificate may not "
                        + "carry a node's name");
            }
        }
        return ca.issue(new IssueRequest(Profile.CONSOLE_CLIENT, csr.subjectCommonName(), csr.dnsNames(),
                List.of(), csr.publicKey())).pem();
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public String rootPem() {
        return ca.rootPem();
    }

    @Override
    public String kind() {
        return "builtin";
    }
}
