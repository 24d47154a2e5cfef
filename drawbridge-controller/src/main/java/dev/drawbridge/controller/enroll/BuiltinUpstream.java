package dev.drawbridge.controller.enroll;

import dev.drawbridge.pki.CertificateAuthority;
import dev.drawbridge.pki.CsrRejected;
import dev.drawbridge.pki.CsrRequest;
import dev.drawbridge.pki.IssueRequest;
import dev.drawbridge.pki.Profile;
import java.util.regex.Pattern;

/**
 * Signs console CSRs with our own CA under the console-client profile. Unlike node enrollment there is no
 * inventory entry to take the subject from: the console is an authenticated, trusted intermediary, so
 * the CSR's CN and SANs are used after they pass a strict syntax check.
 */
final class BuiltinUpstream implements UpstreamCa {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    private final CertificateAuthority ca;

    BuiltinUpstream(CertificateAuthority ca) {
        this.ca = ca;
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
        for (String dns : csr.dnsNames()) {
            if (!NAME.matcher(dns).matches()) {
                throw new BadCsr("the CSR's DNS name '" + dns + "' is not a host name");
            }
        }
        return ca.issue(new IssueRequest(Profile.CONSOLE_CLIENT, csr.subjectCommonName(), csr.dnsNames(),
                csr.ipAddresses(), csr.publicKey())).pem();
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
