// SPDX-License-Identifier: MIT
#pragma once
// A bar chart of one histogram, drawn with QCustomPlot (included only by the .cpp, because its
// header is heavy). It knows nothing about tensors: it draws a HistogramSeries.

#include <QString>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPAbstractItem;
class QCPBars;
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

    [[nodiscard]] bool logCounts() const { return log_; }
    [[nodiscard]] bool hasData() const { return !series_.counts.empty(); }
    [[nodiscard]] int barCount() const; // bars drawn (in log mode: non-empty bins only)
    [[nodiscard]] QString title() const;
    [[nodiscard]] const std::vector<HistogramMarker> &markers() const { return markers_; }
    [[nodiscard]] int visibleMarkerCount() const { return visibleMarkers_; }
    [[nodiscard]] const HistogramSeries &series() const { return series_; }
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

private:
    void redraw();
    void drawMarkers(bool valid);

    QCustomPlot *plot_ = nullptr;
    QCPBars *bars_ = nullptr;
    QCPTextElement *title_ = nullptr;
    QCPItemText *stats_ = nullptr;
    HistogramSeries series_;
    std::vector<HistogramMarker> markers_;
    std::vector<QCPAbstractItem *> markerItems_; // lines and labels drawn for markers_
    int visibleMarkers_ = 0;
    bool log_ = false;
};

} // namespace cwb::gui
