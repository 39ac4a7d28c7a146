// SPDX-License-Identifier: MIT
#include "compare_delta_chart.h"

#include "chart_export.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <qcustomplot.h>

namespace cwb::gui {

CompareDeltaChart::CompareDeltaChart(QWidget *parent)
    : QWidget(parent), chart_(new HistogramChart(this)), box_(new QComboBox(this)),
      log_(new QCheckBox(tr("Log counts"), this)),
      export_(new QPushButton(tr("Export\u2026"), this))
{
    auto *label = new QLabel(tr("Distribution:"), this);
    label->setBuddy(box_);
    box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    box_->setToolTip(tr("Which differences between B and A the histogram counts"));
    log_->setToolTip(tr("Logarithmic count axis: the rare large changes stay visible"));
    export_->setToolTip(tr("Save the chart as PNG, SVG or PDF, or its bins as CSV"));
    auto *controls = new QHBoxLayout;
    controls->addWidget(label);
    controls->addWidget(box_);
    controls->addSpacing(12);
    controls->addWidget(log_);
    controls->addStretch(1);
    controls->addWidget(export_);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(chart_, 1);
    stats_ = new QLabel(this);
    stats_->setObjectName(QStringLiteral("compareDeltaStats"));
    stats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    stats_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    stats_->setContentsMargins(4, 0, 4, 0);
    layout->addWidget(stats_);
    chart_->setMinimumSize(280, 130); // shares a dock with the slice table

    connect(box_, &QComboBox::currentIndexChanged, this, &CompareDeltaChart::setCurrent);
    connect(log_, &QCheckBox::toggled, chart_, &HistogramChart::setLogCounts);
    connect(export_, &QPushButton::clicked, this, [this] {
        exportChartInteractively(this, chart_->plot(), QStringLiteral("compare-delta.png"),
                                 csvHeader(), csvRows());
    });
    clear(tr("No comparison yet"));
}

CompareDeltaChart::~CompareDeltaChart() = default;

void CompareDeltaChart::setDistributions(std::vector<DeltaDistribution> distributions)
{
    list_ = std::move(distributions);
    const int keep = current_;
    current_ = -1;
    {
        const QSignalBlocker block(box_);
        box_->clear();
        for (const DeltaDistribution &d : list_)
            box_->addItem(d.name);
    }
    export_->setEnabled(!list_.empty());
    setCurrent(keep >= 0 && keep < static_cast<int>(list_.size()) ? keep : 0);
}

void CompareDeltaChart::clear(const QString &message)
{
    list_.clear();
    current_ = -1;
    {
        const QSignalBlocker block(box_);
        box_->clear();
    }
    export_->setEnabled(false);
    stats_->clear();
    chart_->clear(message);
}

void CompareDeltaChart::setCurrent(int index)
{
    if (index < 0 || index >= static_cast<int>(list_.size()) || index == current_)
        return;
    current_ = index;
    {
        const QSignalBlocker block(box_);
        box_->setCurrentIndex(index);
    }
    const DeltaDistribution &d = list_[static_cast<size_t>(index)];
    chart_->setSeries(d.series);
    stats_->setText(d.stats);
    std::vector<HistogramMarker> markers;
    if (d.zeroLine)
        markers.push_back({0.0, tr("no change")});
    chart_->setMarkers(std::move(markers));
}

QString CompareDeltaChart::statsText() const { return stats_->text(); }

QStringList CompareDeltaChart::csvHeader() const
{
    return {QStringLiteral("distribution"), QStringLiteral("bin_low"), QStringLiteral("bin_high"),
            QStringLiteral("count")};
}

std::vector<QStringList> CompareDeltaChart::csvRows() const
{
    std::vector<QStringList> rows;
    if (current_ < 0)
        return rows;
    const DeltaDistribution &d = list_[static_cast<size_t>(current_)];
    const auto &e = d.series.edges;
    for (size_t i = 0; i < d.series.counts.size() && i + 1 < e.size(); ++i)
        rows.push_back({d.name, QString::number(e[i], 'g', 10), QString::number(e[i + 1], 'g', 10),
                        QString::number(d.series.counts[i], 'g', 15)});
    return rows;
}

bool CompareDeltaChart::exportTo(const QString &path, QString *error) const
{
    if (QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0)
        return saveCsv(path, csvHeader(), csvRows(), error);
    return saveChartImage(chart_->plot(), path, error);
}

} // namespace cwb::gui
