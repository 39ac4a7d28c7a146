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
#include <utility>

namespace cwb::gui {

struct HistogramJobResult {
    cwb::Histogram histogram;
    QString tensor;
    QString error;
    bool cancelled = false;
    qint64 elapsedMs = 0;
};

namespace {

// Small tensors (norm vectors of 64 values) get fewer, wider bins so the shape stays readable.
int binsFor(int64_t values)
{
    const double b = 2.0 * std::sqrt(static_cast<double>(std::max<int64_t>(values, 1)));
    return static_cast<int>(std::clamp(b, 16.0, 128.0));
}

QString number(double v) { return QLocale().toString(v, 'g', 5); }

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

QString HistogramPanel::statusText() const { return status_->text(); }

QString HistogramPanel::noteText() const { return note_->text(); }

void HistogramPanel::cancelRunning()
{
    if (cancel_)
        cancel_->store(true);
    cancel_.reset();
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
    QFuture<HistogramJobResult> future
        = QtConcurrent::run([model, tensor, params, cancel](QPromise<HistogramJobResult> &promise) {
              HistogramJobResult r;
              r.tensor = QString::fromStdString(tensor->name);
              QElapsedTimer timer;
              timer.start();
              cwb::JobContext ctx;
              ctx.cancelFlag = cancel.get();
              promise.setProgressRange(0, 1000);
              ctx.progress = [&promise](double f, const std::string &) {
                  promise.setProgressValue(static_cast<int>(f * 1000));
              };
              try {
                  r.histogram = cwb::tensorHistogram(*tensor, params, ctx);
              } catch (const cwb::Cancelled &) {
                  r.cancelled = true;
              } catch (const std::exception &e) {
                  r.error = QString::fromUtf8(e.what());
              }
              r.elapsedMs = timer.elapsed();
              promise.addResult(std::move(r));
          });

    auto *watcher = new QFutureWatcher<HistogramJobResult>(this);
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this, [this, generation](int v) {
        if (generation == generation_)
            progress_->setValue(v);
    });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, generation, watcher] {
        pending_.remove(generation);
        --running_;
        if (watcher->future().resultCount() > 0)
            finishJob(generation, watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(future);
    pending_.insert(generation, QFuture<void>(future));
    ++running_;

    const QString name
        = QString::fromStdString(tensor->canonical.empty() ? tensor->name : tensor->canonical);
    status_->setText(tr("Computing the histogram of %1\u2026").arg(name));
    progress_->setValue(0);
    progress_->show();
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

    status_->setText(tr("%1 values in %2 bins, computed in %3 ms")
                         .arg(QLocale().toString(static_cast<qulonglong>(h.total())))
                         .arg(h.counts.size())
                         .arg(r.elapsedMs));
    Q_EMIT histogramShown(r.tensor);
}

} // namespace cwb::gui
