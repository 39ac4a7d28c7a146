// SPDX-License-Identifier: MIT
#pragma once
// A heat map of one metric over a whole model: layers along x, tensor roles (attn.q, mlp.down,
// norms, ...) along y, drawn with QCustomPlot's QCPColorMap (included only by the .cpp) with a
// colour scale beside it. Cells without a tensor or a value stay grey. Clicking a cell that
// holds a tensor emits tensorClicked; hovering shows the tensor and its value.

#include <QString>
#include <QStringList>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPItemText;
class QCPMarginGroup;

namespace cwb::gui {

struct HeatmapGrid {
    QStringList columns;          // x: layer labels, left to right
    QStringList rows;             // y: role labels, top to bottom
    std::vector<double> values;   // rows x columns, row-major; NaN: no value
    std::vector<QString> tensors; // rows x columns: original tensor name; empty: no tensor
    QString metric;               // colour scale label
    QString columnTitle;          // x axis title; empty: "layer"
    bool logScale = false;        // colours on a logarithmic scale (all values > 0)

    [[nodiscard]] int rowCount() const { return static_cast<int>(rows.size()); }
    [[nodiscard]] int columnCount() const { return static_cast<int>(columns.size()); }
    [[nodiscard]] double value(int row, int column) const;
    [[nodiscard]] QString tensor(int row, int column) const;
};

class OverviewHeatmap : public QWidget {
    Q_OBJECT

public:
    explicit OverviewHeatmap(QWidget *parent = nullptr);
    ~OverviewHeatmap() override;

    void setGrid(HeatmapGrid grid);
    // No cells; `message` in the middle.
    void clear(const QString &message = {});
    // Outlines the cell of this tensor (original name); empty or unknown: no outline.
    void setSelectedTensor(const QString &tensor);

    [[nodiscard]] const HeatmapGrid &grid() const { return grid_; }
    [[nodiscard]] QString selectedTensor() const { return selected_; }
    [[nodiscard]] QString message() const { return message_; }
    // Where the cell's centre is, in plot() widget coordinates (for tests and tooltips).
    [[nodiscard]] QPoint cellCenter(int row, int column) const;
    // The cell under a plot() position; false when there is none.
    bool cellAt(const QPoint &pos, int *row, int *column) const;
    // Cells labelled with their value (only while cells are large enough to hold the text).
    [[nodiscard]] int visibleValueLabels() const;
    [[nodiscard]] QCustomPlot *plot() const { return plot_; }
    // The plot as a plain widget (mouse events in tests; qcustomplot.h stays in the .cpp).
    [[nodiscard]] QWidget *canvas() const;
    // Lays out and draws now, so cellCenter() matches the current size.
    void replot();

Q_SIGNALS:
    void tensorClicked(const QString &tensor);

private:
    void rebuild();
    void updateSelection();
    void updateLabelVisibility();
    void showTooltip(const QPoint &pos);

    QCustomPlot *plot_ = nullptr;
    QCPColorMap *map_ = nullptr;
    QCPColorScale *scale_ = nullptr;
    QCPMarginGroup *margins_ = nullptr;
    std::vector<QCPItemText *> labels_; // one per cell with a value
    QCPItemRect *selection_ = nullptr;
    HeatmapGrid grid_;
    QString selected_;
    QString message_;
};

} // namespace cwb::gui
