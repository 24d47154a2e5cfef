package dev.drawbridge.controller.fence;

import dev.drawbridge.controller.inventory.Node;

/** Powers a node off through its BMC and says whether the BMC read back "off" (the only confirmed fence). */
public interface PowerControl {
    FenceStep.Result offAndConfirm(Node node);
}
