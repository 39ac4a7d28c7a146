// SPDX-License-Identifier: MIT
#include "histogram_chart.h"

#include <QFontDatabase>
#include <QFontMetrics>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace cwb::gui {
namespace {

// Bars in log mode start here: below a count of 1, so a bin holding one value is still visible.
constexpr double kLogBase = 0.7;

const QColor kBarFill(70, 130, 180);
const QColor kBarLine(38, 84, 124);
const QColor kMarkerColor(200, 30, 45);
const QColor kOverlayColor(230, 110, 20);

} // namespace

HistogramChart::HistogramChart(QWidget *parent) : QWidget(parent), plot_(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    setMinimumSize(320, 180); // low enough that a tall bottom dock (heat maps) fits at 800 px

    QFont titleFont = font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    titleFont.setBold(true);
    plot_->plotLayout()->insertRow(0);
    title_ = new QCPTextElement(plot_, QString(), titleFont);
    plot_->plotLayout()->addElement(0, 0, title_);

    bars_ = new QCPBars(plot_->xAxis, plot_->yAxis);
    bars_->setWidthType(QCPBars::wtPlotCoords);
    bars_->setPen(QPen(kBarLine, 0));
    bars_->setBrush(kBarFill);
    bars_->setAntialiased(false);

    // A curve, not a graph: the outline's points go up and down at the same key, in order.
    outline_ = new QCPCurve(plot_->xAxis, plot_->yAxis);
    outline_->setPen(QPen(kOverlayColor, 2));
    outline_->setBrush(Qt::NoBrush);

    plot_->xAxis->grid()->setVisible(false);
    plot_->yAxis->grid()->setSubGridVisible(false);

    // Top-left: the statistics box holds the top-right corner.
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    plot_->legend->setBrush(QColor(255, 255, 255, 225));
    plot_->legend->setBorderPen(QPen(QColor(170, 170, 170)));
    plot_->legend->setVisible(false);

    stats_ = new QCPItemText(plot_);
    stats_->setClipToAxisRect(true);
    stats_->position->setType(QCPItemPosition::ptAxisRectRatio);
    stats_->position->setCoords(0.985, 0.03);
    stats_->setPositionAlignment(Qt::AlignTop | Qt::AlignRight);
    stats_->setTextAlignment(Qt::AlignLeft);
    stats_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    stats_->setPadding(QMargins(8, 6, 8, 6));
    stats_->setBrush(QColor(255, 255, 255, 225));
    stats_->setPen(QPen(QColor(170, 170, 170)));
    // The axis rectangle's height is known once laid out: refit the count axis to it (a resize
    // changes how much of the plot the statistics box covers), drawing once more if it moved.
    connect(plot_, &QCustomPlot::afterLayout, this, [this] {
        if (fitCountRange())
            plot_->replot(QCustomPlot::rpQueuedReplot);
    });

    clear();
}

HistogramChart::~HistogramChart() = default;

void HistogramChart::setSeries(HistogramSeries series)
{
    series_ = std::move(series);
    overlay_.clear();
    redraw();
}

void HistogramChart::clear(const QString &message)
{
    series_ = HistogramSeries{};
    overlay_.clear();
    series_.title = message.isEmpty() ? tr("No tensor selected") : message;
    redraw();
}

void HistogramChart::setLogCounts(bool log)
{
    if (log == log_)
        return;
    log_ = log;
    redraw();
}

void HistogramChart::setMarkers(std::vector<HistogramMarker> markers)
{
    markers_ = std::move(markers);
    redraw();
}

void HistogramChart::setOverlay(std::vector<double> counts, const QString &label,
                                const QString &seriesLabel)
{
    overlay_ = std::move(counts);
    if (overlay_.size() != series_.counts.size())
        overlay_.clear();
    overlayLabel_ = label;
    seriesLabel_ = seriesLabel;
    redraw();
}

void HistogramChart::clearOverlay()
{
    if (overlay_.empty())
        return;
    overlay_.clear();
    redraw();
}

int HistogramChart::overlayPointCount() const { return outline_->data()->size(); }

bool HistogramChart::legendVisible() const { return plot_->legend->visible(); }

int HistogramChart::barCount() const { return bars_->data()->size(); }

QString HistogramChart::title() const { return series_.title; }

void HistogramChart::fitTitle()
{
    // "layers.0.attn.q   (model.layers.0.self_attn.q_proj.weight)" is wider than a narrow
    // Inspector: both ends stay readable.
    const int room = std::max(40, plot_->width() - 16);
    title_->setText(QFontMetrics(title_->font()).elidedText(series_.title, Qt::ElideMiddle, room));
}

void HistogramChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitTitle();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramChart::redraw()
{
    const HistogramSeries &s = series_;
    fitTitle();
    plot_->xAxis->setLabel(s.xLabel.isEmpty() ? tr("value") : s.xLabel);

    const size_t n = s.counts.size();
    const bool valid = n > 0 && s.edges.size() == n + 1;
    QVector<double> keys, values;
    double maxCount = 0;
    if (valid) {
        keys.reserve(static_cast<qsizetype>(n));
        values.reserve(static_cast<qsizetype>(n));
        for (size_t i = 0; i < n; ++i) {
            maxCount = std::max(maxCount, s.counts[i]);
            if (log_ && s.counts[i] <= 0)
                continue;
            keys.push_back(0.5 * (s.edges[i] + s.edges[i + 1]));
            values.push_back(s.counts[i]);
        }
        bars_->setWidth((s.edges.back() - s.edges.front()) / static_cast<double>(n));
    }
    bars_->setData(keys, values, true);
    drawOverlay(valid, maxCount);

    QCPAxis *y = plot_->yAxis;
    if (log_) {
        y->setScaleType(QCPAxis::stLogarithmic);
        y->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        // Plain 1, 10, 100 read better than powers of ten for counts of a few million at most.
        y->setNumberFormat(QStringLiteral("g"));
        y->setNumberPrecision(9);
        y->setLabel(tr("count (log scale)"));
        bars_->setBaseValue(kLogBase);
    } else {
        y->setScaleType(QCPAxis::stLinear);
        y->setTicker(QSharedPointer<QCPAxisTicker>::create());
        y->setNumberFormat(QStringLiteral("gb"));
        y->setNumberPrecision(9);
        y->setLabel(tr("count"));
        bars_->setBaseValue(0);
    }
    maxCount_ = maxCount;
    if (valid) {
        const double pad = 0.02 * (s.edges.back() - s.edges.front());
        plot_->xAxis->setRange(s.edges.front() - pad, s.edges.back() + pad);
    } else {
        plot_->xAxis->setRange(-1, 1);
    }
    // Without data, ticks on an arbitrary range would suggest values that do not exist.
    plot_->xAxis->setTickLabels(valid);
    plot_->yAxis->setTickLabels(valid);
    plot_->yAxis->grid()->setVisible(valid);
    stats_->setText(s.statsText);
    stats_->setVisible(valid && !s.statsText.isEmpty());
    (void)fitCountRange();
    drawMarkers(valid);
    plot_->replot();
}

bool HistogramChart::fitCountRange()
{
    // The share of the axis rectangle's height the box takes from the top (its 3 % offset, its
    // lines and padding, a 6 px gap), at least the 31 % a five-line box needs at the default
    // size; at 1280x800 the box used to cover the peak of a bell-shaped histogram.
    const int rectHeight = plot_->axisRect()->height();
    double share = 0.31;
    if (stats_->visible() && rectHeight > 0) {
        const int lines = int(stats_->text().count(QLatin1Char('\n'))) + 1;
        const QMargins pad = stats_->padding();
        const double box = lines * QFontMetrics(stats_->font()).lineSpacing() + pad.top()
                           + pad.bottom() + 2 + 0.03 * rectHeight + 6;
        share = std::clamp(box / rectHeight, share, 0.7);
    }
    QCPRange range;
    if (log_) {
        // The same share of the decades: maxCount sits at (1 - share) of log(top / base).
        const double decades = std::log10(std::max(10.0, maxCount_) / kLogBase);
        range = QCPRange(kLogBase, kLogBase * std::pow(10.0, decades / (1.0 - share)));
    } else {
        range = QCPRange(0, maxCount_ > 0 ? maxCount_ / (1.0 - share) : 1.0);
    }
    const QCPRange now = plot_->yAxis->range();
    if (std::abs(now.lower - range.lower) <= 1e-9 * std::abs(range.upper)
        && std::abs(now.upper - range.upper) <= 1e-9 * std::abs(range.upper))
        return false;
    plot_->yAxis->setRange(range);
    return true;
}

void HistogramChart::drawOverlay(bool valid, double &maxCount)
{
    const HistogramSeries &s = series_;
    const bool shown = valid && !overlay_.empty() && overlay_.size() == s.counts.size();
    const double base = log_ ? kLogBase : 0.0; // empty bins drop to the axis, also on log
    QVector<double> t, keys, values;
    if (shown) {
        const size_t n = overlay_.size();
        keys.reserve(static_cast<qsizetype>(2 * n + 2));
        values.reserve(static_cast<qsizetype>(2 * n + 2));
        keys.push_back(s.edges.front());
        values.push_back(base);
        for (size_t i = 0; i < n; ++i) {
            const double c = overlay_[i] > 0 ? overlay_[i] : base;
            maxCount = std::max(maxCount, overlay_[i]);
            keys.push_back(s.edges[i]);
            values.push_back(c);
            keys.push_back(s.edges[i + 1]);
            values.push_back(c);
        }
        keys.push_back(s.edges.back());
        values.push_back(base);
        t.reserve(keys.size());
        for (qsizetype i = 0; i < keys.size(); ++i)
            t.push_back(static_cast<double>(i));
    }
    outline_->setData(t, keys, values, true);
    bars_->setName(seriesLabel_.isEmpty() ? tr("original") : seriesLabel_);
    outline_->setName(overlayLabel_);
    // Lighter bars let the outline read where both are equal.
    QColor fill = kBarFill;
    if (shown)
        fill.setAlpha(150);
    bars_->setBrush(fill);
    plot_->legend->setVisible(shown);
}

void HistogramChart::drawMarkers(bool valid)
{
    for (QCPAbstractItem *item : markerItems_)
        plot_->removeItem(item);
    markerItems_.clear();
    visibleMarkers_ = 0;
    if (!valid)
        return;
    const double lo = series_.edges.front(), hi = series_.edges.back();
    QFont labelFont = font();
    labelFont.setPointSizeF(labelFont.pointSizeF() * 0.85);
    int slot = 0;
    for (const HistogramMarker &m : markers_) {
        if (!(m.value >= lo && m.value <= hi))
            continue; // beyond the bins: no value lies there
        auto *line = new QCPItemLine(plot_);
        line->setPen(QPen(kMarkerColor, 1.5, Qt::DashLine));
        for (QCPItemPosition *p : {line->start, line->end}) {
            p->setTypeX(QCPItemPosition::ptPlotCoords);
            p->setTypeY(QCPItemPosition::ptAxisRectRatio);
        }
        line->start->setCoords(m.value, 0);
        line->end->setCoords(m.value, 1);
        markerItems_.push_back(line);
        ++visibleMarkers_;
        if (m.label.isEmpty())
            continue;
        // Written towards the centre (tails hold the markers, the peak is narrow), below the
        // statistics box, each marker a little lower than the previous one.
        auto *label = new QCPItemText(plot_);
        label->position->setTypeX(QCPItemPosition::ptPlotCoords);
        label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        label->position->setCoords(m.value, 0.62 + 0.08 * (slot++ % 4));
        const bool right = m.value >= 0.5 * (lo + hi);
        label->setPositionAlignment((right ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
        label->setPadding(QMargins(4, 1, 4, 1));
        label->setFont(labelFont);
        label->setColor(kMarkerColor);
        label->setBrush(QColor(255, 255, 255, 215));
        label->setText(m.label);
        markerItems_.push_back(label);
    }
}

} // namespace cwb::gui
