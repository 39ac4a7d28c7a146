// SPDX-License-Identifier: MIT
#include "overview_panel.h"

#include "analysis_controller.h"
#include "overview_heatmap.h"

#include "analysis/model_analysis.h"
#include "model/model.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <utility>

namespace cwb::gui {
namespace {

// Results of a large model arrive hundreds per second; one redraw per burst is enough.
constexpr int kRefreshDelayMs = 120;

} // namespace

OverviewPanel::OverviewPanel(AnalysisController *analysis, QWidget *parent)
    : QWidget(parent), analysis_(analysis), metricBox_(new QComboBox(this)),
      hint_(new QLabel(this)), heatmap_(new OverviewHeatmap(this)), refreshTimer_(new QTimer(this))
{
    for (OverviewMetric m : overviewMetrics())
        metricBox_->addItem(overviewMetricName(m), static_cast<int>(m));
    metricBox_->setToolTip(tr("The metric that colors the cells"));
    auto *metricLabel = new QLabel(tr("&Metric:"), this);
    metricLabel->setBuddy(metricBox_);
    hint_->setObjectName(QStringLiteral("overviewHint"));
    hint_->setWordWrap(true);

    auto *controls = new QHBoxLayout;
    controls->addWidget(metricLabel);
    controls->addWidget(metricBox_);
    controls->addSpacing(12);
    controls->addWidget(hint_, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addLayout(controls);
    layout->addWidget(heatmap_, 1);

    refreshTimer_->setSingleShot(true);
    refreshTimer_->setInterval(kRefreshDelayMs);
    connect(refreshTimer_, &QTimer::timeout, this, &OverviewPanel::refreshNow);
    connect(metricBox_, &QComboBox::currentIndexChanged, this, &OverviewPanel::refreshNow);
    connect(heatmap_, &OverviewHeatmap::tensorClicked, this, &OverviewPanel::tensorActivated);
    connect(analysis_, &AnalysisController::tensorAnalyzed, this, &OverviewPanel::scheduleRefresh);
    for (auto signal : {&AnalysisController::resultsReset, &AnalysisController::activationsChanged,
                        &AnalysisController::finished, &AnalysisController::cancelled})
        connect(analysis_, signal, this, &OverviewPanel::refreshNow);
    refreshNow();
}

OverviewPanel::~OverviewPanel() = default;

void OverviewPanel::setModel(std::shared_ptr<const cwb::Model> model)
{
    model_ = std::move(model);
    layout_ = model_ ? overviewLayout(*model_) : OverviewLayout{};
    refreshNow();
}

void OverviewPanel::setSelectedTensor(const QString &nameOrCanonical)
{
    const cwb::Tensor *t = model_ ? model_->findTensor(nameOrCanonical.toStdString()) : nullptr;
    heatmap_->setSelectedTensor(t ? QString::fromStdString(t->name) : QString());
}

void OverviewPanel::setMetric(OverviewMetric metric)
{
    const int i = metricBox_->findData(static_cast<int>(metric));
    if (i >= 0)
        metricBox_->setCurrentIndex(i);
}

OverviewMetric OverviewPanel::metric() const
{
    return static_cast<OverviewMetric>(metricBox_->currentData().toInt());
}

QString OverviewPanel::hintText() const { return hint_->text(); }

void OverviewPanel::scheduleRefresh()
{
    if (!refreshTimer_->isActive())
        refreshTimer_->start();
}

void OverviewPanel::refreshNow()
{
    refreshTimer_->stop();
    if (!model_) {
        heatmap_->clear(tr("No model open"));
        hint_->clear();
        return;
    }
    if (layout_.rows.isEmpty() || layout_.columns.isEmpty()) {
        heatmap_->clear(tr("No tensor of this model has a known role"));
        hint_->clear();
        return;
    }
    if (!analysis_->hasResults()) {
        heatmap_->clear(analysis_->isRunning()
                            ? tr("Analyzing\u2026")
                            : tr("Not analyzed yet: Analysis \u2192 Analyze Model"));
        hint_->clear();
        return;
    }
    const OverviewMetric m = metric();
    const auto &tensors = analysis_->analysis().tensors;
    const auto result = [this, &tensors](size_t i) -> const cwb::TensorAnalysis * {
        if (i >= tensors.size())
            return nullptr;
        return analysis_->result(QString::fromStdString(model_->tensors[i].name));
    };
    HeatmapGrid grid = overviewGrid(*model_, layout_, m, result, analysis_->activations());
    const bool anyValue = std::any_of(grid.values.begin(), grid.values.end(),
                                      [](double v) { return std::isfinite(v); });
    const QString selected = heatmap_->selectedTensor();
    heatmap_->setGrid(std::move(grid));
    heatmap_->setSelectedTensor(selected);

    if (!anyValue && metricNeedsSpectra(m) && !analysis_->isRunning())
        hint_->setText(tr("No values: this metric needs the analysis with singular-value "
                          "spectra."));
    else if (!anyValue && metricNeedsCalibration(m) && !analysis_->isRunning())
        hint_->setText(tr("No values: this metric needs the analysis with a calibration text."));
    else
        hint_->setText(tr("Click a cell to select its tensor. Grey cells have no value."));
}

} // namespace cwb::gui
