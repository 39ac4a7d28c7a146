// SPDX-License-Identifier: MIT
#include "overview_heatmap.h"

#include <QLocale>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cwb::gui {
namespace {

// Columns with more labels than this get every n-th tick label only.
constexpr int kMaxColumnLabels = 24;
// A cell shows its value only when the text fits comfortably.
constexpr int kLabelMinWidth = 46;
constexpr int kLabelMinHeight = 15;

// Viridis' end points and three intermediate stops: perceptually even, readable in greyscale
// and by colour-blind readers.
QCPColorGradient viridis()
{
    QCPColorGradient g;
    g.setColorStops({{0.0, QColor(68, 1, 84)},
                     {0.25, QColor(59, 82, 139)},
                     {0.5, QColor(33, 145, 140)},
                     {0.75, QColor(94, 201, 98)},
                     {1.0, QColor(253, 231, 37)}});
    g.setLevelCount(256);
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(QColor(228, 228, 228));
    return g;
}

QString formatValue(double v)
{
    if (std::abs(v) >= 1000 || (v != 0 && std::abs(v) < 0.01))
        return QLocale().toString(v, 'g', 2);
    if (v == std::round(v))
        return QLocale().toString(v, 'f', 0);
    return QLocale().toString(v, 'g', 3);
}

} // namespace

double HeatmapGrid::value(int row, int column) const
{
    const size_t i = static_cast<size_t>(row) * static_cast<size_t>(columns.size())
        + static_cast<size_t>(column);
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount() || i >= values.size())
        return std::numeric_limits<double>::quiet_NaN();
    return values[i];
}

QString HeatmapGrid::tensor(int row, int column) const
{
    const size_t i = static_cast<size_t>(row) * static_cast<size_t>(columns.size())
        + static_cast<size_t>(column);
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount()
        || i >= tensors.size())
        return {};
    return tensors[i];
}

OverviewHeatmap::OverviewHeatmap(QWidget *parent) : QWidget(parent), plot_(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    setMinimumSize(360, 200);

    map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    map_->setInterpolate(false);
    map_->setTightBoundary(false);
    map_->setGradient(viridis());
    scale_ = new QCPColorScale(plot_);
    scale_->setType(QCPAxis::atRight);
    scale_->setBarWidth(14);
    scale_->setGradient(viridis());
    plot_->plotLayout()->addElement(0, 1, scale_);
    map_->setColorScale(scale_);
    // The scale's bar spans exactly the map's height.
    margins_ = new QCPMarginGroup(plot_);
    plot_->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins_);
    scale_->setMarginGroup(QCP::msTop | QCP::msBottom, margins_);

    plot_->yAxis->setRangeReversed(true); // first role at the top, like a table
    plot_->xAxis->grid()->setVisible(false);
    plot_->yAxis->grid()->setVisible(false);
    plot_->xAxis->setTicks(true);
    plot_->xAxis->setSubTicks(false);
    plot_->yAxis->setSubTicks(false);
    plot_->setMouseTracking(true);

    connect(plot_, &QCustomPlot::afterLayout, this, &OverviewHeatmap::updateLabelVisibility);
    connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        int row = 0, column = 0;
        if (event->button() != Qt::LeftButton || !cellAt(event->pos(), &row, &column))
            return;
        const QString tensor = grid_.tensor(row, column);
        if (tensor.isEmpty())
            return;
        setSelectedTensor(tensor);
        Q_EMIT tensorClicked(tensor);
    });
    connect(plot_, &QCustomPlot::mouseMove, this,
            [this](QMouseEvent *event) { showTooltip(event->pos()); });

    clear();
}

OverviewHeatmap::~OverviewHeatmap() = default;

void OverviewHeatmap::setGrid(HeatmapGrid grid)
{
    grid_ = std::move(grid);
    message_.clear();
    rebuild();
}

void OverviewHeatmap::clear(const QString &message)
{
    grid_ = HeatmapGrid{};
    message_ = message.isEmpty() ? tr("No analysis results") : message;
    rebuild();
}

void OverviewHeatmap::setSelectedTensor(const QString &tensor)
{
    selected_ = tensor;
    updateSelection();
    plot_->replot();
}

QWidget *OverviewHeatmap::canvas() const { return plot_; }

void OverviewHeatmap::replot() { plot_->replot(); }

QPoint OverviewHeatmap::cellCenter(int row, int column) const
{
    return QPoint(qRound(plot_->xAxis->coordToPixel(column)),
                  qRound(plot_->yAxis->coordToPixel(row)));
}

bool OverviewHeatmap::cellAt(const QPoint &pos, int *row, int *column) const
{
    if (grid_.rowCount() == 0 || grid_.columnCount() == 0
        || !plot_->axisRect()->rect().contains(pos))
        return false;
    const int c = static_cast<int>(std::lround(plot_->xAxis->pixelToCoord(pos.x())));
    const int r = static_cast<int>(std::lround(plot_->yAxis->pixelToCoord(pos.y())));
    if (r < 0 || c < 0 || r >= grid_.rowCount() || c >= grid_.columnCount())
        return false;
    *row = r;
    *column = c;
    return true;
}

int OverviewHeatmap::visibleValueLabels() const
{
    return static_cast<int>(std::count_if(labels_.begin(), labels_.end(),
                                          [](const QCPItemText *t) { return t->visible(); }));
}

void OverviewHeatmap::rebuild()
{
    plot_->clearItems();
    labels_.clear();
    selection_ = nullptr;
    const int rows = grid_.rowCount();
    const int cols = grid_.columnCount();
    const bool valid = rows > 0 && cols > 0;
    map_->setVisible(valid);
    scale_->setVisible(valid);

    auto xTicks = QSharedPointer<QCPAxisTickerText>::create();
    auto yTicks = QSharedPointer<QCPAxisTickerText>::create();
    if (!valid) {
        map_->data()->clear();
        plot_->xAxis->setLabel(QString());
        plot_->xAxis->setRange(0, 1);
        plot_->yAxis->setRange(0, 1);
        auto *text = new QCPItemText(plot_);
        text->position->setType(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(0.5, 0.5);
        text->setText(message_);
        text->setColor(QColor(90, 90, 90));
        QFont big = font();
        big.setPointSizeF(big.pointSizeF() * 1.15);
        text->setFont(big);
        plot_->xAxis->setTicker(xTicks);
        plot_->yAxis->setTicker(yTicks);
        plot_->replot();
        return;
    }

    // QCPColorMap derives the cell size from (range / (cells - 1)): a single row or column
    // would have no extent, so such a map gets a second, empty one outside the visible range.
    const int dataCols = std::max(cols, 2);
    const int dataRows = std::max(rows, 2);
    QCPColorMapData *data = map_->data();
    data->setSize(dataCols, dataRows);
    data->setRange(QCPRange(0, dataCols - 1), QCPRange(0, dataRows - 1));
    data->fill(std::numeric_limits<double>::quiet_NaN());
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const double v = grid_.value(r, c);
            data->setCell(c, r, v);
            if (std::isfinite(v) && (!grid_.logScale || v > 0)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    if (!(lo <= hi)) {
        lo = 0;
        hi = 1;
    } else if (lo == hi) { // one value: put it in the middle of the scale
        const double pad = lo != 0 ? std::abs(lo) * 0.1 : 0.5;
        lo = grid_.logScale ? lo / 2 : lo - pad;
        hi = grid_.logScale ? hi * 2 : hi + pad;
    }
    const bool logScale = grid_.logScale && lo > 0;
    map_->setDataScaleType(logScale ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    scale_->setDataScaleType(logScale ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (logScale)
        scale_->axis()->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        scale_->axis()->setTicker(QSharedPointer<QCPAxisTicker>::create());
    map_->setDataRange(QCPRange(lo, hi));
    scale_->axis()->setLabel(grid_.metric);
    scale_->axis()->setNumberFormat(QStringLiteral("g"));
    scale_->axis()->setNumberPrecision(3);

    const int stride = (cols + kMaxColumnLabels - 1) / kMaxColumnLabels;
    for (int c = 0; c < cols; ++c)
        if (c % stride == 0)
            xTicks->addTick(c, grid_.columns[c]);
    // Every row labelled while the labels fit the plot's height; else every n-th (the tooltip
    // names each cell anyway).
    const int rowRoom = std::max(4, plot_->height() / (fontMetrics().height() + 2));
    const int rowStride = (rows + rowRoom - 1) / rowRoom;
    for (int r = 0; r < rows; ++r)
        if (r % rowStride == 0)
            yTicks->addTick(r, grid_.rows[r]);
    plot_->xAxis->setTicker(xTicks);
    plot_->yAxis->setTicker(yTicks);
    plot_->xAxis->setLabel(grid_.columnTitle.isEmpty() ? tr("layer") : grid_.columnTitle);
    plot_->xAxis->setRange(-0.5, cols - 0.5);
    plot_->yAxis->setRange(-0.5, rows - 0.5);

    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    QCPColorGradient gradient = viridis(); // color() is not const in QCustomPlot 2.1
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const double v = grid_.value(r, c);
            if (!std::isfinite(v))
                continue;
            auto *text = new QCPItemText(plot_);
            text->position->setCoords(c, r);
            text->setText(formatValue(v));
            text->setFont(small);
            // Dark text on the light (yellow-green) end of the scale, white on the dark end.
            const QColor cell = QColor::fromRgb(gradient.color(v, QCPRange(lo, hi), logScale));
            text->setColor(cell.lightnessF() > 0.5 ? Qt::black : Qt::white);
            labels_.push_back(text);
        }
    updateSelection();
    plot_->replot();
}

void OverviewHeatmap::updateSelection()
{
    if (selection_) {
        plot_->removeItem(selection_);
        selection_ = nullptr;
    }
    for (int r = 0; r < grid_.rowCount(); ++r)
        for (int c = 0; c < grid_.columnCount(); ++c) {
            if (selected_.isEmpty() || grid_.tensor(r, c) != selected_)
                continue;
            selection_ = new QCPItemRect(plot_);
            selection_->topLeft->setCoords(c - 0.5, r - 0.5);
            selection_->bottomRight->setCoords(c + 0.5, r + 0.5);
            selection_->setPen(QPen(QColor(220, 30, 30), 3));
            return;
        }
}

void OverviewHeatmap::updateLabelVisibility()
{
    const int cols = std::max(grid_.columnCount(), 1);
    const int rows = std::max(grid_.rowCount(), 1);
    const QRect area = plot_->axisRect()->rect();
    const bool fits
        = area.width() / cols >= kLabelMinWidth && area.height() / rows >= kLabelMinHeight;
    for (QCPItemText *t : labels_)
        t->setVisible(fits);
}

void OverviewHeatmap::showTooltip(const QPoint &pos)
{
    int row = 0, column = 0;
    if (!cellAt(pos, &row, &column) || grid_.tensor(row, column).isEmpty()) {
        QToolTip::hideText();
        return;
    }
    const double v = grid_.value(row, column);
    const QString value = std::isfinite(v) ? QLocale().toString(v, 'g', 5) : tr("no value");
    QToolTip::showText(plot_->mapToGlobal(pos),
                       tr("%1\n%2: %3").arg(grid_.tensor(row, column), grid_.metric, value),
                       plot_);
}

} // namespace cwb::gui
