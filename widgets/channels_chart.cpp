// SPDX-License-Identifier: MIT
#include "channels_chart.h"

#include "chart_text.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace cwb::gui {
namespace {

const QColor kBarFill(70, 130, 180);
const QColor kOutlierFill(214, 39, 40);
const QColor kThresholdColor(150, 40, 60);

// Integer channel indexes only: a tick at 2.5 would name a channel that does not exist.
QSharedPointer<QCPAxisTicker> channelTicker()
{
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    return ticker;
}

} // namespace

ChannelsChart::ChannelsChart(QWidget *parent) : QWidget(parent), plot_(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    setMinimumSize(320, 180); // as the histogram: room for tall bottom docks
    clear();
}

ChannelsChart::~ChannelsChart() = default;

void ChannelsChart::setPanels(std::vector<ChannelPanel> panels, const QString &title)
{
    panels_ = std::move(panels);
    title_ = title;
    message_.clear();
    redraw();
}

void ChannelsChart::clear(const QString &message)
{
    panels_.clear();
    title_.clear();
    message_ = message.isEmpty() ? tr("No tensor selected") : message;
    redraw();
}

int ChannelsChart::barCount(int panel) const
{
    return panel >= 0 && panel < static_cast<int>(counts_.size()) ? counts_[panel].first : 0;
}

int ChannelsChart::outlierBarCount(int panel) const
{
    return panel >= 0 && panel < static_cast<int>(counts_.size()) ? counts_[panel].second : 0;
}

void ChannelsChart::redraw()
{
    plot_->clearItems();
    plot_->clearPlottables();
    QCPLayoutGrid *grid = plot_->plotLayout();
    grid->clear(); // deletes the previous axis rects and titles with their axes
    titleElements_.clear();
    messageItems_.clear();
    delete margins_;
    margins_ = nullptr;
    grid->setRowSpacing(0);
    counts_.assign(panels_.size(), {0, 0});

    QFont titleFont = font();
    titleFont.setBold(true);
    QFont big = titleFont;
    big.setPointSizeF(big.pointSizeF() * 1.15);
    if (panels_.empty()) {
        titleElements_.emplace_back(new QCPTextElement(plot_, message_, big), message_);
        grid->addElement(0, 0, titleElements_.back().first);
        fitTexts();
        plot_->replot();
        return;
    }

    // One margin group lines up the left edges, so stacked input-channel panels share x pixels.
    margins_ = new QCPMarginGroup(plot_);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    const int first = title_.isEmpty() ? 0 : 1;
    if (first) {
        titleElements_.emplace_back(new QCPTextElement(plot_, title_, big), title_);
        grid->addElement(0, 0, titleElements_.back().first);
    }
    titleFont.setBold(false);
    for (size_t p = 0; p < panels_.size(); ++p) {
        const ChannelPanel &panel = panels_[p];
        const int row = first + static_cast<int>(2 * p);
        titleElements_.emplace_back(new QCPTextElement(plot_, panel.title, titleFont), panel.title);
        grid->addElement(row, 0, titleElements_.back().first);
        auto *rect = new QCPAxisRect(plot_);
        grid->addElement(row + 1, 0, rect);
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins_);
        QCPAxis *x = rect->axis(QCPAxis::atBottom);
        QCPAxis *y = rect->axis(QCPAxis::atLeft);
        x->setLabel(panel.xLabel);
        y->setLabel(tr("abs-max"));
        x->grid()->setVisible(false);
        x->setTicker(channelTicker());
        y->ticker()->setTickCount(3); // panels are short: three labels stay apart
        y->setNumberFormat(QStringLiteral("g"));
        y->setNumberPrecision(3);

        const size_t n = panel.values.size();
        if (n == 0) {
            x->setTickLabels(false);
            y->setTickLabels(false);
            y->grid()->setVisible(false);
            auto *text = new QCPItemText(plot_);
            text->setClipAxisRect(rect);
            text->position->setAxisRect(rect);
            text->position->setType(QCPItemPosition::ptAxisRectRatio);
            text->position->setCoords(0.5, 0.5);
            text->setText(panel.message);
            text->setColor(QColor(90, 90, 90));
            messageItems_.emplace_back(text, panel.message);
            continue;
        }

        std::vector<char> isOutlier(n, 0);
        for (int64_t c : panel.outliers)
            if (c >= 0 && static_cast<size_t>(c) < n)
                isOutlier[static_cast<size_t>(c)] = 1;
        QVector<double> keys, values, outKeys, outValues;
        double maxValue = 0;
        for (size_t c = 0; c < n; ++c) {
            const double v = std::isfinite(panel.values[c]) ? panel.values[c] : 0.0;
            maxValue = std::max(maxValue, v);
            (isOutlier[c] ? outKeys : keys).push_back(static_cast<double>(c));
            (isOutlier[c] ? outValues : values).push_back(v);
        }
        // Thousands of channels: a bar outline would paint over its neighbours.
        const bool dense = n > 256;
        auto *bars = new QCPBars(x, y);
        bars->setWidthType(QCPBars::wtPlotCoords);
        bars->setWidth(dense ? 1.0 : 0.8);
        bars->setPen(dense ? QPen(Qt::NoPen) : QPen(kBarFill.darker(140), 0));
        bars->setBrush(kBarFill);
        bars->setAntialiased(false);
        bars->setData(keys, values, true);
        auto *outlierBars = new QCPBars(x, y);
        outlierBars->setWidthType(QCPBars::wtPlotCoords);
        outlierBars->setWidth(dense ? 1.0 : 0.8);
        outlierBars->setPen(QPen(kOutlierFill.darker(130), 0));
        outlierBars->setBrush(kOutlierFill);
        outlierBars->setAntialiased(false);
        outlierBars->setData(outKeys, outValues, true);
        if (dense && !outKeys.isEmpty()) {
            // A one-pixel bar is easy to miss: a marker on top says where the outliers are.
            auto *tops = new QCPGraph(x, y);
            tops->setLineStyle(QCPGraph::lsNone);
            tops->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangleInverted,
                                                  kOutlierFill, kOutlierFill, 7));
            QVector<double> lifted = outValues;
            for (double &v : lifted)
                v += 0.04 * maxValue;
            tops->setData(outKeys, lifted, true);
        }
        counts_[p] = {static_cast<int>(n), static_cast<int>(outKeys.size())};

        // Above the threshold line its label needs ~30 % of a short panel, or it is clipped.
        const double top = std::max(maxValue * 1.15, panel.threshold * 1.4);
        x->setRange(-0.5 - 0.01 * n, static_cast<double>(n) - 0.5 + 0.01 * n);
        y->setRange(0, top > 0 ? top : 1.0);

        if (panel.threshold > 0) {
            auto *line = new QCPItemStraightLine(plot_);
            line->setClipAxisRect(rect);
            for (QCPItemPosition *pos : {line->point1, line->point2}) {
                pos->setAxes(x, y);
                pos->setAxisRect(rect);
            }
            line->point1->setCoords(0, panel.threshold);
            line->point2->setCoords(1, panel.threshold);
            line->setPen(QPen(kThresholdColor, 1, Qt::DashLine));
            auto *label = new QCPItemText(plot_);
            label->setClipAxisRect(rect);
            label->position->setAxes(x, y);
            label->position->setAxisRect(rect);
            label->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
            label->position->setTypeY(QCPItemPosition::ptPlotCoords);
            label->position->setCoords(0.995, panel.threshold);
            label->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
            label->setFont(small);
            label->setColor(kThresholdColor);
            label->setText(tr("outlier threshold"));
        }
    }
    fitTexts();
    plot_->replot();
}

void ChannelsChart::fitTexts()
{
    // Titles span the plot; a message sits inside a panel, right of its value axis (~70 px).
    const int width = plot_->width() - 12;
    for (const auto &[element, text] : titleElements_)
        element->setText(fitTextToWidth(text, element->font(), width));
    for (const auto &[item, text] : messageItems_)
        item->setText(fitTextToWidth(text, item->font(), width - 80));
}

void ChannelsChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitTexts();
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace cwb::gui
