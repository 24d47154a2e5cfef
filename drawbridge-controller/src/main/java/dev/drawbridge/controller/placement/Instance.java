package dev.drawbridge.controller.placement;

import java.time.Instant;
import java.util.Optional;

/** A workload with its CPU and memory needs, placed on a host or left unplaced with a reason. */
public record Instance(String id, String name, int cpus, long memoryMb, Optional<String> nodeId, String state,
                       Optional<String> reason, Instant createdAt, Instant updatedAt) {}
