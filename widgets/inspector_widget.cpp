// SPDX-License-Identifier: MIT
#include "inspector_widget.h"

#include "analysis_controller.h"
#include "analysis_series.h"
#include "channels_chart.h"
#include "histogram_panel.h"
#include "spectrum_chart.h"

#include "model/model.h"

#include <utility>

namespace cwb::gui {

InspectorWidget::InspectorWidget(AnalysisController *analysis, QWidget *parent)
    : QTabWidget(parent), analysis_(analysis), histogram_(new HistogramPanel(this)),
      spectrum_(new SpectrumChart(this)), channels_(new ChannelsChart(this))
{
    setDocumentMode(true);
    addTab(histogram_, tr("Histogram"));
    addTab(spectrum_, tr("Spectrum"));
    addTab(channels_, tr("Channels"));
    setTabToolTip(HistogramTab, tr("Distribution of the tensor's values"));
    setTabToolTip(SpectrumTab,
                  tr("Singular values, cumulative energy and the ranks that keep 90/95/99 %"));
    setTabToolTip(ChannelsTab,
                  tr("Per-channel abs-max of the weights and of the input activations, "
                     "outlier channels highlighted"));

    connect(analysis_, &AnalysisController::tensorAnalyzed, this, [this](const QString &name) {
        const cwb::Tensor *t = model_ ? model_->findTensor(tensor_.toStdString()) : nullptr;
        if (t && QString::fromStdString(t->name) == name)
            refresh();
    });
    for (auto signal : {&AnalysisController::resultsReset, &AnalysisController::activationsChanged,
                        &AnalysisController::started, &AnalysisController::finished,
                        &AnalysisController::cancelled})
        connect(analysis_, signal, this, &InspectorWidget::refresh);
    connect(analysis_, &AnalysisController::failed, this, &InspectorWidget::refresh);
    refresh();
}

InspectorWidget::~InspectorWidget() = default;

void InspectorWidget::setModel(std::shared_ptr<const cwb::Model> model)
{
    model_ = std::move(model);
    tensor_.clear();
    histogram_->setModel(model_);
    refresh();
}

void InspectorWidget::showTensor(const QString &nameOrCanonical)
{
    tensor_ = nameOrCanonical;
    histogram_->showTensor(nameOrCanonical);
    refresh();
}

void InspectorWidget::refresh()
{
    const cwb::Tensor *t = model_ && !tensor_.isEmpty() ? model_->findTensor(tensor_.toStdString())
                                                         : nullptr;
    if (!t) {
        spectrum_->clear(tr("No tensor selected"));
        channels_->clear(tr("No tensor selected"));
        return;
    }
    const QString name = QString::fromStdString(t->name);
    const QString title = tensorTitle(name, QString::fromStdString(t->canonical));
    const cwb::TensorAnalysis *r = analysis_->result(name);
    if (!r) {
        const QString message = analysis_->isRunning()
            ? tr("Analyzing %1\u2026").arg(title)
            : tr("%1 is not analyzed yet: Analysis \u2192 Analyze Model").arg(title);
        spectrum_->clear(message);
        channels_->clear(message);
        histogram_->setMarkers(name, {});
        return;
    }

    const double factor = analysis_->params().stats.outlierFactor;
    spectrum_->setSeries(spectrumSeries(*r));
    std::vector<ChannelPanel> panels = channelPanels(*r, analysis_->activations(), factor);
    if (panels.empty())
        channels_->clear(r->skipped.empty()
                             ? tr("%1 has no channels: it is a vector (1-D)").arg(title)
                             : tr("%1 was not analyzed: %2")
                                   .arg(title, QString::fromStdString(r->skipped)));
    else
        channels_->setPanels(std::move(panels), title);
    histogram_->setMarkers(name, outlierMarkers(r->stats, factor), outlierNote(r->stats, factor));
    Q_EMIT resultShown(name);
}

} // namespace cwb::gui
