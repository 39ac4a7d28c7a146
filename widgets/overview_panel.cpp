// SPDX-License-Identifier: MIT
#include "overview_panel.h"

#include "analysis_controller.h"
#include "document.h"
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

OverviewPanel::OverviewPanel(Document *document, QWidget *parent)
    : QWidget(parent), document_(document), metricBox_(new QComboBox(this)),
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
    AnalysisController *analysis = document_->analysis();
    connect(analysis, &AnalysisController::tensorAnalyzed, this, &OverviewPanel::scheduleRefresh);
    for (auto signal : {&AnalysisController::resultsReset, &AnalysisController::activationsChanged,
                        &AnalysisController::finished, &AnalysisController::cancelled})
        connect(analysis, signal, this, &OverviewPanel::refreshNow);
    connect(document_, &Document::modelChanged, this, [this] {
        const auto &model = document_->model();
        layout_ = model ? overviewLayout(*model) : OverviewLayout{};
        refreshNow();
    });
    refreshNow();
}

OverviewPanel::~OverviewPanel() = default;

void OverviewPanel::setSelectedTensor(const QString &nameOrCanonical)
{
    const auto &model = document_->model();
    const cwb::Tensor *t = model ? model->findTensor(nameOrCanonical.toStdString()) : nullptr;
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
    const auto &model = document_->model();
    const AnalysisController *analysis = document_->analysis();
    if (!model) {
        heatmap_->clear(tr("No model open"));
        hint_->clear();
        return;
    }
    if (layout_.rows.isEmpty() || layout_.columns.isEmpty()) {
        heatmap_->clear(tr("No tensor of this model has a known role"));
        hint_->clear();
        return;
    }
    if (!analysis->hasResults()) {
        heatmap_->clear(analysis->isRunning()
                            ? tr("Analyzing\u2026")
                            : tr("Not analyzed yet: Analysis \u2192 Analyze Model"));
        hint_->clear();
        return;
    }
    const OverviewMetric m = metric();
    const auto &tensors = analysis->analysis().tensors;
    const auto result = [&](size_t i) -> const cwb::TensorAnalysis * {
        if (i >= tensors.size())
            return nullptr;
        return analysis->result(QString::fromStdString(model->tensors[i].name));
    };
    HeatmapGrid grid = overviewGrid(*model, layout_, m, result, analysis->activations());
    const bool anyValue = std::any_of(grid.values.begin(), grid.values.end(),
                                      [](double v) { return std::isfinite(v); });
    const QString selected = heatmap_->selectedTensor();
    heatmap_->setGrid(std::move(grid));
    heatmap_->setSelectedTensor(selected);

    if (!anyValue && metricNeedsSpectra(m) && !analysis->isRunning())
        hint_->setText(tr("No values: this metric needs the analysis with singular-value "
                          "spectra."));
    else if (!anyValue && metricNeedsCalibration(m) && !analysis->isRunning())
        hint_->setText(tr("No values: this metric needs the analysis with a calibration text."));
    else
        hint_->setText(tr("Click a cell to select its tensor. Grey cells have no value."));
}

} // namespace cwb::gui
