// SPDX-License-Identifier: MIT
#pragma once
// Per-tensor error bars after compression, drawn with QCustomPlot (included only by the .cpp):
// one bar per tensor in the order given, layers separated by a gap and alternating shading,
// coloured by projection kind (attention, MLP, other) with a legend beside the controls.
// Several named metrics can be set ("Relative Frobenius error", "Output error (calibration)");
// a combo box switches between them, a check box puts the value axis on a log scale, and
// hovering a bar names the tensor and its value. Tick labels are rotated and thinned out to the
// width available. It computes nothing: the values come from whoever ran the compression.

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

namespace cwb::gui {

struct LayerErrorEntry {
    QString tensor; // full (canonical) name, e.g. "layers.1.mlp.up"
    QString label;  // tick label; empty: shortTensorLabel(tensor)
    double value = 0;
};

enum class ProjectionKind { Attention, Mlp, Other };

// From the name (anything with "norm" is Other): canonical "layers.N.attn.*" /
// "layers.N.mlp.*", GGUF "blk.N.attn_*" / "blk.N.ffn_*", Hugging Face "...self_attn..." /
// "...mlp...".
[[nodiscard]] ProjectionKind projectionKindOf(const QString &tensor);
// The layer index in "layers.N.", "blk.N.", "h.N." or "layer.N."; -1 when there is none.
[[nodiscard]] int layerIndexOf(const QString &tensor);
// "layers.0.attn.q" -> "0.q", "layers.3.mlp.down" -> "3.down"; other names are returned whole.
[[nodiscard]] QString shortTensorLabel(const QString &tensor);

class LayerErrorChart : public QWidget {
    Q_OBJECT

public:
    explicit LayerErrorChart(QWidget *parent = nullptr);
    ~LayerErrorChart() override;

    // Adds the metric (or replaces its entries). The first metric set becomes the one shown.
    void setSeries(const QString &metricName, std::vector<LayerErrorEntry> entries);
    // Shows this metric; unknown names are ignored.
    void setMetric(const QString &metricName);
    // Removes every metric; `message` (default "No compression results") is shown instead.
    void clear(const QString &message = {});
    void setLogScale(bool log);

    [[nodiscard]] QString metric() const { return series_.current(); }
    [[nodiscard]] QStringList metrics() const;
    [[nodiscard]] bool logScale() const { return log_; }
    // The entries of the shown metric, in order.
    [[nodiscard]] const std::vector<LayerErrorEntry> &entries() const;
    // Bars drawn (log scale: values <= 0 have none), and each entry's bar as drawn, read back
    // from the plot: its value (NaN when not drawn) and its kind (the colour it was drawn in;
    // Other when not drawn).
    [[nodiscard]] int barCount() const;
    [[nodiscard]] std::vector<double> barValues() const;
    [[nodiscard]] ProjectionKind barKind(int index) const;
    // The x coordinate of entry `index`'s bar (NaN for none).
    [[nodiscard]] double barKey(int index) const;
    // Legend entries shown ("attention", "MLP", "other"): the kinds that have bars.
    [[nodiscard]] QStringList legendEntries() const;
    // Tick labels as drawn: one per entry, empty where thinned out.
    [[nodiscard]] QStringList tickLabels() const;
    // The entry under a widget-relative position of the plot; -1 for none.
    [[nodiscard]] int entryAt(const QPoint &plotPos) const;
    // "layers.1.mlp.up: 0.0123 (Relative Frobenius error)"
    [[nodiscard]] QString describeEntry(int index) const;
    // The line under the plot: the hovered bar, or a hint.
    [[nodiscard]] QString hoverText() const;
    [[nodiscard]] QComboBox *metricBox() const { return metricBox_; }
    [[nodiscard]] QCheckBox *logBox() const { return logBox_; }
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }

protected:
    void resizeEvent(QResizeEvent *event) override;

private:

    void redraw();
    void updateTicks(); // labels thinned and rotated to the plot's current width
    void hover(QMouseEvent *event);

    QCustomPlot *plot_ = nullptr;
    QComboBox *metricBox_ = nullptr;
    QCheckBox *logBox_ = nullptr;
    QLabel *hover_ = nullptr;
    QCPBars *bars_[3] = {nullptr, nullptr, nullptr};    // by ProjectionKind
    QWidget *legend_[3] = {nullptr, nullptr, nullptr};  // swatch + name, by ProjectionKind
    QString kindNames_[3];
    MetricSeries<LayerErrorEntry> series_;
    QString message_;
    std::vector<double> keys_; // x position of each entry
    QStringList ticks_;
    int hovered_ = -1;
    int margin_ = 0; // plot width minus axis-rect width at the last replot
    bool log_ = false;
};

} // namespace cwb::gui
