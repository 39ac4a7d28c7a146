// SPDX-License-Identifier: MIT
#include "layer_error_chart.h"

#include "model/canonical_name.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPixmap>
#include <QRegularExpression>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace cwb::gui {
namespace {

const QColor kKindColor[3] = {QColor(70, 130, 180), QColor(230, 135, 45), QColor(140, 140, 140)};
const QColor kShade(0, 0, 0, 14);

constexpr double kBarWidth = 0.8;
constexpr double kLayerGap = 0.6; // extra space between two layers, in bar slots

// Horizontal room the y-axis labels and margins take when the axis rect has not been laid out.
constexpr int kMarginEstimate = 90;

int kindIndex(ProjectionKind k) { return static_cast<int>(k); }

} // namespace

ProjectionKind projectionKindOf(const QString &tensor)
{
    static const QRegularExpression attention(
        QStringLiteral(R"((^|\.)(attn|self_attn|attention|attn_[a-z_]+)(\.|$))"));
    static const QRegularExpression mlp(
        QStringLiteral(R"((^|\.)(mlp|ffn|feed_forward|ffn_[a-z_]+)(\.|$))"));
    if (tensor.contains(QStringLiteral("norm")))
        return ProjectionKind::Other; // attn_norm, ffn_norm: scales, not projections
    if (attention.match(tensor).hasMatch())
        return ProjectionKind::Attention;
    if (mlp.match(tensor).hasMatch())
        return ProjectionKind::Mlp;
    return ProjectionKind::Other;
}

int layerIndexOf(const QString &tensor)
{
    static const QRegularExpression layer(QStringLiteral(R"((^|\.)(layers|blk|h|layer)\.(\d+)\.)"));
    const auto m = layer.match(tensor);
    return m.hasMatch() ? m.captured(3).toInt() : -1;
}

QString shortTensorLabel(const QString &tensor)
{
    static const QRegularExpression projection(
        QStringLiteral(R"(^(?:attn|mlp)\.([A-Za-z0-9_]+)(\.bias)?$)"));
    const std::string name = tensor.toStdString();
    const auto parts = splitLayerTensorName(name);
    const auto m = parts ? projection.match(QString::fromStdString(std::string(parts->role)))
                         : QRegularExpressionMatch();
    if (!m.hasMatch())
        return tensor;
    return QString::number(parts->layer) + QLatin1Char('.') + m.captured(1)
        + (m.hasCaptured(2) ? QStringLiteral(".b") : QString());
}

LayerErrorChart::LayerErrorChart(QWidget *parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), metricBox_(new QComboBox(this)),
      logBox_(new QCheckBox(tr("Log scale"), this)), hover_(new QLabel(this))
{
    series_.attach(metricBox_);
    auto *metricLabel = new QLabel(tr("Metric:"), this);
    metricLabel->setBuddy(metricBox_);
    metricBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    metricBox_->setToolTip(tr("Which per-tensor error the bars show"));
    logBox_->setToolTip(tr("Logarithmic value axis: small and large errors side by side"));
    auto *controls = new QHBoxLayout;
    controls->addWidget(metricLabel);
    controls->addWidget(metricBox_);
    controls->addSpacing(12);
    controls->addWidget(logBox_);
    controls->addStretch(1);
    // The legend: a colour swatch and name per projection kind that occurs, right-aligned.
    const QString kindNames[3] = {tr("attention"), tr("MLP"), tr("other")};
    for (int k = 0; k < 3; ++k) {
        auto *item = new QWidget(this);
        auto *row = new QHBoxLayout(item);
        row->setContentsMargins(8, 0, 0, 0);
        row->setSpacing(4);
        const int side = fontMetrics().height() - 4;
        QPixmap swatch(side, side);
        swatch.fill(kKindColor[k]);
        auto *icon = new QLabel(item);
        icon->setPixmap(swatch);
        row->addWidget(icon);
        row->addWidget(new QLabel(kindNames[k], item));
        item->setObjectName(QStringLiteral("layerErrorLegend%1").arg(k));
        controls->addWidget(item);
        legend_[k] = item;
        kindNames_[k] = kindNames[k];
    }

    hover_->setObjectName(QStringLiteral("layerErrorHover"));
    hover_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    hover_->setContentsMargins(4, 0, 4, 0);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(plot_, 1);
    layout->addWidget(hover_);
    setMinimumSize(360, 260);

    for (int k = 0; k < 3; ++k) {
        auto *bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setWidthType(QCPBars::wtPlotCoords);
        bars->setWidth(kBarWidth);
        bars->setPen(QPen(kKindColor[k].darker(135), 0));
        bars->setBrush(kKindColor[k]);
        bars->setAntialiased(false);
        bars->setName(kindNames[k]);
        bars->removeFromLegend();
        bars_[k] = bars;
    }
    plot_->xAxis->grid()->setVisible(false);
    plot_->xAxis->setSubTicks(false);
    plot_->xAxis->setTickLength(0, 4);
    plot_->yAxis->grid()->setSubGridVisible(false);

    connect(metricBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i >= 0)
            setMetric(metricBox_->itemText(i));
    });
    connect(logBox_, &QCheckBox::toggled, this, &LayerErrorChart::setLogScale);
    connect(plot_, &QCustomPlot::mouseMove, this, &LayerErrorChart::hover);
    // What the axes and margins took at the last layout: the bars get the rest after a resize.
    connect(plot_, &QCustomPlot::afterReplot, this, [this] {
        if (plot_->axisRect()->width() > 0)
            margin_ = plot_->width() - plot_->axisRect()->width();
    });
    clear();
}

LayerErrorChart::~LayerErrorChart() = default;

void LayerErrorChart::setSeries(const QString &metricName, std::vector<LayerErrorEntry> entries)
{
    for (LayerErrorEntry &e : entries)
        if (e.label.isEmpty())
            e.label = shortTensorLabel(e.tensor);
    const bool shown = series_.set(metricName, std::move(entries));
    if (shown)
        redraw();
}

void LayerErrorChart::setMetric(const QString &metricName)
{
    if (series_.select(metricName))
        redraw();
}

void LayerErrorChart::clear(const QString &message)
{
    series_.clear();
    message_ = message.isEmpty() ? tr("No compression results") : message;
    redraw();
}

void LayerErrorChart::setLogScale(bool log)
{
    if (log != logBox_->isChecked()) {
        const QSignalBlocker block(logBox_);
        logBox_->setChecked(log);
    }
    if (log == log_)
        return;
    log_ = log;
    redraw();
}

QStringList LayerErrorChart::metrics() const { return series_.names(); }

const std::vector<LayerErrorEntry> &LayerErrorChart::entries() const
{
    return series_.entries();
}

int LayerErrorChart::barCount() const
{
    int n = 0;
    for (const QCPBars *b : bars_)
        n += b->data()->size();
    return n;
}

std::vector<double> LayerErrorChart::barValues() const
{
    std::map<double, double> drawn;
    for (const QCPBars *b : bars_)
        for (auto it = b->data()->constBegin(); it != b->data()->constEnd(); ++it)
            drawn[it->key] = it->value;
    std::vector<double> out;
    out.reserve(keys_.size());
    for (double k : keys_) {
        const auto it = drawn.find(k);
        out.push_back(it == drawn.end() ? std::numeric_limits<double>::quiet_NaN() : it->second);
    }
    return out;
}

double LayerErrorChart::barKey(int index) const
{
    return index >= 0 && index < static_cast<int>(keys_.size())
        ? keys_[static_cast<size_t>(index)]
        : std::numeric_limits<double>::quiet_NaN();
}

ProjectionKind LayerErrorChart::barKind(int index) const
{
    const double key = barKey(index);
    for (int k = 0; k < 3; ++k) {
        const auto it = bars_[k]->data()->findBegin(key, false);
        if (it != bars_[k]->data()->constEnd() && it->key == key)
            return static_cast<ProjectionKind>(k);
    }
    return ProjectionKind::Other;
}

QStringList LayerErrorChart::legendEntries() const
{
    QStringList names;
    for (int k = 0; k < 3; ++k)
        if (!legend_[k]->isHidden())
            names.append(kindNames_[k]);
    return names;
}

QStringList LayerErrorChart::tickLabels() const { return ticks_; }

QString LayerErrorChart::hoverText() const { return hover_->text(); }

QString LayerErrorChart::describeEntry(int index) const
{
    const auto &e = entries();
    if (index < 0 || index >= static_cast<int>(e.size()))
        return {};
    return tr("%1: %2 (%3)")
        .arg(e[index].tensor, QLocale().toString(e[index].value, 'g', 4), series_.current());
}

int LayerErrorChart::entryAt(const QPoint &plotPos) const
{
    if (keys_.empty() || !plot_->axisRect()->rect().contains(plotPos))
        return -1;
    const double x = plot_->xAxis->pixelToCoord(plotPos.x());
    const auto it = std::lower_bound(keys_.begin(), keys_.end(), x);
    int best = -1;
    double bestDistance = 0.5; // half a slot either side of the bar's centre
    for (auto c : {it - 1, it}) {
        if (c < keys_.begin() || c >= keys_.end())
            continue;
        const double d = std::abs(*c - x);
        if (d <= bestDistance) {
            bestDistance = d;
            best = static_cast<int>(c - keys_.begin());
        }
    }
    return best;
}

void LayerErrorChart::hover(QMouseEvent *event)
{
    const int i = entryAt(event->pos());
    if (i == hovered_)
        return;
    hovered_ = i;
    if (i < 0) {
        hover_->setText(keys_.empty() ? QString()
                                      : tr("Point at a bar to see its tensor and value."));
        QToolTip::hideText();
        return;
    }
    const QString text = describeEntry(i);
    hover_->setText(text);
    QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

void LayerErrorChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    updateTicks();
    plot_->replot();
}

void LayerErrorChart::redraw()
{
    plot_->clearItems();
    hovered_ = -1;
    const std::vector<LayerErrorEntry> &entries = series_.entries();

    // Positions: one slot per tensor, a gap where the layer changes.
    keys_.clear();
    keys_.reserve(entries.size());
    std::vector<std::pair<size_t, size_t>> groups; // [first, last] entry of each layer
    double x = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const int layer = layerIndexOf(entries[i].tensor);
        if (i > 0 && layer != layerIndexOf(entries[i - 1].tensor)) {
            x += kLayerGap;
            groups.push_back({i, i});
        } else if (i == 0) {
            groups.push_back({0, 0});
        }
        groups.back().second = i;
        keys_.push_back(x);
        x += 1.0;
    }

    QVector<double> keys[3], values[3];
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const double v = entries[i].value;
        if (!std::isfinite(v) || (log_ && v <= 0))
            continue; // no place on the axis
        const int k = kindIndex(projectionKindOf(entries[i].tensor));
        keys[k].push_back(keys_[i]);
        values[k].push_back(v);
        hi = std::max(hi, v);
        if (v > 0)
            lo = std::min(lo, v);
    }
    bool any = false;
    for (int k = 0; k < 3; ++k) {
        bars_[k]->setData(keys[k], values[k], true);
        legend_[k]->setVisible(!keys[k].isEmpty()); // only kinds that occur
        any = any || !keys[k].isEmpty();
    }

    QCPAxis *y = plot_->yAxis;
    y->setLabel(series_.current());
    if (log_) {
        y->setScaleType(QCPAxis::stLogarithmic);
        y->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        y->setNumberFormat(QStringLiteral("eb"));
        y->setNumberPrecision(0);
        const double bottom = std::isfinite(lo) ? std::pow(10.0, std::floor(std::log10(lo))) : 1e-3;
        const double top = hi > 0 ? std::pow(10.0, std::ceil(std::log10(hi * 1.5))) : 1.0;
        for (QCPBars *b : bars_)
            b->setBaseValue(bottom);
        y->setRange(bottom, std::max(top, bottom * 10));
    } else {
        y->setScaleType(QCPAxis::stLinear);
        y->setTicker(QSharedPointer<QCPAxisTicker>::create());
        y->setNumberFormat(QStringLiteral("g"));
        y->setNumberPrecision(3);
        for (QCPBars *b : bars_)
            b->setBaseValue(0);
        y->setRange(0, hi > 0 ? hi * 1.12 : 1.0);
    }
    if (!keys_.empty())
        plot_->xAxis->setRange(keys_.front() - 0.8, keys_.back() + 0.8);
    else
        plot_->xAxis->setRange(0, 1);
    y->setTickLabels(any);
    y->grid()->setVisible(any);

    // Every other layer on a light band, so the groups read at a glance.
    for (size_t g = 1; g < groups.size(); g += 2) {
        auto *band = new QCPItemRect(plot_);
        band->setLayer(QStringLiteral("background"));
        band->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
        band->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        band->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
        band->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
        band->topLeft->setCoords(keys_[groups[g].first] - 0.5 - kLayerGap / 2, 0);
        band->bottomRight->setCoords(keys_[groups[g].second] + 0.5 + kLayerGap / 2, 1);
        band->setPen(Qt::NoPen);
        band->setBrush(kShade);
    }
    if (entries.empty() || !any) {
        auto *text = new QCPItemText(plot_);
        text->position->setType(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(0.5, 0.5);
        text->setColor(QColor(90, 90, 90));
        QFont big = font();
        big.setPointSizeF(big.pointSizeF() * 1.15);
        text->setFont(big);
        text->setText(entries.empty() ? message_
                                      : tr("No value of %1 can be drawn on a log scale")
                                            .arg(series_.current()));
    }
    hover_->setText(keys_.empty() ? QString() : tr("Point at a bar to see its tensor and value."));
    updateTicks();
    plot_->replot();
}

void LayerErrorChart::updateTicks()
{
    const auto &entries = this->entries();
    const int n = static_cast<int>(entries.size());
    ticks_.clear();
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    if (n == 0) {
        plot_->xAxis->setTicker(ticker);
        plot_->xAxis->setTickLabelRotation(0);
        return;
    }
    const QFontMetrics fm(plot_->xAxis->tickLabelFont());
    int widest = 0;
    for (const LayerErrorEntry &e : entries)
        widest = std::max(widest, fm.horizontalAdvance(e.label));
    const int margin = margin_ > 0 ? margin_ : kMarginEstimate;
    const double pixels = std::max(100, plot_->width() - margin);
    const double span = keys_.back() - keys_.front() + 1.6;
    const double perSlot = pixels / span;
    int step = 1;
    double rotation = 0;
    if (widest + 8 > perSlot) {
        // Rotated labels need about 1.2 line heights each; beyond that every step-th is drawn.
        rotation = -60;
        step = std::max(1, static_cast<int>(std::ceil((1.25 * fm.height() + 2) / perSlot)));
    }
    for (int i = 0; i < n; ++i) {
        const bool show = i % step == 0;
        ticks_.append(show ? entries[static_cast<size_t>(i)].label : QString());
        if (show)
            ticker->addTick(keys_[static_cast<size_t>(i)], entries[static_cast<size_t>(i)].label);
    }
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setTickLabelRotation(rotation);
}

} // namespace cwb::gui
