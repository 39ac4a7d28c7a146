// SPDX-License-Identifier: MIT
#include "structure_score_chart.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace cwb::gui {
namespace {

const QColor kMarkColor(150, 40, 60);

QColor seriesColor(int i, int count)
{
    // Layers from blue (first) to orange (last): order reads at a glance.
    const double t = count > 1 ? double(i) / double(count - 1) : 0.0;
    return QColor::fromHsvF(0.60 - 0.52 * t, 0.75, 0.80);
}

} // namespace

StructureScoreChart::StructureScoreChart(QWidget *parent)
    : QWidget(parent), plot_(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    setMinimumSize(260, 200);
    plot_->plotLayout()->insertRow(0);
    QFont titleFont = font();
    titleFont.setBold(true);
    plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, QString(), titleFont));
    plot_->legend->setVisible(false);
    QFont legendFont = font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.8);
    plot_->legend->setFont(legendFont);
    plot_->legend->setIconSize(14, 8);
    plot_->legend->setRowSpacing(-2);
    plot_->legend->setBrush(QColor(255, 255, 255, 210));
    // Many layers: the legend fills columns of three rows instead of one tall column.
    plot_->legend->setFillOrder(QCPLayoutGrid::foRowsFirst);
    plot_->legend->setWrap(3);
}

int StructureScoreChart::seriesCount() const { return plot_->graphCount(); }

void StructureScoreChart::clear(const QString &message)
{
    plot_->clearGraphs();
    plot_->clearItems();
    markX_ = -1;
    if (auto *title = qobject_cast<QCPTextElement *>(plot_->plotLayout()->element(0, 0)))
        title->setText(message);
    plot_->legend->setVisible(false);
    plot_->replot();
}

void StructureScoreChart::setData(const ScoreChartData &data)
{
    plot_->clearGraphs();
    plot_->clearItems();
    if (auto *title = qobject_cast<QCPTextElement *>(plot_->plotLayout()->element(0, 0)))
        title->setText(data.title);
    plot_->xAxis->setLabel(data.xTitle);
    plot_->yAxis->setLabel(data.yTitle);
    if (data.logY) {
        plot_->yAxis->setScaleType(QCPAxis::stLogarithmic);
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        plot_->yAxis->setNumberFormat(QStringLiteral("eb"));
        plot_->yAxis->setNumberPrecision(0);
    } else {
        plot_->yAxis->setScaleType(QCPAxis::stLinear);
        plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        plot_->yAxis->setNumberFormat(QStringLiteral("g"));
        plot_->yAxis->setNumberPrecision(3);
    }
    if (data.xIsFraction) {
        plot_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    } else {
        auto ticks = QSharedPointer<QCPAxisTickerFixed>::create();
        ticks->setTickStep(1);
        plot_->xAxis->setTicker(ticks);
    }
    const int count = int(data.series.size());
    double lo = INFINITY, hi = -INFINITY, xMax = 0;
    for (int i = 0; i < count; ++i) {
        const ScoreSeries &s = data.series[size_t(i)];
        QCPGraph *g = plot_->addGraph();
        g->setName(s.name);
        g->setPen(QPen(seriesColor(i, count), data.xIsFraction ? 1.5 : 2.0));
        if (!data.xIsFraction)
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
        const int n = int(s.values.size());
        QVector<double> x, y;
        for (int k = 0; k < n; ++k) {
            const double v = s.values[size_t(k)];
            if (!std::isfinite(v) || (data.logY && !(v > 0)))
                continue;
            x << (data.xIsFraction ? (n > 1 ? double(k) / double(n - 1) : 0.0) : double(k));
            y << v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        xMax = std::max(xMax, data.xIsFraction ? 1.0 : double(std::max(n - 1, 0)));
        g->setData(x, y, true);
    }
    if (!(lo <= hi)) {
        lo = 0.1;
        hi = 1;
    }
    if (data.logY)
        plot_->yAxis->setRange(lo / 1.5, hi * 1.5);
    else
        plot_->yAxis->setRange(std::min(0.0, lo), hi * 1.1);
    plot_->xAxis->setRange(data.xIsFraction ? 0.0 : -0.5, data.xIsFraction ? 1.0 : xMax + 0.5);
    markX_ = data.markX;
    if (data.markX >= 0) {
        auto *line = new QCPItemStraightLine(plot_);
        line->point1->setCoords(data.markX, 0);
        line->point2->setCoords(data.markX, 1);
        line->setPen(QPen(kMarkColor, 2, Qt::DashLine));
        auto *label = new QCPItemText(plot_);
        // Beside the line at the bottom, on the side with more room.
        const double xSpan = data.xIsFraction ? 1.0 : xMax + 1.0;
        const bool leftOfLine = (data.xIsFraction ? data.markX : data.markX + 0.5) > 0.5 * xSpan;
        label->setPositionAlignment((leftOfLine ? Qt::AlignRight : Qt::AlignLeft)
                                    | Qt::AlignBottom);
        label->position->setTypeX(QCPItemPosition::ptPlotCoords);
        label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        label->position->setCoords(data.markX, 0.98);
        label->setPadding(leftOfLine ? QMargins(0, 0, 4, 0) : QMargins(4, 0, 0, 0));
        label->setColor(kMarkColor);
        label->setText(data.markLabel);
    }
    plot_->legend->setVisible(count > 1);
    // Sorted curves fall to the right; values per block leave the upper right freer.
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | Qt::AlignTop);
    plot_->replot();
}

} // namespace cwb::gui
