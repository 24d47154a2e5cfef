package dev.drawbridge.controller.inventory;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A validated partial update: each present field replaces the stored one; an empty field is left alone. */
public record NodePatch(Optional<List<String>> macs, Optional<Map<String, String>> labels,
                        Optional<String> bmcAddress, Optional<String> agentAddress, Optional<String> systemUuid,
                        Optional<String> bmcUsername, Optional<String> bmcPasswordRef) {}
