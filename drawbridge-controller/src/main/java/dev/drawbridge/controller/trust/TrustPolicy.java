package dev.drawbridge.controller.trust;

import com.nimbusds.jose.jwk.JWKSet;
import dev.drawbridge.controller.config.ConfigException;
import dev.drawbridge.controller.config.TrustPolicyConfig;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.NodeState;
import dev.drawbridge.controller.verify.Trust;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.oauth.RegistrationPolicy;
import dev.drawbridge.oauth.TrustDecision;
import dev.drawbridge.oauth.TrustDecision.Answer;
import dev.drawbridge.oauth.TrustDecision.Factor;
import dev.drawbridge.oauth.VendorKeys;
import dev.drawbridge.pki.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The five-factor trust policy that judges every new OAuth client: the operator's wishes (allow-new, allow and deny
 * lists), the network of origin, the certificate chain (our CA or a vendor CA), a vendor-signed software statement,
 * and, for a client that speaks for a node, the node's current TPM verdict and its age. A denial by any factor
 * refuses; otherwise a client is trusted when at least one factor vouches for it and none asks for an operator, and
 * waits for approval when none vouches. Every factor's reason goes with the answer.
 */
final class TrustPolicy implements RegistrationPolicy {
    /** The policy file's contents, compiled: address blocks parsed, vendor CAs and keys read. */
    private record Compiled(TrustPolicyConfig config, List<Cidr> allow, List<Cidr> deny, List<Cidr> trusted,
                            List<X509Certificate> vendorCas, VendorKeys vendors) {}

    private final Supplier<TrustPolicyConfig> source;
    private final X509Certificate ourRoot;
    private final Function<String, Optional<Node>> nodeByName;
    private final Verdicts verdicts;
    private final Clock clock;
    private volatile Compiled compiled;

    TrustPolicy(Supplier<TrustPolicyConfig> source, X509Certificate ourRoot, Function<String, Optional<Node>> nodeByName,
                Verdicts verdicts, Clock clock) {
        this.source = source;
        this.ourRoot = ourRoot;
        this.nodeByName = nodeByName;
        this.verdicts = verdicts;
        this.clock = clock;
        this.compiled = compile(source.get());
    }

    /** The policy as it stands now: recompiled when its source changed. */
    private Compiled current() {
        TrustPolicyConfig now = source.get();
        Compiled c = compiled;
        if (c.config() != now) {
            c = compile(now);
            compiled = c;
        }
        return c;
    }

    /** Parses and reads everything the policy names; a ConfigException says what is wrong. */
    Compiled compile(TrustPolicyConfig p) {
        List<X509Certificate> cas = new ArrayList<>();
        if (!p.chain().vendorCaFile().isBlank()) {
            try {
                cas.addAll(Pem.certificates(Files.readString(Path.of(p.chain().vendorCaFile()))));
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("trust policy: cannot read chain.vendor-ca-file " + p.chain().vendorCaFile()
                        + ": " + e.getMessage());
            }
        }
        Map<String, JWKSet> keys = new LinkedHashMap<>();
        for (TrustPolicyConfig.Vendor v : p.vendors()) {
            try {
                keys.put(v.name(), JWKSet.load(Path.of(v.jwksFile()).toFile()));
            } catch (IOException | ParseException e) {
                throw new ConfigException("trust policy: cannot read the keys of vendor " + v.name() + " from "
                        + v.jwksFile() + ": " + e.getMessage());
            }
        }
        return new Compiled(p, cidrs(p.networks().allow(), "allow"), cidrs(p.networks().deny(), "deny"),
                cidrs(p.networks().trusted(), "trusted"), cas, new VendorKeys(keys, clock));
    }

    private static List<Cidr> cidrs(List<String> texts, String list) {
        List<Cidr> out = new ArrayList<>();
        for (String t : texts) {
            try {
                out.add(Cidr.parse(t));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("trust policy: networks." + list + ": " + e.getMessage());
            }
        }
        return out;
    }

    @Override
    public VendorKeys vendors() {
        return current().vendors();
    }

    @Override
    public TrustDecision judge(Facts f) {
        Compiled c = current();
        TrustPolicyConfig p = c.config();
        Verdict v = new Verdict();

        // The certificate first: it may name the node the client speaks for, which the other factors use.
        Optional<Node> node = Optional.empty();
        String chain = "none";
        if (!f.certificate().isEmpty()) {
            Optional<String> anchor = validate(f.certificate(), c.vendorCas());
            String stranger = "the client certificate " + subject(f.certificate().get(0))
                    + " does not chain to our CA or a configured vendor CA";
            if (anchor.isEmpty() && p.chain().require()) {
                v.deny("chain", stranger + ", and chain.require is true");
            } else if (anchor.isEmpty()) {
                // RFC 8705's self-signed mode: a peer from another CA proves only that it holds its key.
                v.neutral("chain", stranger + "; it counts for nothing (chain.require: true refuses it)");
            } else {
                chain = anchor.get();
                if (chain.equals("ours")) {
                    node = nodeByName.apply(commonName(f.certificate().get(0))).filter(n -> n.name().equals(
                            commonName(f.certificate().get(0))));
                }
                v.vouch("chain", "issued by " + (chain.equals("ours") ? "our CA" : "vendor CA " + chain)
                        + node.map(n -> " for node " + n.name()).orElse(""));
            }
        } else if (p.chain().require()) {
            v.deny("chain", "chain.require is true and no client certificate was presented");
        } else {
            v.neutral("chain", "no client certificate presented");
        }

        Set<String> names = new HashSet<>();
        names.add(f.name());
        node.ifPresent(n -> names.add(n.name()));
        f.statement().ifPresent(s -> {
            Object id = s.claims().getClaim("software_id");
            if (id instanceof String sid) {
                names.add(sid);
            }
        });
        if (!p.allowNew()) {
            v.deny("operator", "trust.allow-new is false: no new relationship is accepted");
        } else if (p.operator().deny().stream().anyMatch(names::contains)) {
            v.deny("operator", "on the operator's deny list: " + first(p.operator().deny(), names));
        } else if (p.operator().allow().stream().anyMatch(names::contains)) {
            v.vouch("operator", "on the operator's allow list: " + first(p.operator().allow(), names));
        } else {
            v.neutral("operator", "new relationships allowed; on neither list");
        }

        String src = f.source().getHostAddress();
        Optional<Cidr> denied = c.deny().stream().filter(b -> b.contains(f.source())).findFirst();
        if (denied.isPresent()) {
            v.deny("network", src + " is in denied block " + denied.get().text());
        } else if (!c.allow().isEmpty() && c.allow().stream().noneMatch(b -> b.contains(f.source()))) {
            v.deny("network", src + " is outside every allowed block");
        } else {
            Optional<Cidr> trusted = c.trusted().stream().filter(b -> b.contains(f.source())).findFirst();
            if (trusted.isPresent()) {
                v.vouch("network", src + " is in trusted block " + trusted.get().text());
            } else {
                v.neutral("network", src + " is allowed but not in a trusted block");
            }
        }

        if (f.statement().isPresent()) {
            v.vouch("statement", "software statement signed by vendor " + f.statement().get().vendor());
        } else {
            v.neutral("statement", "no software statement");
        }

        attestation(node, p.attestation(), v);
        return new TrustDecision(v.answer(), v.factors, node.map(Node::id));
    }

    private void attestation(Optional<Node> node, TrustPolicyConfig.Attestation policy, Verdict v) {
        if (node.isEmpty()) {
            if (policy.require()) {
                v.approval("attestation", "attestation.require is true and the client speaks for no enrolled node");
            } else {
                v.neutral("attestation", "the client speaks for no enrolled node");
            }
            return;
        }
        Node n = node.get();
        if (n.state() == NodeState.FENCED) {
            v.deny("attestation", "node " + n.name() + " is fenced");
            return;
        }
        Optional<Verdicts.Latest> latest = verdicts.latest(n.id());
        if (latest.isEmpty()) {
            if (policy.require()) {
                v.approval("attestation", "node " + n.name() + " has no TPM verdict yet");
            } else {
                v.neutral("attestation", "node " + n.name() + " has no TPM verdict yet");
            }
            return;
        }
        Duration age = Duration.between(latest.get().at(), clock.instant());
        String said = "node " + n.name() + "'s latest verdict is " + latest.get().verdict().wire() + ", "
                + age.toSeconds() + " s old";
        if (latest.get().verdict() == Trust.UNTRUSTED) {
            v.deny("attestation", said);
        } else if (latest.get().verdict() == Trust.TRUSTED && age.compareTo(policy.maxAge()) <= 0) {
            v.vouch("attestation", said);
        } else if (policy.require()) {
            v.approval("attestation", said + " (needs trusted, at most " + policy.maxAge().toSeconds() + " s old)");
        } else {
            v.neutral("attestation", said);
        }
    }

    /** The factors so far and what they add up to. */
    private static final class Verdict {
        final List<Factor> factors = new ArrayList<>();
        boolean denied;
        boolean vouched;
        boolean approval;

        void deny(String factor, String why) {
            denied = true;
            factors.add(new Factor(factor, "denied", why));
        }

        void vouch(String factor, String why) {
            vouched = true;
            factors.add(new Factor(factor, "vouches", why));
        }

        void approval(String factor, String why) {
            approval = true;
            factors.add(new Factor(factor, "needs approval", why));
        }

        void neutral(String factor, String why) {
            factors.add(new Factor(factor, "no opinion", why));
        }

        Answer answer() {
            if (denied) {
                return Answer.DENIED;
            }
            return vouched && !approval ? Answer.TRUSTED : Answer.NEEDS_APPROVAL;
        }
    }

    /** {@code ours}, or the vendor CA's subject, that the chain leads to; empty when it leads to neither. */
    private Optional<String> validate(List<X509Certificate> chain, List<X509Certificate> vendorCas) {
        Set<TrustAnchor> anchors = new HashSet<>();
        anchors.add(new TrustAnchor(ourRoot, null));
        for (X509Certificate ca : vendorCas) {
            anchors.add(new TrustAnchor(ca, null));
        }
        try {
            List<X509Certificate> path = new ArrayList<>(chain);
            path.removeIf(x -> x.getSubjectX500Principal().equals(x.getIssuerX500Principal()));
            if (path.isEmpty()) {
                return Optional.empty();
            }
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(clock.instant()));
            PKIXCertPathValidatorResult r = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
                    .validate(cp, params);
            X509Certificate anchor = r.getTrustAnchor().getTrustedCert();
            return Optional.of(anchor.equals(ourRoot) ? "ours" : anchor.getSubjectX500Principal().getName());
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    private static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    private static String commonName(X509Certificate c) {
        for (String part : subject(c).split(",")) {
            if (part.startsWith("CN=")) {
                return part.substring(3);
            }
        }
        return "";
    }

    private static String first(List<String> list, Set<String> names) {
        return list.stream().filter(names::contains).findFirst().orElse("?");
    }

}
