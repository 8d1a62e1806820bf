package io.kvbm.examples.simulator;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws hit rate against capacity, one line per policy, with the two bounds dashed, as a PNG (XChart). */
public final class ChartReport {

    private static final Color[] PALETTE = {
        new Color(0x1f77b4),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0xd62728),
        new Color(0x9467bd),
        new Color(0x8c564b),
        new Color(0xe377c2),
        new Color(0x17becf)
    };

    private ChartReport() {}

    /**
     * Writes the chart.
     *
     * @param sweep the measurements
     * @param file the target ({@code .png} is added by XChart if missing), replaced
     * @throws IOException if writing fails
     */
    public static void writePng(SweepResult sweep, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder()
                .width(1100)
                .height(600)
                .title("Hit rate vs capacity — " + sweep.traceName() + " ("
                        + sweep.plan().mode().name().toLowerCase(java.util.Locale.ROOT) + " replay)")
                .xAxisTitle("capacity (blocks of " + sweep.plan().blockSize() + " tokens, log scale)")
                .yAxisTitle("hit rate (%)")
                .build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
        chart.getStyler().setYAxisDecimalPattern("0.0");
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        chart.getStyler().setYAxisMin(0.0);

        int colour = 0;
        for (String name : sweep.names()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int c : sweep.plan().capacities()) {
                sweep.find(name, c).ifPresent(r -> {
                    x.add((double) r.capacity());
                    y.add(100 * r.hitRate());
                });
            }
            boolean bound = name.equals("belady") || name.equals("infinite");
            XYSeries series = chart.addSeries(bound ? name + " (bound)" : name, x, y);
            if (bound) {
                series.setLineColor(name.equals("belady") ? Color.BLACK : Color.GRAY);
                series.setLineStyle(new BasicStroke(
                        2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
                series.setMarker(SeriesMarkers.NONE);
            } else {
                Color c = PALETTE[colour % PALETTE.length];
                series.setLineColor(c);
                series.setMarkerColor(c);
                series.setMarker(SeriesMarkers.CIRCLE);
                // Wider lines underneath: a policy that coincides with a later one still shows as a halo.
                series.setLineStyle(new BasicStroke(Math.max(1.5f, 6.5f - 1.5f * colour)));
                colour++;
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
