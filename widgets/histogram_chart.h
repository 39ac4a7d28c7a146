// SPDX-License-Identifier: MIT
#pragma once
// A bar chart of one histogram, drawn with QCustomPlot (included only by the .cpp, because its
// header is heavy). It knows nothing about tensors: it draws a HistogramSeries, and optionally a
// second set of counts over the same bins (e.g. "original" vs "dequantized") as a step outline
// on top of the bars, with a legend.

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPAbstractItem;
class QCPBars;
class QCPCurve;
class QCPItemText;
class QCPTextElement;

namespace cwb::gui {

// A dashed vertical line at `value` with a short label (e.g. an outlier threshold).
struct HistogramMarker {
    double value = 0;
    QString label;
};

struct HistogramSeries {
    QString title;              // drawn above the plot (the tensor's name)
    std::vector<double> edges;  // bins + 1 ascending bin edges
    std::vector<double> counts; // one per bin
    QString statsText;          // a few lines drawn in the plot's top-right corner
    QString xLabel;             // value axis label; empty: "value"
};

class HistogramChart : public QWidget {
    Q_OBJECT

public:
    explicit HistogramChart(QWidget *parent = nullptr);
    ~HistogramChart() override;

    void setSeries(HistogramSeries series);
    // Empties the plot and shows `message` as its title.
    void clear(const QString &message = {});
    // Logarithmic count axis; empty bins are left out because log(0) has no place on it.
    void setLogCounts(bool log);
    // Markers stay until replaced; those outside the bins' range are not drawn.
    void setMarkers(std::vector<HistogramMarker> markers);
    // Counts of a second set of values in the series' own bins, drawn as a step outline over the
    // bars; the legend names the bars `seriesLabel` (empty: "original") and the outline `label`.
    // Ignored (and any overlay removed) when the count differs from the series' bin count.
    // setSeries and clear remove the overlay: it belongs to the bins it was counted in.
    void setOverlay(std::vector<double> counts, const QString &label,
                    const QString &seriesLabel = {});
    void clearOverlay();

    [[nodiscard]] bool logCounts() const { return log_; }
    [[nodiscard]] bool hasData() const { return !series_.counts.empty(); }
    [[nodiscard]] int barCount() const; // bars drawn (in log mode: non-empty bins only)
    // The full title; the chart shows it elided in the middle when it is wider than the plot.
    [[nodiscard]] QString title() const;
    [[nodiscard]] const std::vector<HistogramMarker> &markers() const { return markers_; }
    [[nodiscard]] int visibleMarkerCount() const { return visibleMarkers_; }
    [[nodiscard]] const HistogramSeries &series() const { return series_; }
    [[nodiscard]] bool hasOverlay() const { return !overlay_.empty(); }
    [[nodiscard]] const std::vector<double> &overlayCounts() const { return overlay_; }
    [[nodiscard]] QString overlayLabel() const { return overlayLabel_; }
    // Points of the drawn outline (two per bin, plus the closing drop); 0 without an overlay.
    [[nodiscard]] int overlayPointCount() const;
    [[nodiscard]] bool legendVisible() const;
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void redraw();
    void fitTitle();
    void drawMarkers(bool valid);
    void drawOverlay(bool valid, double &maxCount); // raises maxCount to the overlay's peak
    // Sets the count axis so that the tallest bar ends below the statistics box (top-right) at
    // the axis rectangle's present height; true when the range changed.
    bool fitCountRange();

    QCustomPlot *plot_ = nullptr;
    QCPBars *bars_ = nullptr;
    QCPCurve *outline_ = nullptr; // the overlay
    QCPTextElement *title_ = nullptr;
    QCPItemText *stats_ = nullptr;
    HistogramSeries series_;
    std::vector<HistogramMarker> markers_;
    std::vector<double> overlay_;
    QString overlayLabel_;
    QString seriesLabel_;
    std::vector<QCPAbstractItem *> markerItems_; // lines and labels drawn for markers_
    int visibleMarkers_ = 0;
    bool log_ = false;
    double maxCount_ = 0; // the tallest bar or overlay point of the series shown
};

} // namespace cwb::gui
