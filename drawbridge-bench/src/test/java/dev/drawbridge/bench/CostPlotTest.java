package dev.drawbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The cost-growth plot's arithmetic and verdict, and that it renders a PNG of the promised size. */
class CostPlotTest {
    private static final List<String> SAMPLE = List.of(
            "bench-scale: 1000 nodes manageable after 12 s; settling 40 s",
            "{\"nodes\":1000,\"poll_interval\":\"10s\",\"controller_cores\":0.11,\"controller_us_per_node_poll\":1100,"
                    + "\"lateness_p99_ms\":16.0}",
            "{\"nodes\":1000,\"poll_interval\":\"10s\",\"controller_cores\":0.09,\"controller_us_per_node_poll\":900,"
                    + "\"lateness_p99_ms\":8.0}",
            "{\"nodes\":1000,\"poll_interval\":\"10s\",\"controller_cores\":0.10,\"controller_us_per_node_poll\":1000,"
                    + "\"lateness_p99_ms\":12.0}",
            "1000 nodes @ 10s: controller 0.100 cores (1000 µs/node-poll), RSS 300 MiB, 60 threads; ...",
            "{\"nodes\":5000,\"poll_interval\":\"10s\",\"controller_cores\":0.52,\"controller_us_per_node_poll\":1040,"
                    + "\"lateness_p99_ms\":64.0}",
            "{\"nodes\":10000,\"poll_interval\":\"10s\",\"controller_cores\":1.05,\"controller_us_per_node_poll\":1050,"
                    + "\"lateness_p99_ms\":9.223372036854776E15}",
            "{not json",
            "{\"unrelated\":true}");

    @Test
    @DisplayName("the median of an odd count is the middle value and of an even count the mean of the middle two")
    void median() {
        assertThat(CostPlot.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(CostPlot.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(CostPlot.median(new double[] {5})).isEqualTo(5);
    }

    @Test
    @DisplayName("the median ignores values a run did not report, and is NaN when none did")
    void medianSkipsMissing() {
        assertThat(CostPlot.median(new double[] {Double.NaN, 7, 9})).isEqualTo(8);
        assertThat(CostPlot.median(new double[] {Double.NaN})).isNaN();
    }

    @Test
    @DisplayName("least squares recovers intercept and slope of an exact line with R² = 1")
    void exactLine() {
        CostPlot.Fit fit = CostPlot.Fit.of(new double[] {1000, 2000, 5000, 10000},
                new double[] {0.05 + 0.1, 0.05 + 0.2, 0.05 + 0.5, 0.05 + 1.0});
        assertThat(fit.a()).isCloseTo(0.05, within(1e-12));
        assertThat(fit.b()).isCloseTo(1e-4, within(1e-15));
        assertThat(fit.r2()).isCloseTo(1, within(1e-12));
    }

    @Test
    @DisplayName("least squares on scattered points matches the hand-worked a = 0.5, b = 0.8, R² = 0.64")
    void scatteredPoints() {
        CostPlot.Fit fit = CostPlot.Fit.of(new double[] {1, 2, 3, 4}, new double[] {1, 3, 2, 4});
        assertThat(fit.a()).isCloseTo(0.5, within(1e-12));
        assertThat(fit.b()).isCloseTo(0.8, within(1e-12));
        assertThat(fit.r2()).isCloseTo(0.64, within(1e-12));
    }

    @Test
    @DisplayName("cost that does not change with fleet size fits exactly with slope 0")
    void constantCost() {
        CostPlot.Fit fit = CostPlot.Fit.of(new double[] {1000, 2000, 3000}, new double[] {0.2, 0.2, 0.2});
        assertThat(fit.b()).isCloseTo(0, within(1e-15));
        assertThat(fit.r2()).isEqualTo(1);
        assertThat(fit.verdict()).isEqualTo(CostPlot.Verdict.LINEAR);
    }

    static Stream<Arguments> verdicts() {
        return Stream.of(
                Arguments.of("cores proportional to nodes", 10, (DoubleUnaryOperator) n -> n / 10_000,
                        CostPlot.Verdict.LINEAR),
                Arguments.of("a fixed cost plus cores proportional to nodes", 10,
                        (DoubleUnaryOperator) n -> 0.3 + n / 10_000, CostPlot.Verdict.LINEAR),
                Arguments.of("cores growing with the square of nodes", 10,
                        (DoubleUnaryOperator) n -> Math.pow(n / 10_000, 2), CostPlot.Verdict.NOT_LINEAR),
                Arguments.of("cores growing exponentially with nodes", 10,
                        (DoubleUnaryOperator) n -> Math.exp(n / 2_000), CostPlot.Verdict.NOT_LINEAR),
                Arguments.of("only two fleet sizes", 2, (DoubleUnaryOperator) n -> n / 10_000,
                        CostPlot.Verdict.UNDETERMINED),
                Arguments.of("only one fleet size", 1, (DoubleUnaryOperator) n -> n / 10_000,
                        CostPlot.Verdict.UNDETERMINED));
    }

    @ParameterizedTest(name = "{0} at {1} sizes is {3}")
    @MethodSource("verdicts")
    @DisplayName("the verdict on growth")
    void verdict(String what, int count, DoubleUnaryOperator cores, CostPlot.Verdict expected) {
        double[] nodes = IntStream.rangeClosed(1, count).mapToDouble(i -> i * 1000).toArray();
        double[] y = Arrays.stream(nodes).map(cores).toArray();
        assertThat(CostPlot.Fit.of(nodes, y).verdict()).isEqualTo(expected);
    }

    @Test
    @DisplayName("reading skips non-JSON and unrelated lines and restores what ScaleBench rounded away")
    void parse() {
        List<CostPlot.Run> runs = CostPlot.parse(SAMPLE);
        assertThat(runs).hasSize(5);
        assertThat(runs.get(0)).isEqualTo(new CostPlot.Run(1000, "10s", 0.11, 1100, 16));
        assertThat(runs.get(4).p99Ms()).isInfinite();
        String noPolls = "{\"nodes\":1000,\"controller_cores\":0.01,\"controller_us_per_node_poll\":0,\"lateness_p99_ms\":0.0}";
        CostPlot.Run empty = CostPlot.parse(List.of(noPolls)).get(0);
        assertThat(empty.usPerNodePoll()).isNaN();
        assertThat(empty.p99Ms()).isNaN();
    }

    @Test
    @DisplayName("runs of one size are reduced to their medians, smallest size first")
    void bySize() {
        List<CostPlot.Size> sizes = CostPlot.bySize(CostPlot.parse(SAMPLE));
        assertThat(sizes).extracting(CostPlot.Size::nodes).containsExactly(1000, 5000, 10000);
        assertThat(sizes.get(0)).isEqualTo(new CostPlot.Size(1000, 3, 0.10, 1000, 12));
        assertThat(CostPlot.growthRatio(sizes)).isCloseTo(1.05, within(1e-9));
    }

    @Test
    @DisplayName("the table has one row per size and states the verdict and its rule")
    void table() {
        String table = CostPlot.table(CostPlot.bySize(CostPlot.parse(SAMPLE)));
        assertThat(table).contains("| 1,000 | 3 | 0.100 | 0.1000 | 1,000 | 12 |")
                .contains("| 10,000 | 1 | 1.050 | 0.1050 | 1,050 | > last bucket |")
                .contains("Verdict: **linear**").contains("R² ≥ 0.98");
    }

    @Test
    @DisplayName("the tool renders headless to a PNG of 900 by 500 that ImageIO reads back")
    void rendersPng(@TempDir Path dir) throws IOException {
        Path in = Files.write(dir.resolve("runs.jsonl"), SAMPLE);
        Path png = dir.resolve("docs/cost-growth.png");
        CostPlot.main(new String[] {"--in", in.toString(), "--out", png.toString()});
        BufferedImage back = ImageIO.read(png.toFile());
        assertThat(back).isNotNull();
        assertThat(back.getWidth()).isEqualTo(900);
        assertThat(back.getHeight()).isEqualTo(500);
    }
}
