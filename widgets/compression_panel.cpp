// SPDX-License-Identifier: MIT
#include "compression_panel.h"

#include "compression_job.h"
#include "jobs_panel.h"
#include "layer_error_chart.h"
#include "layer_plan_model.h"
#include "layer_plan_view.h"

#include "compress/run_inputs.h"
#include "model/model.h"
#include "recipe/recipe_edit.h"
#include "recipe/resolve.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace cwb::gui {

namespace {

const QString kCalibDirKey = QStringLiteral("compress/calibrationDir");
const QString kArchiveDirKey = QStringLiteral("compress/archiveDir");

std::string localPath(const QString &path) { return QFile::encodeName(path).toStdString(); }

} // namespace

CompressionPanel::CompressionPanel(JobsPanel *jobs, LayerErrorChart *chart, QWidget *parent)
    : QWidget(parent), jobs_(jobs), chart_(chart)
{
    view_ = new LayerPlanView(this);

    calib_ = new QLineEdit(this);
    calib_->setObjectName(QStringLiteral("compressCalibration"));
    calib_->setPlaceholderText(tr("Calibration text (needed by gptq, awq, wanda, sparsegpt, asvd, imatrix)"));
    calib_->setClearButtonEnabled(true);
    auto *browse = new QToolButton(this);
    browse->setText(tr("Browse\u2026"));
    browse->setToolTip(tr("Choose a UTF-8 text file to collect activation statistics from"));
    sequences_ = new QSpinBox(this);
    sequences_->setRange(1, 4096);
    sequences_->setValue(64);
    sequences_->setSuffix(tr(" sequences"));
    sequences_->setToolTip(tr("Calibration sequences of 256 tokens (fewer when the text is short)"));
    compress_ = new QPushButton(tr("&Compress"), this);
    compress_->setObjectName(QStringLiteral("compressRun"));
    compress_->setToolTip(tr("Run the plan over the model in the background"));
    compressSave_ = new QPushButton(tr("Compress and &save\u2026"), this);
    compressSave_->setToolTip(tr("Run the plan and write a .cwbarchive that cwb eval and cwb "
                                 "inspect read"));
    cancel_ = new QPushButton(tr("Cancel"), this);
    message_ = new QLabel(this);
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Calibration:"), this));
    row->addWidget(calib_, 1);
    row->addWidget(browse);
    row->addWidget(sequences_);
    row->addWidget(compress_);
    row->addWidget(compressSave_);
    row->addWidget(cancel_);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(view_, 1);
    layout->addLayout(row);
    layout->addWidget(message_);

    connect(browse, &QToolButton::clicked, this, &CompressionPanel::chooseCalibration);
    connect(calib_, &QLineEdit::textChanged, this, [this](const QString &text) {
        calib_->setToolTip(text);
        view_->planModel()->setCalibrationAvailable(!text.trimmed().isEmpty());
        updateControls();
    });
    connect(compress_, &QPushButton::clicked, this, [this] { compress(); });
    connect(compressSave_, &QPushButton::clicked, this,
            &CompressionPanel::chooseArchiveAndCompress);
    connect(cancel_, &QPushButton::clicked, this, &CompressionPanel::cancel);
    connect(view_->planModel(), &LayerPlanModel::planChanged, this,
            &CompressionPanel::updateControls);
    if (jobs_)
        connect(jobs_, &JobsPanel::cancelRequested, this, [this](int id) {
            if (id == jobId_)
                cancel();
        });
    showMessage(tr("Open a model, edit the plan, then press Compress."), false);
    updateControls();
}

CompressionPanel::~CompressionPanel()
{
    delete job_; // cancels and waits before the widgets its signals update go away
}

void CompressionPanel::setModel(std::shared_ptr<const cwb::Model> model)
{
    if (model == model_)
        return;
    if (job_)
        job_->cancel();
    model_ = std::move(model);
    result_.reset();
    relErrors_.clear();
    outErrors_.clear();
    view_->planModel()->setModel(model_);
    view_->planModel()->clearTensorErrors();
    if (chart_)
        chart_->clear(tr("Run a compression to see each tensor's error."));
    updateControls();
}

void CompressionPanel::setCalibrationPath(const QString &path)
{
    calib_->setText(QDir::toNativeSeparators(path));
}

bool CompressionPanel::isRunning() const { return job_ && job_->isRunning(); }

QString CompressionPanel::messageText() const { return message_->text(); }

void CompressionPanel::showMessage(const QString &text, bool error)
{
    message_->setText(text);
    QPalette p = message_->palette();
    p.setColor(QPalette::WindowText, error ? QColor(0xb0, 0x00, 0x20) : palette().color(QPalette::WindowText));
    message_->setPalette(p);
}

void CompressionPanel::updateControls()
{
    const bool running = isRunning();
    const bool ready = model_ && !running;
    compress_->setEnabled(ready);
    compressSave_->setEnabled(ready);
    cancel_->setEnabled(running && !job_->isCancelRequested());
}

void CompressionPanel::chooseCalibration()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Calibration text"), settings.value(kCalibDirKey).toString(),
        tr("Text files (*.txt);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(kCalibDirKey, QFileInfo(path).absolutePath());
    setCalibrationPath(path);
}

void CompressionPanel::chooseArchiveAndCompress()
{
    QSettings settings;
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save compressed model"), settings.value(kArchiveDirKey).toString(),
        tr("Compression Workbench archives (*.cwbarchive)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QStringLiteral(".cwbarchive")))
        path += QStringLiteral(".cwbarchive");
    settings.setValue(kArchiveDirKey, QFileInfo(path).absolutePath());
    compress(path);
}

bool CompressionPanel::compress(const QString &archivePath)
{
    if (!model_) {
        showMessage(tr("Open a model first."), true);
        return false;
    }
    if (isRunning()) {
        showMessage(tr("A compression is already running."), true);
        return false;
    }
    const cwb::Plan &plan = view_->planModel()->plan();
    if (!plan.valid()) {
        QStringList lines;
        for (const auto &e : plan.errors)
            lines << QString::fromStdString(e.text());
        showMessage(tr("The plan has %n problem(s); nothing was run:\n%1", nullptr,
                       int(lines.size()))
                        .arg(lines.join(QLatin1Char('\n'))),
                    true);
        return false;
    }
    cwb::CompressionInputs inputs;
    inputs.calibrationPath = localPath(QDir::fromNativeSeparators(calib_->text().trimmed()));
    inputs.sequences = sequences_->value();
    inputs.recipeJson = cwb::recipeToJson(view_->planModel()->recipe());
    const cwb::CompressParams params = cwb::compressParams(inputs);
    if (job_)
        job_->deleteLater(); // finished; compress() may be called from one of its signals
    relErrors_.clear();
    outErrors_.clear();
    view_->planModel()->clearTensorErrors();
    job_ = new CompressionJob(model_, plan, params, archivePath, this);
    const QString title = archivePath.isEmpty()
        ? tr("Compress %1").arg(QFileInfo(QString::fromStdString(model_->path)).fileName())
        : tr("Compress to %1").arg(QFileInfo(archivePath).fileName());
    jobId_ = jobs_ ? jobs_->addJob(title) : -1;
    connect(job_, &CompressionJob::progressed, this, [this](double f, const QString &what) {
        if (jobs_)
            jobs_->setProgress(jobId_, f, what);
        showMessage(what, false);
    });
    connect(job_, &CompressionJob::tensorFinished, this, &CompressionPanel::onTensorFinished);
    connect(job_, &CompressionJob::succeeded, this,
            [this](std::shared_ptr<const cwb::CompressedModel> r) {
                result_ = r;
                const auto &t = r->totals;
                const QString text =
                    tr("%1 tensors compressed: %2 MiB -> %3 MiB (%4x, %5 bits/weight) in %6 s")
                        .arg(t.tensors)
                        .arg(double(t.originalBytes) / 1048576.0, 0, 'f', 2)
                        .arg(double(t.compressedBytes) / 1048576.0, 0, 'f', 2)
                        .arg(t.compressionRatio, 0, 'f', 2)
                        .arg(t.bitsPerWeight, 0, 'f', 3)
                        .arg(t.seconds, 0, 'f', 1);
                if (jobs_)
                    jobs_->finishJob(jobId_, true, text);
                showMessage(text, false);
                updateControls();
                Q_EMIT resultReady(r);
            });
    connect(job_, &CompressionJob::failed, this, [this](const QString &message) {
        if (jobs_)
            jobs_->finishJob(jobId_, false, message);
        showMessage(message, true);
        updateControls();
        Q_EMIT compressionFailed(message);
    });
    connect(job_, &CompressionJob::cancelled, this, [this] {
        if (jobs_)
            jobs_->finishJob(jobId_, false, tr("Cancelled; nothing was written."));
        showMessage(tr("Cancelled; nothing was written."), false);
        updateControls();
    });
    job_->start();
    showMessage(tr("Compressing\u2026"), false);
    updateControls();
    return true;
}

void CompressionPanel::cancel()
{
    if (job_ && job_->isRunning())
        job_->cancel();
    updateControls();
}

void CompressionPanel::onTensorFinished(const TensorResult &r)
{
    if (!r.matrix)
        return; // a norm or bias (e.g. holding folded AWQ scales): no bar, no error to show
    relErrors_.insert(r.canonical, r.relativeError);
    if (r.outputError >= 0)
        outErrors_.insert(r.canonical, r.outputError);
    view_->planModel()->setTensorErrors(relErrors_);
    if (!chart_)
        return;
    // Bars in model order, whatever order the tensors finished in.
    std::vector<LayerErrorEntry> rel, out;
    for (const cwb::TensorPlan &tp : view_->planModel()->plan().tensors) {
        const QString name = QString::fromStdString(tp.canonical);
        if (const auto it = relErrors_.constFind(name); it != relErrors_.constEnd())
            rel.push_back({name, {}, *it});
        if (const auto it = outErrors_.constFind(name); it != outErrors_.constEnd())
            out.push_back({name, {}, *it});
    }
    const QString current = chart_->metric();
    chart_->setSeries(tr("Relative Frobenius error"), std::move(rel));
    if (!out.empty())
        chart_->setSeries(tr("Output error (calibration)"), std::move(out));
    if (!current.isEmpty())
        chart_->setMetric(current);
}

} // namespace cwb::gui
