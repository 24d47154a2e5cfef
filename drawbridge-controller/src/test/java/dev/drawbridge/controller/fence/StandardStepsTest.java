package dev.drawbridge.controller.fence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The six standard steps: their stored names and order, and which run inside the store or beside the others. */
class StandardStepsTest {
    @Test
    @DisplayName("the standard steps run in the documented order; only power-off runs beside the rest")
    void orderAndKinds() {
        List<FenceStep> steps = FenceService.standardSteps(null, null, null, null, null, FenceService.noWebhook());
        assertThat(steps).extracting(FenceStep::name).containsExactly("disable-placement", "revoke-certificates",
                "revoke-oauth", "power-off", "evacuate", "notify");
        assertThat(steps).extracting(FenceStep::name)
                .containsExactlyElementsOf(Arrays.stream(FenceStep.Standard.values()).map(FenceStep.Standard::wire)
                        .toList());
        assertThat(steps).filteredOn(FenceStep::runsBeside).extracting(FenceStep::name).containsExactly("power-off");
        assertThat(steps).filteredOn(FenceStep::storeOnly).extracting(FenceStep::name)
                .containsExactly("disable-placement", "evacuate");
    }
}
