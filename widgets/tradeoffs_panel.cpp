// SPDX-License-Identifier: MIT
#include "tradeoffs_panel.h"

#include "document.h"
#include "evaluation_runs_model.h"
#include "job_service.h"
#include "tradeoff_chart.h"
#include "tradeoff_points.h"

#include "analysis/sensitivity_table.h"
#include "model/model.h"
#include "sweep/history_chart.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMetaObject>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <utility>

namespace cwb::gui {
namespace {

using Settings = std::map<std::string, std::string>;

// Item data of a history entry: its index into historyEvaluations(); runs: -1.
constexpr int kRuns = -1;

} // namespace

TradeoffsPanel::TradeoffsPanel(Document *document, QWidget *parent)
    : QWidget(parent), document_(document), source_(new QComboBox(this)),
      sweep_(new QPushButton(tr("Sweep\u2026"), this)),
      reference_(new QPushButton(tr("Reference\u2026"), this)), status_(new QLabel(this)),
      chart_(new TradeoffChart(this))
{
    source_->setObjectName(QStringLiteral("tradeoffSource"));
    // Labels name a text file: long. The dock must not widen the window for them.
    source_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    source_->setMinimumContentsLength(10);
    source_->setToolTip(tr("The points shown: this window's evaluation runs, or the evaluation "
                           "history measured on one text"));
    sweep_->setToolTip(tr("Run a sweep: compress and evaluate several plans into the project's "
                          "evaluation history"));
    reference_->setToolTip(tr("Add a reference: evaluate another file of this model (e.g. "
                              "llama.cpp's own Q4_K_M) as a point apart"));
    status_->setObjectName(QStringLiteral("tradeoffStatus"));
    status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto *row = new QHBoxLayout;
    row->addWidget(source_, 2);
    row->addWidget(status_, 1);
    row->addWidget(sweep_);
    row->addWidget(reference_);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addLayout(row);
    layout->addWidget(chart_, 1);

    connect(source_, &QComboBox::activated, this, [this](int index) {
        const int e = source_->itemData(index).toInt();
        const auto evals = cwb::historyEvaluations(document_->history());
        if (e == kRuns || e >= int(evals.size()))
            showRuns();
        else
            showHistory(evals[size_t(e)].settings);
    });
    connect(sweep_, &QPushButton::clicked, this, [this] { Q_EMIT sweepRequested({}); });
    connect(reference_, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Reference File of This Model"), QFileInfo(document_->path()).absolutePath(),
            tr("Models (*.gguf *.safetensors *.bin *.cwbarchive);;All files (*)"));
        if (!file.isEmpty())
            Q_EMIT sweepRequested(file);
    });
    connect(document_, &Document::runsChanged, this, [this] {
        refreshSources();
        if (showingRuns_)
            refreshPoints();
    });
    connect(document_, &Document::historyChanged, this, [this] {
        // A history arriving (a project opened, a sweep's first point) is what the user wants
        // to see unless runs are on show.
        if (showingRuns_ && document_->runs()->runs().empty())
            showingRuns_ = false;
        refreshSources();
        refreshPoints();
    });
    connect(document_, &Document::modelChanged, this, [this] {
        sweep_->setEnabled(document_->model() != nullptr && job_ == 0);
        reference_->setEnabled(sweep_->isEnabled());
    });
    sweep_->setEnabled(false);
    reference_->setEnabled(false);
    refreshSources();
}

TradeoffsPanel::~TradeoffsPanel()
{
    // The sweep posts its points to this object: it must end before we do.
    if (job_ > 0 && document_->jobs()->isRunning(job_))
        document_->jobs()->cancelAndWait(job_);
}

QString TradeoffsPanel::statusText() const { return status_->text(); }

void TradeoffsPanel::showRuns()
{
    showingRuns_ = true;
    shown_.clear();
    refreshSources();
    refreshPoints();
}

bool TradeoffsPanel::showHistory(const Settings &evaluation)
{
    const auto evals = cwb::historyEvaluations(document_->history());
    if (evals.empty())
        return false;
    shown_ = evaluation.empty() ? evals.back().settings : evaluation;
    showingRuns_ = false;
    refreshSources();
    refreshPoints();
    return true;
}

void TradeoffsPanel::refreshSources()
{
    const auto evals = cwb::historyEvaluations(document_->history());
    if (!showingRuns_) {
        const bool known = std::any_of(evals.begin(), evals.end(), [&](const auto &e) {
            return e.settings == shown_;
        });
        if (!known && !evals.empty())
            shown_ = evals.back().settings;
        else if (!known)
            showingRuns_ = true;
    }
    const QSignalBlocker block(source_);
    source_->clear();
    source_->addItem(tr("Evaluation runs of this window (%1)")
                         .arg(document_->runs()->runs().size()),
                     kRuns);
    for (size_t i = 0; i < evals.size(); ++i) {
        source_->addItem(tr("History: %1 (%n point(s))", nullptr, int(evals[i].points))
                             .arg(QString::fromStdString(evals[i].label)),
                         int(i));
        if (!showingRuns_ && evals[i].settings == shown_)
            source_->setCurrentIndex(source_->count() - 1);
    }
    if (showingRuns_)
        source_->setCurrentIndex(0);
}

void TradeoffsPanel::refreshPoints()
{
    std::vector<TradeoffPoint> points = showingRuns_
                                            ? tradeoffPointsOf(document_->runs()->runs())
                                            : tradeoffPointsOf(document_->history(), shown_);
    // A sweep's KLDs span decades (8-bit ~1e-5, 3-bit ~1e-2): on a linear axis all but the
    // worst sit on zero. The first time such points arrive the axis goes logarithmic; after
    // that it is the user's choice.
    if (!logChosen_) {
        double lo = INFINITY, hi = 0;
        for (const TradeoffPoint &p : points)
            if (p.kld > 0) {
                lo = std::min(lo, p.kld);
                hi = std::max(hi, p.kld);
            }
        if (hi > 100 * lo) {
            chart_->setLogY(true);
            logChosen_ = true;
        }
    }
    chart_->setPoints(std::move(points));
}

bool TradeoffsPanel::startSweep(const SweepSetup &setup)
{
    const std::shared_ptr<const cwb::Model> model = document_->model();
    if (!model || job_ != 0) {
        status_->setText(!model ? tr("Open a model first.") : tr("A sweep is running."));
        return false;
    }
    const std::shared_ptr<const cwb::SensitivityTable> table = document_->sensitivity();
    JobOptions options;
    options.title = tr("Sweep into %1").arg(QFileInfo(setup.projectPath).fileName());
    const void *modelKey = model.get();
    job_ = document_->jobs()->run(
        options, this,
        [this, model, table, setup, modelKey](const cwb::JobContext &ctx) {
            cwb::SweepPlanRequest request = setup.points;
            request.table = table.get();
            cwb::SweepParams p;
            p.model = model.get();
            p.points = cwb::sweepPoints(*model, request, ctx);
            p.evaluation = setup.evaluation;
            p.calibration = setup.calibration;
            p.projectPath = QFile::encodeName(setup.projectPath).toStdString();
            // Each point as it is stored in the project (the destructor waits for this job, so
            // `this` outlives every post).
            p.onPoint = [this, modelKey](const cwb::SweepEvent &e) {
                QMetaObject::invokeMethod(
                    this, [this, point = e.point, modelKey] { onPoint(point, modelKey); },
                    Qt::QueuedConnection);
            };
            const cwb::SweepResult r = cwb::runSweep(p, ctx);
            return std::pair<size_t, size_t>(r.measured, r.points.size() - r.measured);
        },
        [this](JobOutcome<std::pair<size_t, size_t>> &o) {
            job_ = 0;
            sweep_->setEnabled(document_->model() != nullptr);
            reference_->setEnabled(sweep_->isEnabled());
            if (o.ok()) {
                status_->setText(tr("Sweep done: %1 measured, %2 already stored.")
                                     .arg(o.result->first)
                                     .arg(o.result->second));
                o.message = status_->text();
            } else {
                status_->setText(o.cancelled()
                                     ? tr("Sweep cancelled; the points finished are stored.")
                                     : tr("Sweep failed: %1").arg(o.error));
            }
            Q_EMIT sweepFinished(o.ok());
        });
    sweep_->setEnabled(false);
    reference_->setEnabled(false);
    status_->setText(tr("Sweeping\u2026 (progress and Cancel in the Jobs dock)"));
    return true;
}

void TradeoffsPanel::onPoint(const cwb::HistoryPoint &point, const void *model)
{
    if (document_->model().get() != model)
        return; // another model was opened meanwhile: the point is in its project file only
    document_->addHistoryPoint(point);
    // Follow the sweep: show the evaluation its points are measured with.
    Settings evaluation;
    for (const auto &[name, value] : point.settings)
        if (name.starts_with("eval."))
            evaluation.emplace(name, value);
    showHistory(evaluation);
}

} // namespace cwb::gui
