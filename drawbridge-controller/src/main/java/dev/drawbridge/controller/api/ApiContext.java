package dev.drawbridge.controller.api;

import dev.drawbridge.controller.trust.PeerService;
import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.controller.conductor.NodeActions;
import dev.drawbridge.controller.config.ControllerConfig;
import dev.drawbridge.controller.discovery.DiscoveryService;
import dev.drawbridge.controller.enroll.ConsoleSigning;
import dev.drawbridge.controller.enroll.EnrollmentService;
import dev.drawbridge.controller.enroll.IssuedCertificates;
import dev.drawbridge.controller.enroll.Revocations;
import dev.drawbridge.controller.fence.FenceService;
import dev.drawbridge.controller.inventory.Inventory;
import dev.drawbridge.controller.media.VirtualMediaService;
import dev.drawbridge.controller.cluster.Cluster;
import dev.drawbridge.controller.placement.Placement;
import dev.drawbridge.controller.verify.Verdicts;
import dev.drawbridge.pki.CertificateAuthority;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;

/**
 * What the routes need, built once by the controller's wiring class. {@code unavailable} says whether a failure
 * means the store cannot be reached (answered 503 with Retry-After) rather than a fault.
 */
public record ApiContext(ControllerConfig config, Inventory inventory, IssuedCertificates certificates,
                         CertificateAuthority ca, EnrollmentService enrollment,
                         Revocations revocations, ConsoleSigning console, NodeActions actions,
                         Verdicts verdicts,
                         Placement placement,
                         FenceService fences, TrustService trust, PeerService peers,
                         DiscoveryService discovery, VirtualMediaService media, Cluster cluster,
                         AdminToken adminToken,
                         PrometheusMeterRegistry metrics, Clock clock,
                         java.util.function.Predicate<Throwable> unavailable) {}
