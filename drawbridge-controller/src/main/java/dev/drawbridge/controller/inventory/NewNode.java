package dev.drawbridge.controller.inventory;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A validated request to add a node. MACs are normalised to lower-case colon form before this is built. */
public record NewNode(String name, List<String> macs, Map<String, String> labels, Optional<String> bmcAddress,
                      Optional<String> agentAddress, Optional<String> systemUuid, String mode,
                      Optional<String> bmcUsername, Optional<String> bmcPasswordRef) {
    public NewNode {
        macs = List.copyOf(macs);
        labels = Map.copyOf(labels);
    }
}
