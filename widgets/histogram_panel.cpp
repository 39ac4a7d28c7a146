// SPDX-License-Identifier: MIT
#include "histogram_panel.h"

#include "histogram_chart.h"

#include "analysis/histogram.h"
#include "model/model.h"
#include "util/error.h"

#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPromise>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

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

HistogramPanel::HistogramPanel(QWidget *parent)
    : QWidget(parent), chart_(new HistogramChart(this)),
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
    status_->setText(tr("Select a tensor to see its histogram."));
}

HistogramPanel::~HistogramPanel()
{
    cancelRunning();
    for (auto &f : pending_)
        f.waitForFinished();
}

void HistogramPanel::setModel(std::shared_ptr<const cwb::Model> model)
{
    cancelRunning();
    ++generation_; // results still in flight belong to the old model
    model_ = std::move(model);
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
    if (comparisonCancel_)
        comparisonCancel_->store(true);
    comparisonCancel_.reset();
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
    const cwb::Tensor *t = model_ ? model_->findTensor(tensor.toStdString()) : nullptr;
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
    for (auto *flag : {&cancel_, &comparisonCancel_}) {
        if (*flag)
            (*flag)->store(true);
        flag->reset();
    }
}

void HistogramPanel::startJob()
{
    cancelRunning();
    const quint64 generation = ++generation_;
    if (!model_ || tensor_.isEmpty())
        return;
    const cwb::Tensor *tensor = model_->findTensor(tensor_.toStdString());
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
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    cancel_ = cancel;

    // The job holds the model, so the tensor it reads outlives any model switch in the GUI.
    auto model = model_;
    launch(generation, true, cancel,
           [model, tensor, params](HistogramJobResult &r, const cwb::JobContext &ctx) {
               r.tensor = QString::fromStdString(tensor->name);
               r.histogram = cwb::tensorHistogram(*tensor, params, ctx);
           });

    const QString name
        = QString::fromStdString(tensor->canonical.empty() ? tensor->name : tensor->canonical);
    status_->setText(tr("Computing the histogram of %1\u2026").arg(name));
    progress_->setValue(0);
    progress_->show();
}

void HistogramPanel::launch(quint64 generation, bool main,
                            std::shared_ptr<std::atomic<bool>> cancel, JobWork work)
{
    QFuture<HistogramJobResult> future = QtConcurrent::run(
        [cancel, work = std::move(work)](QPromise<HistogramJobResult> &promise) {
            HistogramJobResult r;
            QElapsedTimer timer;
            timer.start();
            cwb::JobContext ctx;
            ctx.cancelFlag = cancel.get();
            promise.setProgressRange(0, 1000);
            ctx.progress = [&promise](double f, const std::string &) {
                promise.setProgressValue(static_cast<int>(f * 1000));
            };
            try {
                work(r, ctx);
            } catch (const cwb::Cancelled &) {
                r.cancelled = true;
            } catch (const std::exception &e) {
                r.error = QString::fromUtf8(e.what());
            }
            r.elapsedMs = timer.elapsed();
            promise.addResult(std::move(r));
        });

    const quint64 serial = ++jobSerial_;
    auto *watcher = new QFutureWatcher<HistogramJobResult>(this);
    if (main) {
        connect(watcher, &QFutureWatcherBase::progressValueChanged, this,
                [this, generation](int v) {
                    if (generation == generation_)
                        progress_->setValue(v);
                });
    }
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, generation, serial, main, watcher] {
                pending_.remove(serial);
                --running_;
                if (watcher->future().resultCount() > 0) {
                    if (main)
                        finishJob(generation, watcher->result());
                    else
                        finishComparison(generation, watcher->result());
                }
                watcher->deleteLater();
            });
    watcher->setFuture(future);
    pending_.insert(serial, QFuture<void>(future));
    ++running_;
}

void HistogramPanel::startComparison()
{
    const Comparison *c = comparisonFor(shown_);
    if (!c || !chart_->hasData())
        return;
    if (comparisonCancel_)
        comparisonCancel_->store(true);
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    comparisonCancel_ = cancel;
    const quint64 serial = ++comparisonSerial_;
    // Same bins as the histogram on screen: its edges, zero counts.
    cwb::Histogram frame;
    frame.edges = chart_->series().edges;
    frame.counts.assign(chart_->series().counts.size(), 0);
    launch(generation_, false, cancel,
           [frame, values = c->values, label = c->label, tensor = shown_,
            serial](HistogramJobResult &r, const cwb::JobContext &ctx) {
               r.tensor = tensor;
               r.label = label;
               r.comparisonSerial = serial;
               r.histogram = frame;
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
    const cwb::Tensor *tensor = model_ ? model_->findTensor(r.tensor.toStdString()) : nullptr;
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
