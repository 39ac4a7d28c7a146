// SPDX-License-Identifier: MIT
#include "compare_error_chart.h"

#include "chart_export.h"
#include "layer_error_chart.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPixmap>
#include <QPushButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cwb::gui {
namespace {

// A in the blue of "before", B in the orange of "after" (the Trade-offs dock's colours).
const QColor kSideColor[2] = {QColor(70, 130, 180), QColor(230, 135, 45)};
const QColor kShade(0, 0, 0, 14);
constexpr double kBarWidth = 0.4; // two per slot, touching
constexpr double kLayerGap = 0.6;
constexpr int kMarginEstimate = 90;

QString number(double v)
{
    return std::isfinite(v) ? QLocale().toString(v, 'g', 4) : CompareErrorChart::tr("unknown");
}

QString csvNumber(double v)
{
    return std::isfinite(v) ? QString::number(v, 'g', 10) : QString();
}

} // namespace

CompareErrorChart::CompareErrorChart(QWidget *parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), metricBox_(new QComboBox(this)),
      logBox_(new QCheckBox(tr("Log scale"), this)),
      exportButton_(new QPushButton(tr("Export\u2026"), this)), hover_(new QLabel(this))
{
    series_.attach(metricBox_);
    auto *metricLabel = new QLabel(tr("Metric:"), this);
    metricLabel->setBuddy(metricBox_);
    metricBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    metricBox_->setToolTip(tr("Which per-tensor error against the original the bars show"));
    logBox_->setToolTip(tr("Logarithmic value axis: small and large errors side by side"));
    exportButton_->setToolTip(tr("Save the chart as PNG, SVG or PDF, or its numbers as CSV"));
    auto *controls = new QHBoxLayout;
    controls->addWidget(metricLabel);
    controls->addWidget(metricBox_);
    controls->addSpacing(12);
    controls->addWidget(logBox_);
    controls->addStretch(1);
    controls->addWidget(exportButton_);
    // The legend: a swatch and the side's name each, in a row above the plot (not over bars).
    auto *legendRow = new QHBoxLayout;
    for (int s = 0; s < 2; ++s) {
        const int side = fontMetrics().height() - 4;
        QPixmap swatch(side, side);
        swatch.fill(kSideColor[s]);
        auto *icon = new QLabel(this);
        icon->setPixmap(swatch);
        legend_[s] = new QLabel(this);
        legend_[s]->setObjectName(QStringLiteral("compareErrorLegend%1").arg(s));
        // Long names share the row rather than widen the dock; the tooltip has them whole.
        legend_[s]->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        if (s == 1)
            legendRow->addSpacing(12);
        legendRow->addWidget(icon);
        legendRow->addWidget(legend_[s], 1);
    }
    hover_->setObjectName(QStringLiteral("compareErrorHover"));
    hover_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    hover_->setContentsMargins(4, 0, 4, 0);
    hover_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // never widens the dock
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addLayout(legendRow);
    layout->addWidget(plot_, 1);
    layout->addWidget(hover_);
    setMinimumSize(300, 150); // shares a dock with the slice table

    auto *group = new QCPBarsGroup(plot_);
    group->setSpacingType(QCPBarsGroup::stAbsolute);
    group->setSpacing(0);
    for (int s = 0; s < 2; ++s) {
        auto *bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setWidthType(QCPBars::wtPlotCoords);
        bars->setWidth(kBarWidth);
        bars->setPen(QPen(kSideColor[s].darker(135), 0));
        bars->setBrush(kSideColor[s]);
        bars->setAntialiased(false);
        bars->setBarsGroup(group);
        bars_[s] = bars;
    }
    names_[0] = tr("A");
    names_[1] = tr("B");
    plot_->xAxis->grid()->setVisible(false);
    plot_->xAxis->setSubTicks(false);
    plot_->xAxis->setTickLength(0, 4);
    plot_->yAxis->grid()->setSubGridVisible(false);

    connect(metricBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i >= 0)
            setMetric(metricBox_->itemText(i));
    });
    connect(logBox_, &QCheckBox::toggled, this, &CompareErrorChart::setLogScale);
    connect(plot_, &QCustomPlot::mouseMove, this, &CompareErrorChart::hover);
    connect(plot_, &QCustomPlot::afterReplot, this, [this] {
        if (plot_->axisRect()->width() > 0)
            margin_ = plot_->width() - plot_->axisRect()->width();
    });
    connect(exportButton_, &QPushButton::clicked, this, [this] {
        exportChartInteractively(this, plot_, QStringLiteral("compare-errors.png"), csvHeader(),
                                 csvRows());
    });
    clear(tr("No comparison yet"));
}

CompareErrorChart::~CompareErrorChart() = default;

void CompareErrorChart::setSideNames(const QString &a, const QString &b)
{
    names_[0] = a;
    names_[1] = b;
    redraw();
}

void CompareErrorChart::setSeries(const QString &metricName,
                                  std::vector<CompareErrorEntry> entries)
{
    const bool shown = series_.set(metricName, std::move(entries));
    exportButton_->setEnabled(true);
    if (shown)
        redraw();
}

void CompareErrorChart::setMetric(const QString &metricName)
{
    if (series_.select(metricName))
        redraw();
}

void CompareErrorChart::clear(const QString &message)
{
    series_.clear();
    message_ = message;
    exportButton_->setEnabled(false);
    redraw();
}

void CompareErrorChart::setLogScale(bool log)
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

QStringList CompareErrorChart::metrics() const { return series_.names(); }

const std::vector<CompareErrorEntry> &CompareErrorChart::entries() const
{
    return series_.entries();
}

int CompareErrorChart::barCount(int side) const
{
    return side == 0 || side == 1 ? bars_[side]->data()->size() : 0;
}

double CompareErrorChart::entryKey(int index) const
{
    return index >= 0 && index < static_cast<int>(keys_.size())
        ? keys_[static_cast<size_t>(index)]
        : std::numeric_limits<double>::quiet_NaN();
}

int CompareErrorChart::entryAt(const QPoint &plotPos) const
{
    if (keys_.empty() || !plot_->axisRect()->rect().contains(plotPos))
        return -1;
    const double x = plot_->xAxis->pixelToCoord(plotPos.x());
    int best = -1;
    double bestDistance = 0.5;
    const auto it = std::lower_bound(keys_.begin(), keys_.end(), x);
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

QString CompareErrorChart::describeEntry(int index) const
{
    const auto &e = entries();
    if (index < 0 || index >= static_cast<int>(e.size()))
        return {};
    const CompareErrorEntry &x = e[static_cast<size_t>(index)];
    return tr("%1: A %2, B %3 (%4)").arg(x.tensor, number(x.a), number(x.b), series_.current());
}

QString CompareErrorChart::hoverText() const { return hover_->text(); }

QString CompareErrorChart::legendText(int side) const
{
    return side == 0 || side == 1 ? legend_[side]->text() : QString();
}

void CompareErrorChart::hover(QMouseEvent *event)
{
    const int i = entryAt(event->pos());
    if (i == hovered_)
        return;
    hovered_ = i;
    if (i < 0) {
        hover_->setText(keys_.empty() ? QString()
                                      : tr("Point at a pair of bars to see its tensor and values."));
        QToolTip::hideText();
        return;
    }
    const QString text = describeEntry(i);
    hover_->setText(text);
    QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

int CompareErrorChart::valueTickCount() const
{
    // About one tick per 40 px of plot (less the x labels): the chart often has little height
    // beside the slice table.
    return std::clamp((plot_->height() - 70) / 40, 2, 6);
}

void CompareErrorChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    if (!log_)
        plot_->yAxis->ticker()->setTickCount(valueTickCount());
    updateTicks();
    plot_->replot();
}

void CompareErrorChart::redraw()
{
    plot_->clearItems();
    hovered_ = -1;
    const auto &entries = this->entries();
    keys_.clear();
    std::vector<std::pair<size_t, size_t>> groups; // [first, last] entry of each layer
    double x = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const int layer = layerIndexOf(entries[i].tensor);
        if (i == 0 || layer != layerIndexOf(entries[i - 1].tensor)) {
            if (i > 0)
                x += kLayerGap;
            groups.push_back({i, i});
        }
        groups.back().second = i;
        keys_.push_back(x);
        x += 1.0;
    }
    QVector<double> keys[2], values[2];
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        const double v[2] = {entries[i].a, entries[i].b};
        for (int s = 0; s < 2; ++s) {
            if (!std::isfinite(v[s]) || (log_ && v[s] <= 0))
                continue;
            keys[s].push_back(keys_[i]);
            values[s].push_back(v[s]);
            hi = std::max(hi, v[s]);
            if (v[s] > 0)
                lo = std::min(lo, v[s]);
        }
    }
    bool any = false;
    for (int s = 0; s < 2; ++s) {
        bars_[s]->setData(keys[s], values[s], true);
        bars_[s]->setName(names_[s]);
        any = any || !keys[s].isEmpty();
    }
    for (int s = 0; s < 2; ++s) {
        legend_[s]->setText(names_[s]);
        legend_[s]->setToolTip(names_[s]);
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
        auto ticker = QSharedPointer<QCPAxisTicker>::create();
        ticker->setTickCount(valueTickCount());
        y->setTicker(ticker);
        y->setNumberFormat(QStringLiteral("g"));
        y->setNumberPrecision(3);
        for (QCPBars *b : bars_)
            b->setBaseValue(0);
        y->setRange(0, hi > 0 ? hi * 1.12 : 1.0);
    }
    plot_->xAxis->setRange(keys_.empty() ? 0 : keys_.front() - 0.8,
                           keys_.empty() ? 1 : keys_.back() + 0.8);
    y->setTickLabels(any);
    y->grid()->setVisible(any);
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
        text->setText(entries.empty() ? message_
                                      : tr("No value of %1 can be drawn on a log scale")
                                            .arg(series_.current()));
    }
    hover_->setText(keys_.empty() ? QString()
                                  : tr("Point at a pair of bars to see its tensor and values."));
    updateTicks();
    plot_->replot();
}

void CompareErrorChart::updateTicks()
{
    const auto &entries = this->entries();
    ticks_.clear();
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    if (entries.empty()) {
        plot_->xAxis->setTicker(ticker);
        plot_->xAxis->setTickLabelRotation(0);
        return;
    }
    QStringList labels;
    const QFontMetrics fm(plot_->xAxis->tickLabelFont());
    int widest = 0;
    for (const CompareErrorEntry &e : entries) {
        labels.append(shortTensorLabel(e.tensor));
        widest = std::max(widest, fm.horizontalAdvance(labels.back()));
    }
    const int margin = margin_ > 0 ? margin_ : kMarginEstimate;
    const double pixels = std::max(100, plot_->width() - margin);
    const double perSlot = pixels / (keys_.back() - keys_.front() + 1.6);
    int step = 1;
    double rotation = 0;
    if (widest + 8 > perSlot) {
        rotation = -60;
        step = std::max(1, static_cast<int>(std::ceil((1.25 * fm.height() + 2) / perSlot)));
    }
    for (int i = 0; i < labels.size(); ++i) {
        const bool show = i % step == 0;
        ticks_.append(show ? labels[i] : QString());
        if (show)
            ticker->addTick(keys_[static_cast<size_t>(i)], labels[i]);
    }
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setTickLabelRotation(rotation);
}

QStringList CompareErrorChart::csvHeader() const
{
    return {QStringLiteral("metric"), QStringLiteral("tensor"), QStringLiteral("a"),
            QStringLiteral("b")};
}

std::vector<QStringList> CompareErrorChart::csvRows() const
{
    std::vector<QStringList> rows;
    for (const auto &m : series_.all())
        for (const CompareErrorEntry &e : m.entries)
            rows.push_back({m.name, e.tensor, csvNumber(e.a), csvNumber(e.b)});
    return rows;
}

bool CompareErrorChart::exportTo(const QString &path, QString *error) const
{
    if (QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0)
        return saveCsv(path, csvHeader(), csvRows(), error);
    return saveChartImage(plot_, path, error);
}

} // namespace cwb::gui
