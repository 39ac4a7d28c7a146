// SPDX-License-Identifier: MIT
#include "histogram_panel.h"

#include "document.h"
#include "histogram_chart.h"
#include "job_service.h"

#include "analysis/histogram.h"
#include "model/model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

namespace cwb::gui {

struct HistogramJobResult {
    cwb::Histogram histogram;
    QString tensor;
    QString error;
    bool cancelled = false;
    qint64 elapsedMs = 0;
    quint64 comparisonSerial = 0; // comparison jobs: which setComparison they belong to
    QString label;                // comparison jobs: the legend label
};

namespace {

// Small tensors (norm vectors of 64 values) get fewer, wider bins so the shape stays readable.
int binsFor(int64_t values)
{
    const double b = 2.0 * std::sqrt(static_cast<double>(std::max<int64_t>(values, 1)));
    return static_cast<int>(std::clamp(b, 16.0, 128.0));
}

QString number(double v) { return QLocale().toString(v, 'g', 5); }

// Comparison values are counted in blocks, so a cancel flag is seen between them.
constexpr size_t kComparisonBlock = size_t{1} << 20;

} // namespace

HistogramPanel::HistogramPanel(Document *document, QWidget *parent)
    : QWidget(parent), document_(document), chart_(new HistogramChart(this)),
      logBox_(new QCheckBox(tr("Log counts"), this)), rangeBox_(new QComboBox(this)),
      status_(new QLabel(this)), note_(new QLabel(this)), progress_(new QProgressBar(this))
{
    rangeBox_->addItem(tr("Symmetric (\u00b1max)"),
                       static_cast<int>(cwb::HistogramRange::Symmetric));
    rangeBox_->addItem(tr("Minimum to maximum"), static_cast<int>(cwb::HistogramRange::MinMax));
    rangeBox_->addItem(tr("Central 99.9 %"), static_cast<int>(cwb::HistogramRange::Percentile));
    rangeBox_->setToolTip(tr("Value range covered by the bins"));
    logBox_->setToolTip(tr("Logarithmic count axis: makes rare outlier values visible"));
    auto *rangeLabel = new QLabel(tr("Range:"), this);
    rangeLabel->setBuddy(rangeBox_);

    auto *controls = new QHBoxLayout;
    controls->addWidget(rangeLabel);
    controls->addWidget(rangeBox_);
    controls->addSpacing(12);
    controls->addWidget(logBox_);
    controls->addStretch(1);

    progress_->setRange(0, 1000);
    progress_->setTextVisible(false);
    progress_->setMaximumWidth(160);
    progress_->hide();
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    status_->setWordWrap(true);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(status_, 1);
    statusRow->addWidget(progress_);

    note_->setObjectName(QStringLiteral("histogramOutlierNote"));
    note_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    note_->setWordWrap(true);
    note_->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(chart_, 1);
    layout->addWidget(note_);
    layout->addLayout(statusRow);

    connect(logBox_, &QCheckBox::toggled, chart_, &HistogramChart::setLogCounts);
    connect(rangeBox_, &QComboBox::currentIndexChanged, this, [this] { startJob(); });
    connect(document_, &Document::modelChanged, this, &HistogramPanel::onModelChanged);
    status_->setText(tr("Select a tensor to see its histogram."));
}

// The jobs read only what they hold; their outcomes are dropped once this panel is gone.
HistogramPanel::~HistogramPanel() { cancelRunning(); }

void HistogramPanel::onModelChanged()
{
    cancelRunning();
    ++generation_; // results still in flight belong to the old model
    tensor_.clear();
    shown_.clear();
    comparisons_.clear();
    shownStatus_.clear();
    markerTensor_.clear();
    markers_.clear();
    markerNote_.clear();
    showMarkers();
    chart_->clear();
    progress_->hide();
    status_->setText(tr("Select a tensor to see its histogram."));
}

void HistogramPanel::showTensor(const QString &nameOrCanonical)
{
    tensor_ = nameOrCanonical;
    startJob();
}

void HistogramPanel::setMarkers(const QString &tensor, std::vector<HistogramMarker> markers,
                                const QString &note)
{
    markerTensor_ = tensor;
    markers_ = std::move(markers);
    markerNote_ = note;
    if (!shown_.isEmpty())
        showMarkers();
}

void HistogramPanel::showMarkers()
{
    const bool mine = !shown_.isEmpty() && shown_ == markerTensor_;
    chart_->setMarkers(mine ? markers_ : std::vector<HistogramMarker>{});
    note_->setText(mine ? markerNote_ : QString());
    note_->setVisible(!note_->text().isEmpty());
}

void HistogramPanel::setComparison(const QString &tensor,
                                   std::shared_ptr<const std::vector<float>> values,
                                   const QString &label)
{
    if (!values)
        return;
    comparisons_.insert(tensor, Comparison{std::move(values), label});
    if (!shown_.isEmpty() && comparisonFor(shown_))
        startComparison();
}

void HistogramPanel::clearComparisons()
{
    comparisons_.clear();
    if (comparisonJob_)
        document_->jobs()->cancel(comparisonJob_);
    comparisonJob_ = 0;
    ++comparisonSerial_; // a comparison still in flight is dropped
    chart_->clearOverlay();
    if (!shown_.isEmpty())
        status_->setText(shownStatus_);
}

bool HistogramPanel::hasComparison(const QString &tensor) const
{
    return comparisonFor(tensor) != nullptr;
}

const HistogramPanel::Comparison *HistogramPanel::comparisonFor(const QString &tensor) const
{
    if (tensor.isEmpty())
        return nullptr;
    if (auto it = comparisons_.constFind(tensor); it != comparisons_.constEnd())
        return &*it;
    // Set under the other name of the same tensor (canonical vs original).
    const auto &model = document_->model();
    const cwb::Tensor *t = model ? model->findTensor(tensor.toStdString()) : nullptr;
    if (!t)
        return nullptr;
    for (const QString &name :
         {QString::fromStdString(t->name), QString::fromStdString(t->canonical)}) {
        const auto it = comparisons_.constFind(name);
        if (!name.isEmpty() && it != comparisons_.constEnd())
            return &*it;
    }
    return nullptr;
}

QString HistogramPanel::statusText() const { return status_->text(); }

QString HistogramPanel::noteText() const { return note_->text(); }

void HistogramPanel::cancelRunning()
{
    for (int *job : {&job_, &comparisonJob_}) {
        if (*job)
            document_->jobs()->cancel(*job);
        *job = 0;
    }
}

void HistogramPanel::startJob()
{
    cancelRunning();
    const quint64 generation = ++generation_;
    const std::shared_ptr<const cwb::Model> model = document_->model();
    if (!model || tensor_.isEmpty())
        return;
    const cwb::Tensor *tensor = model->findTensor(tensor_.toStdString());
    if (!tensor) {
        shown_.clear();
        showMarkers();
        chart_->clear(tr("No tensor named %1").arg(tensor_));
        status_->clear();
        progress_->hide();
        return;
    }

    cwb::HistogramParams params;
    params.bins = binsFor(tensor->numel());
    params.range = static_cast<cwb::HistogramRange>(rangeBox_->currentData().toInt());
    const QString name
        = QString::fromStdString(tensor->canonical.empty() ? tensor->name : tensor->canonical);
    HistogramJobResult base;
    base.tensor = QString::fromStdString(tensor->name);
    // The job holds the model, so the tensor it reads outlives any model switch in the GUI.
    job_ = launch(generation, true, tr("Histogram of %1").arg(name), base,
                  [model, tensor, params](HistogramJobResult &r, const cwb::JobContext &ctx) {
                      r.histogram = cwb::tensorHistogram(*tensor, params, ctx);
                  });
    status_->setText(tr("Computing the histogram of %1\u2026").arg(name));
    progress_->setValue(0);
    progress_->show();
}

int HistogramPanel::launch(quint64 generation, bool main, const QString &title,
                           HistogramJobResult base, JobWork work)
{
    JobOptions options;
    options.title = title;
    options.transient = true; // one per selection: the row goes unless it failed
    options.reveal = false;
    using Result = std::shared_ptr<HistogramJobResult>;
    JobService::Progress progress;
    if (main) {
        progress = [this, generation](double f, const QString &) {
            if (generation == generation_)
                progress_->setValue(static_cast<int>(f * 1000));
        };
    }
    const int id = document_->jobs()->run(
        options, this,
        [base, work = std::move(work)](const cwb::JobContext &ctx) -> Result {
            auto r = std::make_shared<HistogramJobResult>(base);
            QElapsedTimer timer;
            timer.start();
            work(*r, ctx);
            r->elapsedMs = timer.elapsed();
            return r;
        },
        [this, generation, main, base](JobOutcome<Result> &o) {
            running_.remove(o.id);
            HistogramJobResult r = o.ok() ? std::move(**o.result) : base;
            r.cancelled = o.cancelled();
            if (o.state == JobState::Failed)
                r.error = o.error;
            if (main)
                finishJob(generation, r);
            else
                finishComparison(generation, r);
        },
        std::move(progress));
    running_.insert(id);
    return id;
}

void HistogramPanel::startComparison()
{
    const Comparison *c = comparisonFor(shown_);
    if (!c || !chart_->hasData())
        return;
    if (comparisonJob_)
        document_->jobs()->cancel(comparisonJob_);
    const quint64 serial = ++comparisonSerial_;
    // Same bins as the histogram on screen: its edges, zero counts.
    HistogramJobResult base;
    base.tensor = shown_;
    base.label = c->label;
    base.comparisonSerial = serial;
    base.histogram.edges = chart_->series().edges;
    base.histogram.counts.assign(chart_->series().counts.size(), 0);
    comparisonJob_ = launch(
        generation_, false, tr("Histogram of %1 (%2)").arg(shown_, c->label), base,
        [values = c->values](HistogramJobResult &r, const cwb::JobContext &ctx) {
            const std::vector<float> &v = *values;
            for (size_t at = 0; at < v.size(); at += kComparisonBlock) {
                ctx.checkCancelled();
                const size_t n = std::min(kComparisonBlock, v.size() - at);
                cwb::addToHistogram(std::span<const float>(v.data() + at, n), r.histogram);
                ctx.report(static_cast<double>(at + n) / static_cast<double>(v.size()));
            }
            for (float x : v) {
                if (std::isnan(x))
                    ++r.histogram.nan;
                else if (std::isinf(x))
                    ++r.histogram.inf;
            }
            r.histogram.finite = v.size() - r.histogram.nan - r.histogram.inf;
        });
}

void HistogramPanel::finishComparison(quint64 generation, const HistogramJobResult &r)
{
    if (generation != generation_ || r.cancelled || r.comparisonSerial != comparisonSerial_
        || r.tensor != shown_)
        return; // for a histogram no longer on screen, or a newer comparison
    if (!r.error.isEmpty()) {
        status_->setText(shownStatus_ + QLatin1Char('\n')
                         + tr("No comparison histogram: %1").arg(r.error));
        return;
    }
    const cwb::Histogram &h = r.histogram;
    chart_->setOverlay(std::vector<double>(h.counts.begin(), h.counts.end()), r.label,
                       tr("original"));
    QString line = tr("Outline: %1, %2 values")
                       .arg(r.label, QLocale().toString(static_cast<qulonglong>(h.total())));
    if (h.below + h.above > 0)
        line += tr(", %1 outside the bins")
                    .arg(QLocale().toString(static_cast<qulonglong>(h.below + h.above)));
    status_->setText(shownStatus_ + QLatin1Char('\n') + line);
    Q_EMIT comparisonShown(r.tensor);
}

void HistogramPanel::finishJob(quint64 generation, const HistogramJobResult &r)
{
    if (generation != generation_ || r.cancelled)
        return; // superseded by a newer selection or a new model
    progress_->hide();
    const auto &model = document_->model();
    const cwb::Tensor *tensor = model ? model->findTensor(r.tensor.toStdString()) : nullptr;
    const QString canonical = tensor ? QString::fromStdString(tensor->canonical) : QString();
    const QString title = canonical.isEmpty() || canonical == r.tensor
        ? r.tensor
        : QStringLiteral("%1   (%2)").arg(canonical, r.tensor);
    if (!r.error.isEmpty()) {
        shown_.clear();
        showMarkers();
        chart_->clear(tr("No histogram for %1").arg(title));
        status_->setText(r.error);
        Q_EMIT histogramFailed(r.tensor, r.error);
        return;
    }

    const cwb::Histogram &h = r.histogram;
    HistogramSeries s;
    s.title = title;
    s.edges = h.edges;
    s.counts.assign(h.counts.begin(), h.counts.end());

    QList<std::pair<QString, QString>> lines{
        {tr("min"), number(h.min)},
        {tr("max"), number(h.max)},
        {tr("mean"), number(h.mean)},
        {tr("std"), number(h.std)},
        {tr("zeros"), QLocale().toString(static_cast<qulonglong>(h.zeros))}};
    if (h.nan > 0)
        lines.append({tr("NaN"), QLocale().toString(static_cast<qulonglong>(h.nan))});
    if (h.inf > 0)
        lines.append({tr("\u00b1Inf"), QLocale().toString(static_cast<qulonglong>(h.inf))});
    if (h.below + h.above > 0)
        lines.append(
            {tr("clipped"), QLocale().toString(static_cast<qulonglong>(h.below + h.above))});
    qsizetype width = 0;
    for (const auto &l : lines)
        width = std::max(width, l.first.size());
    QStringList text;
    for (const auto &l : lines)
        text.append(l.first.leftJustified(width + 2) + l.second);
    s.statsText = text.join(QLatin1Char('\n'));
    shown_ = r.tensor;
    showMarkers();
    chart_->setSeries(std::move(s));

    shownStatus_ = tr("%1 values in %2 bins, computed in %3 ms")
                       .arg(QLocale().toString(static_cast<qulonglong>(h.total())))
                       .arg(h.counts.size())
                       .arg(r.elapsedMs);
    status_->setText(shownStatus_);
    Q_EMIT histogramShown(r.tensor);
    startComparison();
}

} // namespace cwb::gui
