// SPDX-License-Identifier: MIT
#include "spectrum_chart.h"

#include <QFontDatabase>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace cwb::gui {
namespace {

const QColor kValueColor(31, 100, 170);
const QColor kEnergyColor(214, 110, 20);
const QColor kMarkerColor(150, 40, 60);

} // namespace

std::vector<double> cumulativeEnergy(const std::vector<double> &singularValues)
{
    std::vector<double> out(singularValues.size(), 0.0);
    double total = 0;
    for (double s : singularValues)
        total += s * s;
    if (!(total > 0) || !std::isfinite(total))
        return out;
    double running = 0;
    for (size_t i = 0; i < singularValues.size(); ++i) {
        running += singularValues[i] * singularValues[i];
        out[i] = std::min(1.0, running / total);
    }
    return out;
}

SpectrumChart::SpectrumChart(QWidget *parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), stats_(new QLabel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_, 1);
    layout->addWidget(stats_);
    setMinimumSize(320, 180); // as the histogram: room for tall bottom docks

    stats_->setObjectName(QStringLiteral("spectrumStats"));
    stats_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    stats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    stats_->setWordWrap(true);
    stats_->setContentsMargins(6, 2, 6, 2);

    QFont titleFont = font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    titleFont.setBold(true);
    plot_->plotLayout()->insertRow(0);
    title_ = new QCPTextElement(plot_, QString(), titleFont);
    plot_->plotLayout()->addElement(0, 0, title_);

    values_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
    values_->setPen(QPen(kValueColor, 2));
    values_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kValueColor, 3));
    energy_ = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
    energy_->setPen(QPen(kEnergyColor, 2));

    // The axis labels carry the curves' colours, which makes a legend box unnecessary.
    plot_->yAxis->setScaleType(QCPAxis::stLogarithmic);
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    plot_->yAxis->setNumberFormat(QStringLiteral("eb"));
    plot_->yAxis->setNumberPrecision(0);
    plot_->yAxis->setLabelColor(kValueColor);
    plot_->yAxis->setTickLabelColor(kValueColor);
    plot_->yAxis->grid()->setSubGridVisible(false);
    plot_->yAxis2->setVisible(true);
    plot_->yAxis2->setRange(0, 100);
    plot_->yAxis2->setLabelColor(kEnergyColor);
    plot_->yAxis2->setTickLabelColor(kEnergyColor);
    auto percentTicks = QSharedPointer<QCPAxisTickerFixed>::create();
    percentTicks->setTickStep(25);
    plot_->yAxis2->setTicker(percentTicks);
    plot_->xAxis->grid()->setVisible(false);

    clear();
}

SpectrumChart::~SpectrumChart() = default;

void SpectrumChart::setSeries(SpectrumSeries series)
{
    series_ = std::move(series);
    redraw();
}

void SpectrumChart::clear(const QString &message)
{
    series_ = SpectrumSeries{};
    series_.title = message.isEmpty() ? tr("No spectrum") : message;
    redraw();
}

QString SpectrumChart::title() const { return title_->text(); }

QString SpectrumChart::statsText() const { return stats_->text(); }

int SpectrumChart::singularPointCount() const { return values_->data()->size(); }

int SpectrumChart::energyPointCount() const { return energy_->data()->size(); }

double SpectrumChart::energyPercentAt(int k) const
{
    const auto it = energy_->data()->findBegin(k, false);
    if (it == energy_->data()->constEnd() || it->key != k)
        return std::nan("");
    return it->value;
}

void SpectrumChart::redraw()
{
    const SpectrumSeries &s = series_;
    title_->setText(s.title);
    plot_->xAxis->setLabel(tr("index i (largest first)"));
    plot_->yAxis->setLabel(tr("singular value \u03c3\u1d62 (log)"));
    plot_->yAxis2->setLabel(tr("cumulative energy (%)"));
    plot_->clearItems();
    markers_ = 0;

    const int n = static_cast<int>(s.singularValues.size());
    QVector<double> keys, values, energyKeys, energy;
    double lo = 0, hi = 0;
    const std::vector<double> cumulative = cumulativeEnergy(s.singularValues);
    for (int i = 0; i < n; ++i) {
        const double v = s.singularValues[static_cast<size_t>(i)];
        energyKeys.push_back(i + 1);
        energy.push_back(100.0 * cumulative[static_cast<size_t>(i)]);
        if (!(v > 0) || !std::isfinite(v))
            continue; // log(0) has no place on the axis
        keys.push_back(i + 1);
        values.push_back(v);
        lo = lo > 0 ? std::min(lo, v) : v;
        hi = std::max(hi, v);
    }
    values_->setData(keys, values, true);
    energy_->setData(energyKeys, energy, true);
    // Dots hide the line once points are denser than a few pixels.
    values_->setScatterStyle(QCPScatterStyle(n <= 96 ? QCPScatterStyle::ssDisc
                                                     : QCPScatterStyle::ssNone,
                                             kValueColor, 4));

    const bool valid = !keys.isEmpty();
    if (valid) {
        plot_->xAxis->setRange(n > 1 ? 0.5 : 0, n + 0.5);
        // Half a decade of air on both ends keeps the curve off the frame.
        plot_->yAxis->setRange(lo / 3.0, hi * 3.0);
    } else {
        plot_->xAxis->setRange(0, 1);
        plot_->yAxis->setRange(0.1, 10);
    }
    plot_->yAxis2->setRange(0, 104);
    plot_->xAxis->setTickLabels(valid);
    plot_->yAxis->setTickLabels(valid);
    plot_->yAxis2->setTickLabels(valid);
    plot_->yAxis->grid()->setVisible(valid);

    if (valid) {
        QFont labelFont = font();
        labelFont.setPointSizeF(labelFont.pointSizeF() * 0.9);
        int slot = 0;
        for (const SpectrumRankMarker &m : s.ranks) {
            if (m.rank < 1 || m.rank > n)
                continue;
            auto *line = new QCPItemLine(plot_);
            line->setPen(QPen(kMarkerColor, 1, Qt::DashLine));
            for (QCPItemPosition *p : {line->start, line->end}) {
                p->setTypeX(QCPItemPosition::ptPlotCoords);
                p->setTypeY(QCPItemPosition::ptAxisRectRatio);
            }
            line->start->setCoords(m.rank, 0);
            line->end->setCoords(m.rank, 1);

            // Close ranks (90/95/99 % of a small matrix) would overprint: each label gets its own
            // height, and labels near the right edge are written to the left of their line.
            auto *label = new QCPItemText(plot_);
            label->position->setTypeX(QCPItemPosition::ptPlotCoords);
            label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
            label->position->setCoords(m.rank, 0.42 + 0.09 * slot++);
            const bool rightHalf = m.rank > 0.6 * n;
            label->setPositionAlignment((rightHalf ? Qt::AlignRight : Qt::AlignLeft)
                                        | Qt::AlignVCenter);
            label->setPadding(QMargins(4, 1, 4, 1));
            label->setFont(labelFont);
            label->setColor(kMarkerColor);
            label->setBrush(QColor(255, 255, 255, 215));
            label->setText(tr("%1 %: rank %2")
                               .arg(QLocale().toString(100.0 * m.energy, 'g', 3))
                               .arg(m.rank));
            ++markers_;
        }
    }

    QString text = s.statsText;
    if (!s.note.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral("\n")) + s.note;
    stats_->setText(text);
    stats_->setVisible(!text.isEmpty());
    plot_->replot();
}

} // namespace cwb::gui
