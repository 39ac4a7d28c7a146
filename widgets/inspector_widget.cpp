// SPDX-License-Identifier: MIT
#include "inspector_widget.h"

#include "analysis_controller.h"
#include "analysis_series.h"
#include "channels_chart.h"
#include "document.h"
#include "histogram_panel.h"
#include "job_service.h"
#include "spectrum_chart.h"

#include "compress/compressed_model.h"
#include "model/model.h"

#include <utility>
#include <vector>

namespace cwb::gui {

InspectorWidget::InspectorWidget(Document *document, QWidget *parent)
    : QTabWidget(parent), document_(document), histogram_(new HistogramPanel(document, this)),
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

    AnalysisController *analysis = document_->analysis();
    connect(analysis, &AnalysisController::tensorAnalyzed, this, [this](const QString &name) {
        const auto &model = document_->model();
        const cwb::Tensor *t = model ? model->findTensor(tensor_.toStdString()) : nullptr;
        if (t && QString::fromStdString(t->name) == name)
            refresh();
    });
    for (auto signal : {&AnalysisController::resultsReset, &AnalysisController::activationsChanged,
                        &AnalysisController::started, &AnalysisController::finished,
                        &AnalysisController::cancelled})
        connect(analysis, signal, this, &InspectorWidget::refresh);
    connect(analysis, &AnalysisController::failed, this, &InspectorWidget::refresh);
    connect(document_, &Document::modelChanged, this, [this] {
        tensor_.clear();
        refresh();
    });
    connect(document_, &Document::compressionChanged, this, &InspectorWidget::showCompressed);
    refresh();
}

InspectorWidget::~InspectorWidget()
{
    if (decodeJob_)
        document_->jobs()->cancel(decodeJob_);
}

void InspectorWidget::showTensor(const QString &nameOrCanonical)
{
    tensor_ = nameOrCanonical;
    histogram_->showTensor(nameOrCanonical);
    refresh();
    showCompressed();
}

void InspectorWidget::showCompressed()
{
    histogram_->clearComparisons();
    if (decodeJob_)
        document_->jobs()->cancel(decodeJob_);
    decodeJob_ = 0;
    const std::shared_ptr<const cwb::CompressedModel> compression = document_->compression();
    const cwb::CompressedTensor *t
        = compression ? compression->find(tensor_.toStdString()) : nullptr;
    if (!t)
        return;
    JobOptions options;
    options.title = tr("Decode compressed %1").arg(tensor_);
    options.transient = true;
    options.reveal = false;
    using Values = std::shared_ptr<const std::vector<float>>;
    decodeJob_ = document_->jobs()->run(
        options, this,
        // `compression` keeps the tensor alive while it is decoded.
        [t, compression](const cwb::JobContext &) -> Values {
            return std::make_shared<const std::vector<float>>(t->reconstruct());
        },
        [this, name = tensor_, compression](JobOutcome<Values> &o) {
            if (o.id != decodeJob_)
                return; // another tensor or compression replaced it
            decodeJob_ = 0;
            if (o.ok() && compression == document_->compression())
                histogram_->setComparison(name, *o.result, tr("compressed"));
        });
}

void InspectorWidget::refresh()
{
    const auto &model = document_->model();
    const cwb::Tensor *t = model && !tensor_.isEmpty() ? model->findTensor(tensor_.toStdString())
                                                       : nullptr;
    if (!t) {
        spectrum_->clear(tr("No tensor selected"));
        channels_->clear(tr("No tensor selected"));
        return;
    }
    const QString name = QString::fromStdString(t->name);
    const QString title = tensorTitle(name, QString::fromStdString(t->canonical));
    const AnalysisController *analysis = document_->analysis();
    const cwb::TensorAnalysis *r = analysis->result(name);
    if (!r) {
        const QString message = analysis->isRunning()
            ? tr("Analyzing %1\u2026").arg(title)
            : tr("%1 is not analyzed yet: Analysis \u2192 Analyze Model").arg(title);
        spectrum_->clear(message);
        channels_->clear(message);
        histogram_->setMarkers(name, {});
        return;
    }

    const double factor = analysis->params().stats.outlierFactor;
    spectrum_->setSeries(spectrumSeries(*r));
    std::vector<ChannelPanel> panels = channelPanels(*r, analysis->activations(), factor);
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
