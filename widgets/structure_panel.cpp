// SPDX-License-Identifier: MIT
#include "structure_panel.h"

#include "document.h"
#include "job_service.h"
#include "structure_score_chart.h"

#include "prune/prune_report.h"
#include "prune/structure_analysis.h"
#include "prune/structured_plan.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>

namespace cwb::gui {

StructurePanel::StructurePanel(Document *document, QWidget *parent)
    : QWidget(parent), document_(document), scoreBox_(new QComboBox(this)),
      keepBox_(new QSpinBox(this)), summary_(new QLabel(this)), status_(new QLabel(this)),
      channels_(new StructureScoreChart(this)), blocks_(new StructureScoreChart(this))
{
    scoreBox_->addItem(tr("Activation (output energy)"),
                       static_cast<int>(cwb::StructureScore::Activation));
    scoreBox_->addItem(tr("OBS (error after refit)"), static_cast<int>(cwb::StructureScore::Obs));
    scoreBox_->addItem(tr("Magnitude (no data)"),
                       static_cast<int>(cwb::StructureScore::Magnitude));
    scoreBox_->setToolTip(tr("Channel score of the next run"));
    keepBox_->setRange(5, 100);
    keepBox_->setSingleStep(5);
    keepBox_->setValue(75);
    keepBox_->setSuffix(QStringLiteral(" %"));
    keepBox_->setToolTip(tr("FFN channels kept in every layer: moves the cut"));
    summary_->setWordWrap(true);
    status_->setWordWrap(true);
    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Score:"), this));
    controls->addWidget(scoreBox_);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Keep FFN channels:"), this));
    controls->addWidget(keepBox_);
    controls->addStretch(1);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(channels_);
    split->addWidget(blocks_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addLayout(controls);
    layout->addWidget(split, 1);
    layout->addWidget(summary_);
    layout->addWidget(status_);

    connect(keepBox_, &QSpinBox::valueChanged, this, &StructurePanel::refresh);
    connect(document_, &Document::modelChanged, this, [this] {
        if (document_->model() != scoredModel_) {
            scores_.reset();
            scoredModel_.reset();
        }
        refresh();
    });
    refresh();
}

StructurePanel::~StructurePanel()
{
    if (job_ > 0 && document_->jobs()->isRunning(job_))
        document_->jobs()->cancelAndWait(job_);
}

QString StructurePanel::statusText() const { return status_->text(); }

QString StructurePanel::summaryText() const { return summary_->text(); }

void StructurePanel::setKeepPercent(int percent) { keepBox_->setValue(percent); }

void StructurePanel::refresh()
{
    if (!scores_ || !scoredModel_) {
        channels_->clear(tr("No structure scores yet: Analysis \u2192 Score Structures\u2026"));
        blocks_->clear(QString());
        summary_->clear();
        if (job_ == 0)
            status_->setText(tr("Which FFN channels, KV groups and blocks matter, from "
                                "calibration data; the cut shows what structured pruning "
                                "would remove."));
        return;
    }
    const cwb::StructureScores &s = *scores_;
    const cwb::Model &model = *scoredModel_;
    const double keep = keepBox_->value() / 100.0;

    ScoreChartData ffn;
    ffn.title = tr("FFN channels (%1), sorted")
                    .arg(QString::fromUtf8(cwb::structureScoreName(s.kind).data()));
    ffn.xTitle = tr("fraction of channels ranked above");
    ffn.yTitle = tr("score");
    for (const auto &l : s.layers) {
        ScoreSeries series{tr("layer %1").arg(l.layer), l.ffnChannels};
        std::sort(series.values.begin(), series.values.end(), std::greater<>());
        ffn.series.push_back(std::move(series));
    }
    ffn.markX = keep;
    ffn.markLabel = tr("cut: keep %1 %").arg(keepBox_->value());
    channels_->setData(ffn);

    if (!s.blocks.empty()) {
        ScoreChartData blocks;
        blocks.title = tr("Blocks");
        blocks.xTitle = tr("layer");
        blocks.yTitle = tr("value");
        ScoreSeries angular{tr("angular distance"), {}}, kld{tr("\u0394KLD skipped"), {}};
        for (const auto &b : s.blocks) {
            angular.values.push_back(b.angularDistance);
            kld.values.push_back(b.deltaKld);
        }
        blocks.series = {angular, kld};
        blocks.xIsFraction = false;
        const std::vector<int64_t> byKld = cwb::blockRanking(s, true);
        blocks.markX = double(byKld.front());
        blocks.markLabel = tr("least important");
        blocks_->setData(blocks);
    } else {
        blocks_->clear(tr("Blocks were not scored."));
    }

    cwb::StructuredPlan plan;
    plan.ffnKeep = cwb::uniformFfnKeep(cwb::ffnWidths(model), keep);
    const int64_t removed = cwb::parametersRemoved(model, plan);
    const cwb::ModelTotals totals = model.totals();
    const double bytesPerParameter =
        totals.parameters > 0 ? double(totals.bytes) / double(totals.parameters) : 0.0;
    const std::vector<std::string> refusals =
        cwb::planRefusals(model, plan, cwb::PruneTarget::Gguf);
    QString text = tr("Keep %1 %: FFN width %2 \u2192 %3; parameters %4 \u2192 %5 (\u2212%6 %, "
                      "about %7 MB less). %8")
                       .arg(keepBox_->value())
                       .arg(model.hparams.hiddenDim)
                       .arg(plan.ffnKeep.empty() ? 0 : plan.ffnKeep.front())
                       .arg(QLocale().toString(qlonglong(totals.parameters)))
                       .arg(QLocale().toString(qlonglong(totals.parameters - removed)))
                       .arg(QLocale().toString(100.0 * double(removed)
                                                   / double(std::max<int64_t>(totals.parameters, 1)),
                                               'f', 1))
                       .arg(QLocale().toString(double(removed) * bytesPerParameter / 1e6, 'f', 1))
                       .arg(refusals.empty() ? tr("llama.cpp loads these shapes.")
                                             : QString::fromStdString(refusals.front()));
    if (!s.blocks.empty()) {
        QStringList angular, kld;
        for (const int64_t l : cwb::blockRanking(s, false))
            angular << QString::number(l);
        for (const int64_t l : cwb::blockRanking(s, true))
            kld << QString::number(l);
        text += QLatin1Char('\n')
                + tr("Blocks, least important first: by angular distance %1; by \u0394KLD %2 "
                     "(Spearman %3).")
                      .arg(angular.join(QLatin1Char(' ')), kld.join(QLatin1Char(' ')),
                           QLocale().toString(cwb::blockRankCorrelation(s), 'f', 2));
    }
    summary_->setText(text);
}

bool StructurePanel::run(const QString &calibrationPath)
{
    const auto model = document_->model();
    if (!model || job_ != 0 || calibrationPath.trimmed().isEmpty()) {
        status_->setText(!model ? tr("Open a model first.")
                         : job_ != 0 ? tr("A structure analysis is running.")
                                     : tr("Choose a calibration text."));
        return false;
    }
    cwb::StructureAnalysisParams params;
    params.calibrationPath = calibrationPath.toStdString();
    params.score = static_cast<cwb::StructureScore>(scoreBox_->currentData().toInt());
    JobOptions options;
    options.title = tr("Structures of %1").arg(QFileInfo(document_->path()).fileName());
    job_ = document_->jobs()->run(
        options, this,
        [model, params](const cwb::JobContext &ctx) {
            return std::make_shared<const cwb::StructureScores>(
                cwb::analyzeStructures(*model, params, ctx));
        },
        [this, model](JobOutcome<std::shared_ptr<const cwb::StructureScores>> &o) {
            job_ = 0;
            if (o.ok() && document_->model() == model) {
                scores_ = *o.result;
                scoredModel_ = model;
            }
            status_->setText(o.ok() ? QString()
                             : o.cancelled() ? tr("Structure analysis cancelled.")
                                             : tr("Structure analysis failed: %1").arg(o.error));
            refresh();
            Q_EMIT finished(o.ok());
        });
    status_->setText(tr("Scoring\u2026 (progress and Cancel in the Jobs dock)"));
    return true;
}

} // namespace cwb::gui
