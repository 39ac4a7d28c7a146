// SPDX-License-Identifier: MIT
#pragma once
// Per-tensor errors of two runs side by side, drawn with QCustomPlot (included only by the
// .cpp): for every tensor a pair of bars, A's and B's error against the original, grouped and
// shaded by layer like the Compression Errors chart. A combo box switches the metric, a check box
// puts the value axis on a log scale, hovering a pair names the tensor and both values, and
// Export… writes the picture (PNG/SVG/PDF) or the numbers (CSV). It computes nothing: the values
// come from core's comparison (compare/tensor_compare.h), unknown ones as NaN (no bar).

#include <QString>
#include <QStringList>
#include "metric_series.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QCPBars;
class QLabel;
class QMouseEvent;
class QPushButton;

namespace cwb::gui {

struct CompareErrorEntry {
    QString tensor; // canonical name ("layers.1.mlp.up")
    double a = 0;   // NaN: unknown
    double b = 0;
};

class CompareErrorChart : public QWidget {
    Q_OBJECT

public:
    explicit CompareErrorChart(QWidget *parent = nullptr);
    ~CompareErrorChart() override;

    // The legend's names of the two sides ("A: stories260K.gguf"), beside the controls.
    void setSideNames(const QString &a, const QString &b);
    // Adds the metric (or replaces its entries); the first one set is shown.
    void setSeries(const QString &metricName, std::vector<CompareErrorEntry> entries);
    void setMetric(const QString &metricName);
    // Removes every metric and shows `message` instead.
    void clear(const QString &message);
    void setLogScale(bool log);

    [[nodiscard]] QString metric() const { return series_.current(); }
    [[nodiscard]] QStringList metrics() const;
    [[nodiscard]] const std::vector<CompareErrorEntry> &entries() const;
    // Bars drawn for A and for B (unknown values, and values <= 0 on a log scale, have none).
    [[nodiscard]] int barCount(int side) const;
    // Tick labels as drawn, one per tensor, empty where thinned out.
    [[nodiscard]] QStringList tickLabels() const { return ticks_; }
    // The tensor under a widget-relative position of the plot; -1 for none.
    [[nodiscard]] int entryAt(const QPoint &plotPos) const;
    [[nodiscard]] double entryKey(int index) const;
    // "layers.1.mlp.up: A 0.0123, B 0.0456 (Relative error)"
    [[nodiscard]] QString describeEntry(int index) const;
    [[nodiscard]] QString hoverText() const;
    [[nodiscard]] QString legendText(int side) const;
    [[nodiscard]] QComboBox *metricBox() const { return metricBox_; }
    [[nodiscard]] QCheckBox *logBox() const { return logBox_; }
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

    // The picture (by suffix) or, for .csv, tensor, A and B of every metric.
    bool exportTo(const QString &path, QString *error) const;
    [[nodiscard]] QStringList csvHeader() const;
    [[nodiscard]] std::vector<QStringList> csvRows() const;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:

    void redraw();
    void updateTicks();
    [[nodiscard]] int valueTickCount() const;
    void hover(QMouseEvent *event);

    QCustomPlot *plot_ = nullptr;
    QComboBox *metricBox_ = nullptr;
    QCheckBox *logBox_ = nullptr;
    QPushButton *exportButton_ = nullptr;
    QLabel *hover_ = nullptr;
    QLabel *legend_[2] = {nullptr, nullptr};
    QCPBars *bars_[2] = {nullptr, nullptr};
    MetricSeries<CompareErrorEntry> series_;
    QString message_;
    QString names_[2];
    std::vector<double> keys_; // x of each tensor's pair
    QStringList ticks_;
    int hovered_ = -1;
    int margin_ = 0;
    bool log_ = false;
};

} // namespace cwb::gui
