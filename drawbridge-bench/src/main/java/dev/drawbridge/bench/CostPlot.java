package dev.drawbridge.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.protocol.Wire;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;

/**
 * The scale benchmark's cost-growth plot: controller CPU and p99 poll lateness against fleet size, from the JSON
 * lines {@link ScaleBench} prints, with a markdown table on stdout saying whether CPU grows linearly with nodes.
 * Several runs of one size are reduced to their median, so one noisy run does not bend the fit.
 *
 * <pre>java -Djava.awt.headless=true -cp drawbridge-bench.jar:drawbridge.jar dev.drawbridge.bench.CostPlot --in FILE
 *   [--out docs/cost-growth.png]</pre>
 */
public final class CostPlot {
    static final double CORE_TARGET = 1.0;
    static final double LATENESS_TARGET_MS = 1000;
    /** Cost is called linear when a straight line explains at least this share of the variance of the medians. */
    static final double LINEAR_R2 = 0.98;
    static final String RULE = "linear if R² ≥ 0.98 for the least-squares fit cores = a + b·nodes over the per-size"
            + " medians, given 3 or more fleet sizes; otherwise not linear";
    static final int WIDTH = 900;
    static final int HEIGHT = 500;

    private static final Color CPU = new Color(0x1f77b4);
    private static final Color LATE = new Color(0xe07b00);
    private static final Color FIT = new Color(0x2ca02c);
    private static final Color TARGET = new Color(0xd62728);
    private static final Color RUN = new Color(0x8c8c8c);
    private static final Color GRID = new Color(0xe6e6e6);
    private static final Color INK = new Color(0x333333);

    private CostPlot() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> o = ScaleOptions.parse(args);
        if (!o.containsKey("in")) {
            System.err.println("usage: CostPlot --in FILE [--out docs/cost-growth.png]");
            System.exit(2);
        }
        List<Run> runs = parse(Files.readAllLines(Path.of(o.get("in"))));
        if (runs.isEmpty()) {
            System.err.println("cost-plot: no ScaleBench JSON lines (with nodes and controller_cores) in " + o.get("in"));
            System.exit(1);
        }
        List<String> intervals = runs.stream().map(Run::interval).filter(s -> !s.isEmpty()).distinct().toList();
        if (intervals.size() > 1) {
            System.err.println("cost-plot: runs with different poll intervals " + intervals + " are pooled by size");
        }
        List<Size> sizes = bySize(runs);
        Path out = Path.of(o.getOrDefault("out", "docs/cost-growth.png"));
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        ImageIO.write(draw(runs, sizes, String.join(", ", intervals)), "png", out.toFile());
        System.out.print(table(sizes));
        System.err.println("cost-plot: wrote " + out);
    }

    /** One ScaleBench run; NaN where the run did not report a value. */
    record Run(int nodes, String interval, double cores, double usPerNodePoll, double p99Ms) {}

    /** The median of every run of one fleet size. */
    record Size(int nodes, int runs, double cores, double usPerNodePoll, double p99Ms) {
        double coresPer1000() {
            return cores / nodes * 1000;
        }
    }

    enum Verdict {
        LINEAR("linear"), NOT_LINEAR("not linear"), UNDETERMINED("undetermined (needs 3 or more fleet sizes)");

        final String text;

        Verdict(String text) {
            this.text = text;
        }
    }

    /** Ordinary least squares of y = a + b·x; R² = 1 − SS_res / SS_tot. NaN throughout when x has no spread. */
    record Fit(double a, double b, double r2, int points) {
        static Fit of(double[] x, double[] y) {
            double mx = mean(x);
            double my = mean(y);
            double sxx = 0;
            double sxy = 0;
            double syy = 0;
            for (int i = 0; i < x.length; i++) {
                sxx += (x[i] - mx) * (x[i] - mx);
                sxy += (x[i] - mx) * (y[i] - my);
                syy += (y[i] - my) * (y[i] - my);
            }
            if (x.length < 2 || sxx == 0) {
                return new Fit(Double.NaN, Double.NaN, Double.NaN, x.length);
            }
            double b = sxy / sxx;
            double a = my - b * mx;
            double ssRes = 0;
            for (int i = 0; i < x.length; i++) {
                ssRes += Math.pow(y[i] - (a + b * x[i]), 2);
            }
            // Constant y is fitted exactly by b = 0, so R² is 1 rather than 0/0 (or rounding noise over noise).
            boolean flat = syy <= 1e-12 * Arrays.stream(y).map(v -> v * v).sum();
            return new Fit(a, b, flat ? 1 : 1 - ssRes / syy, x.length);
        }

        static Fit cores(List<Size> sizes) {
            return of(sizes.stream().mapToDouble(Size::nodes).toArray(), sizes.stream().mapToDouble(Size::cores).toArray());
        }

        double at(double x) {
            return a + b * x;
        }

        Verdict verdict() {
            if (points < 3 || Double.isNaN(r2)) {
                return Verdict.UNDETERMINED; // a line through two points always has R² = 1
            }
            return r2 >= LINEAR_R2 ? Verdict.LINEAR : Verdict.NOT_LINEAR;
        }
    }

    /** Reads ScaleBench's stdout: keeps JSON objects with nodes and controller_cores, skips every other line. */
    static List<Run> parse(List<String> lines) {
        List<Run> runs = new ArrayList<>();
        for (String line : lines) {
            if (!line.strip().startsWith("{")) {
                continue;
            }
            JsonNode j;
            try {
                j = Wire.JSON.readTree(line);
            } catch (JsonProcessingException e) {
                continue;
            }
            if (!j.path("nodes").isNumber() || !j.path("controller_cores").isNumber()) {
                continue;
            }
            // ScaleBench rounds NaN to 0 (no polls, no lateness observed) and +Inf to Long.MAX_VALUE / 1000
            // (p99 beyond the histogram's last bucket); turn both back.
            double us = j.path("controller_us_per_node_poll").asDouble(0);
            double p99 = j.path("lateness_p99_ms").asDouble(0);
            runs.add(new Run(j.path("nodes").asInt(), j.path("poll_interval").asText(""),
                    j.path("controller_cores").asDouble(), us > 0 ? us : Double.NaN,
                    p99 <= 0 ? Double.NaN : p99 >= 1e15 ? Double.POSITIVE_INFINITY : p99));
        }
        return runs;
    }

    static List<Size> bySize(List<Run> runs) {
        Map<Integer, List<Run>> groups = runs.stream().collect(Collectors.groupingBy(Run::nodes, TreeMap::new,
                Collectors.toList()));
        return groups.values().stream().map(g -> new Size(g.get(0).nodes(), g.size(), median(g, Run::cores),
                median(g, Run::usPerNodePoll), median(g, Run::p99Ms))).toList();
    }

    private static double median(List<Run> runs, ToDoubleFunction<Run> field) {
        return median(runs.stream().mapToDouble(field).toArray());
    }

    /** The median of the values that are not NaN, or NaN if there are none. */
    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /** Cores per 1,000 nodes at the largest size over the same at the smallest: 1 when cost is proportional. */
    static double growthRatio(List<Size> sizes) {
        if (sizes.size() < 2) {
            return Double.NaN;
        }
        return sizes.get(sizes.size() - 1).coresPer1000() / sizes.get(0).coresPer1000();
    }

    static String table(List<Size> sizes) {
        StringBuilder s = new StringBuilder();
        s.append("| nodes | runs | median cores | cores per 1,000 nodes | median µs per node-poll"
                + " | median p99 lateness (ms) |\n|---:|---:|---:|---:|---:|---:|\n");
        for (Size z : sizes) {
            s.append(String.format(Locale.ROOT, "| %,d | %d | %.3f | %.4f | %s | %s |%n", z.nodes(), z.runs(), z.cores(),
                    z.coresPer1000(), number(z.usPerNodePoll()), number(z.p99Ms())));
        }
        Fit fit = Fit.cores(sizes);
        s.append('\n');
        if (!Double.isNaN(fit.r2())) {
            s.append(String.format(Locale.ROOT, "Least-squares fit over the per-size medians: cores = %.4f + %.4f per"
                    + " 1,000 nodes; R² = %.4f.%n", fit.a(), fit.b() * 1000, fit.r2()));
        }
        if (sizes.size() >= 2) {
            s.append(String.format(Locale.ROOT, "Cores per 1,000 nodes at %,d nodes / at %,d nodes: %.2f (1.00 means"
                    + " cost proportional to nodes).%n", sizes.get(sizes.size() - 1).nodes(), sizes.get(0).nodes(),
                    growthRatio(sizes)));
        }
        s.append("Verdict: **").append(fit.verdict().text).append("** (rule: ").append(RULE).append(").\n");
        return s.toString();
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "–" : Double.isInfinite(v) ? "> last bucket" : String.format(Locale.ROOT, "%,.0f", v);
    }

    static BufferedImage draw(List<Run> runs, List<Size> sizes, String interval) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        Fit fit = Fit.cores(sizes);
        String title = "Drawbridge controller cost against fleet size"
                + (interval.isEmpty() ? "" : " (poll interval " + interval + ")");
        text(g, title, WIDTH / 2, 28, Font.BOLD, 17, 0.5);
        String verdict = Double.isNaN(fit.r2()) ? "CPU growth: " + fit.verdict().text : String.format(Locale.ROOT,
                "CPU fit: cores = %.3f + %.4f per 1,000 nodes, R² = %.3f: %s (rule: linear if R² ≥ %.2f)", fit.a(),
                fit.b() * 1000, fit.r2(), fit.verdict().text, LINEAR_R2);
        text(g, verdict, WIDTH / 2, 50, Font.PLAIN, 13, 0.5);

        double xData = sizes.get(sizes.size() - 1).nodes() * 1.04;
        double coresData = Math.max(CORE_TARGET, runs.stream().mapToDouble(Run::cores).max().orElse(0)) * 1.3;
        Axes a = Axes.over(new Rectangle(75, 95, 355, 345), xData, coresData);
        a.draw(g, "(a) Controller CPU", "controller CPU (cores)");
        g.setClip(a.r());
        if (!Double.isNaN(fit.r2())) {
            line(g, FIT, solid(2), a, 0, fit.at(0), a.xMax(), fit.at(a.xMax()));
        }
        line(g, TARGET, dashed(), a, 0, CORE_TARGET, a.xMax(), CORE_TARGET);
        g.setClip(null);
        runs.forEach(r -> Mark.RING.draw(g, RUN, a.x(r.nodes()), a.y(r.cores())));
        sizes.forEach(z -> Mark.DOT.draw(g, CPU, a.x(z.nodes()), a.y(z.cores())));
        List<Item> cpuItems = new ArrayList<>(List.of(new Item(Mark.DOT, CPU, "median of runs"),
                new Item(Mark.RING, RUN, "one run"), new Item(Mark.DASH, TARGET, "target: 1 core")));
        if (!Double.isNaN(fit.r2())) {
            cpuItems.add(2, new Item(Mark.LINE, FIT, "least-squares fit a + b·nodes"));
        }
        legend(g, a, cpuItems);

        double lateData = Math.max(LATENESS_TARGET_MS, runs.stream().mapToDouble(Run::p99Ms)
                .filter(Double::isFinite).max().orElse(0)) * 1.3;
        Axes b = Axes.over(new Rectangle(525, 95, 355, 345), xData, lateData);
        b.draw(g, "(b) Poll lateness, p99", "p99 poll lateness (ms)");
        g.setClip(b.r());
        line(g, TARGET, dashed(), b, 0, LATENESS_TARGET_MS, b.xMax(), LATENESS_TARGET_MS);
        List<Size> late = sizes.stream().filter(z -> !Double.isNaN(z.p99Ms())).toList();
        for (int i = 1; i < late.size(); i++) {
            line(g, LATE, solid(1.5f), b, late.get(i - 1).nodes(), late.get(i - 1).p99Ms(), late.get(i).nodes(),
                    late.get(i).p99Ms());
        }
        g.setClip(null);
        runs.stream().filter(r -> !Double.isNaN(r.p99Ms())).forEach(r -> point(g, RUN, Mark.RING, b, r.nodes(), r.p99Ms()));
        late.forEach(z -> point(g, LATE, Mark.DOT, b, z.nodes(), z.p99Ms()));
        List<Item> items = new ArrayList<>(List.of(new Item(Mark.DOT, LATE, "median of runs"),
                new Item(Mark.RING, RUN, "one run"), new Item(Mark.DASH, TARGET, "target: 1,000 ms")));
        if (runs.stream().anyMatch(r -> Double.isInfinite(r.p99Ms()))) {
            items.add(new Item(Mark.UP, TARGET, "beyond the histogram's last bucket"));
        }
        legend(g, b, items);
        g.dispose();
        return img;
    }

    /** A point, or an upward triangle on the top edge when the value is off the scale (p99 beyond the histogram). */
    private static void point(Graphics2D g, Color c, Mark m, Axes a, double x, double y) {
        if (Double.isInfinite(y)) {
            Mark.UP.draw(g, TARGET, a.x(x), a.r().y);
        } else {
            m.draw(g, c, a.x(x), a.y(y));
        }
    }

    private static void line(Graphics2D g, Color c, Stroke s, Axes a, double x0, double y0, double x1, double y1) {
        g.setColor(c);
        g.setStroke(s);
        g.drawLine(a.x(x0), a.y(y0), a.x(x1), a.y(y1));
    }

    private static Stroke solid(float width) {
        return new BasicStroke(width);
    }

    private static Stroke dashed() {
        return new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {7, 5}, 0);
    }

    /** Draws text with its left edge at x (align 0), its centre (0.5) or its right edge (1). */
    static void text(Graphics2D g, String s, int x, int y, int style, int size, double align) {
        g.setFont(new Font("DejaVu Sans", style, size));
        g.setColor(INK);
        g.drawString(s, x - (int) Math.round(g.getFontMetrics().stringWidth(s) * align), y);
    }

    private record Item(Mark mark, Color color, String label) {}

    private static void legend(Graphics2D g, Axes a, List<Item> items) {
        g.setFont(new Font("DejaVu Sans", Font.PLAIN, 12));
        int w = 36 + items.stream().mapToInt(i -> g.getFontMetrics().stringWidth(i.label())).max().orElse(0);
        int x = a.r().x + 10;
        int y = a.r().y + 10;
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(x, y, w, 18 * items.size() + 8);
        g.setColor(GRID.darker());
        g.setStroke(solid(1));
        g.drawRect(x, y, w, 18 * items.size() + 8);
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            int cy = y + 13 + 18 * i;
            it.mark().draw(g, it.color(), x + 15, cy);
            text(g, it.label(), x + 30, cy + 4, Font.PLAIN, 12, 0);
        }
    }

    /** What a series looks like, on the chart and in its legend. */
    enum Mark {
        DOT, RING, LINE, DASH, UP;

        void draw(Graphics2D g, Color c, int x, int y) {
            g.setColor(c);
            switch (this) {
                case DOT -> g.fillOval(x - 5, y - 5, 10, 10);
                case RING -> {
                    g.setStroke(solid(1.2f));
                    g.drawOval(x - 4, y - 4, 8, 8);
                }
                case LINE -> {
                    g.setStroke(solid(2));
                    g.drawLine(x - 10, y, x + 10, y);
                }
                case DASH -> {
                    g.setStroke(dashed());
                    g.drawLine(x - 11, y, x + 11, y);
                }
                case UP -> g.fillPolygon(new int[] {x - 6, x + 6, x}, new int[] {y + 5, y + 5, y - 6}, 3);
            }
        }
    }

    /** A plot rectangle in pixels over data from 0 to xMax and 0 to yMax, with ticks every xStep and yStep. */
    record Axes(Rectangle r, double xMax, double xStep, double yMax, double yStep) {
        static Axes over(Rectangle r, double xData, double yData) {
            double xs = step(xData);
            double ys = step(yData);
            return new Axes(r, Math.ceil(xData / xs) * xs, xs, Math.ceil(yData / ys) * ys, ys);
        }

        /** A tick spacing of 1, 2, 2.5 or 5 times a power of ten giving about six ticks. */
        static double step(double max) {
            double raw = max / 6;
            double decade = Math.pow(10, Math.floor(Math.log10(raw)));
            for (double m : new double[] {1, 2, 2.5, 5}) {
                if (m * decade >= raw) {
                    return m * decade;
                }
            }
            return 10 * decade;
        }

        int x(double v) {
            return r.x + (int) Math.round(v / xMax * r.width);
        }

        /** Values above the scale, such as a p99 beyond the histogram, sit on the top edge. */
        int y(double v) {
            return r.y + r.height - (int) Math.round(Math.min(v, yMax) / yMax * r.height);
        }

        void draw(Graphics2D g, String title, String yLabel) {
            g.setStroke(solid(1));
            for (int i = 0; i * xStep <= xMax + xStep / 2; i++) {
                double v = i * xStep;
                g.setColor(GRID);
                g.drawLine(x(v), r.y, x(v), r.y + r.height);
                text(g, label(v, xStep), x(v), r.y + r.height + 18, Font.PLAIN, 11, 0.5);
            }
            for (int i = 0; i * yStep <= yMax + yStep / 2; i++) {
                double v = i * yStep;
                g.setColor(GRID);
                g.drawLine(r.x, y(v), r.x + r.width, y(v));
                text(g, label(v, yStep), r.x - 6, y(v) + 4, Font.PLAIN, 11, 1);
            }
            g.setColor(INK);
            g.drawRect(r.x, r.y, r.width, r.height);
            text(g, title, r.x + r.width / 2, r.y - 12, Font.BOLD, 14, 0.5);
            text(g, "fleet size (nodes)", r.x + r.width / 2, r.y + r.height + 40, Font.PLAIN, 12, 0.5);
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2, r.x - 52, r.y + r.height / 2.0);
            text(g, yLabel, r.x - 52, r.y + r.height / 2, Font.PLAIN, 12, 0.5);
            g.setTransform(saved);
        }

        /** A tick label with as many decimals as the step needs: 2,500 or 0.25. */
        static String label(double v, double step) {
            int decimals = 0;
            while (decimals < 4 && Math.abs(step * Math.pow(10, decimals) - Math.rint(step * Math.pow(10, decimals))) > 1e-9) {
                decimals++;
            }
            return String.format(Locale.ROOT, "%,." + decimals + "f", v);
        }
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }
}
