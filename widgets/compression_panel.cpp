// SPDX-License-Identifier: MIT
#include "compression_panel.h"

#include "document.h"
#include "job_service.h"
#include "layer_error_chart.h"
#include "layer_plan_model.h"
#include "layer_plan_view.h"

#include "methods/registry.h"
#include "model/model.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "pipeline/structure_step.h"
#include "pipeline/run_inputs.h"
#include "recipe/recipe_edit.h"
#include "recipe/resolve.h"

#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMetaObject>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace cwb::gui {

// What the GUI shows of one finished tensor while the run goes on.
struct TensorResult {
    QString canonical;
    double relativeError = 0;
    double outputError = -1;
    double bitsPerWeight = 0;
    QString format;
    bool matrix = true; // false for 1-D tensors (norms, biases)
};

namespace {

const QString kCalibDirKey = QStringLiteral("compress/calibrationDir");
const QString kArchiveDirKey = QStringLiteral("compress/archiveDir");

std::string localPath(const QString &path) { return QFile::encodeName(path).toStdString(); }

} // namespace

CompressionPanel::CompressionPanel(Document *document, LayerErrorChart *chart, QWidget *parent)
    : QWidget(parent), document_(document), chart_(chart)
{
    view_ = new LayerPlanView(document_->plan(), this);

    calib_ = new QLineEdit(this);
    calib_->setObjectName(QStringLiteral("compressCalibration"));
    calib_->setPlaceholderText(tr("Calibration text (needed by %1)")
                                   .arg(QString::fromStdString(cwb::calibrationNeeds())));
    calib_->setClearButtonEnabled(true);
    auto *browse = new QToolButton(this);
    browse->setText(tr("Browse\u2026"));
    browse->setToolTip(tr("Choose a UTF-8 text file to collect activation statistics from"));
    sequences_ = new QSpinBox(this);
    sequences_->setRange(1, 4096);
    sequences_->setValue(64);
    sequences_->setSuffix(tr(" sequences"));
    sequences_->setToolTip(tr("Calibration sequences (fewer when the text is short)"));
    seqLen_ = new QSpinBox(this);
    seqLen_->setObjectName(QStringLiteral("compressSeqLen"));
    seqLen_->setRange(2, 1 << 20);
    seqLen_->setValue(int(cwb::CompressParams::defaultCalibration().tokensPerSequence));
    seqLen_->setSuffix(tr(" tokens each"));
    seqLen_->setToolTip(tr("Tokens per calibration sequence, BOS included (capped at the "
                           "model's context length)"));
    sequential_ = new QCheckBox(tr("Sequential"), this);
    sequential_->setObjectName(QStringLiteral("compressSequential"));
    sequential_->setToolTip(tr("Collect the calibration statistics layer by layer: each layer's "
                               "inputs come from the layers before it already compressed "
                               "(slower; off: once, from the original model)"));
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

    // Two rows, so that the dock stays narrow: the text and its mode, then its amount and the
    // run buttons.
    auto *row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Calibration:"), this));
    row->addWidget(calib_, 1);
    row->addWidget(browse);
    row->addWidget(sequential_);
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(sequences_);
    runRow->addWidget(seqLen_);
    runRow->addStretch(1);
    runRow->addWidget(compress_);
    runRow->addWidget(compressSave_);
    runRow->addWidget(cancel_);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(view_, 1);
    layout->addLayout(row);
    layout->addLayout(runRow);
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
    connect(document_, &Document::modelChanged, this, &CompressionPanel::onModelChanged);
    showMessage(tr("Open a model, edit the plan, then press Compress."), false);
    updateControls();
}

CompressionPanel::~CompressionPanel()
{
    // The job posts each finished tensor to this panel: it must end before the panel does.
    if (job_)
        document_->jobs()->cancelAndWait(job_);
}

void CompressionPanel::onModelChanged()
{
    if (job_)
        document_->jobs()->cancel(job_);
    ++generation_; // tensors still in flight belong to the old model
    relErrors_.clear();
    outErrors_.clear();
    view_->planModel()->clearTensorErrors();
    if (chart_)
        chart_->clear(tr("Run a compression to see each tensor's error."));
    updateControls();
}

void CompressionPanel::setCalibrationPath(const QString &path)
{
    calib_->setText(QDir::toNativeSeparators(path));
}

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
    const bool ready = document_->model() && !running;
    compress_->setEnabled(ready);
    compressSave_->setEnabled(ready);
    cancel_->setEnabled(running && !document_->jobs()->isCancelRequested(job_));
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
    const std::shared_ptr<const cwb::Model> model = document_->model();
    if (!model) {
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
    inputs.tokensPerSequence = seqLen_->value();
    inputs.sequential = sequential_->isChecked();
    inputs.recipeJson = cwb::recipeToJson(view_->planModel()->recipe());
    const cwb::CompressParams params = cwb::compressParams(inputs);
    relErrors_.clear();
    outErrors_.clear();
    view_->planModel()->clearTensorErrors();
    const QString title = archivePath.isEmpty()
        ? tr("Compress %1").arg(QFileInfo(QString::fromStdString(model->path)).fileName())
        : tr("Compress to %1").arg(QFileInfo(archivePath).fileName());
    const quint64 generation = ++generation_;
    // The compression, and the model its tensors belong to (the open model, or the smaller
    // model its structure step left: built here, off the GUI thread).
    struct Result {
        std::shared_ptr<const cwb::CompressedModel> compressed;
        std::shared_ptr<const cwb::Model> source;
    };
    // The job holds the model and a copy of the plan. Each finished tensor is posted to this
    // panel, which waits for the job in its destructor.
    job_ = document_->jobs()->run(
        {title}, this,
        [this, generation, model, plan, params, archivePath](const cwb::JobContext &ctx) -> Result {
            const double writeShare = archivePath.isEmpty() ? 0.0 : 0.05;
            cwb::JobContext compressCtx = ctx;
            compressCtx.progress = [&ctx, writeShare](double f, const std::string &what) {
                ctx.report(f * (1.0 - writeShare), what);
            };
            const auto onTensor = [this, generation](const cwb::CompressedTensor &t, size_t,
                                                     size_t) {
                TensorResult r;
                r.canonical = QString::fromStdString(t.canonical);
                r.relativeError = t.report.relativeError;
                r.outputError = t.report.outputError;
                r.bitsPerWeight = t.report.bitsPerWeight;
                r.format = QString::fromStdString(t.report.format);
                r.matrix = t.shape.size() >= 2;
                QMetaObject::invokeMethod(
                    this, [this, generation, r] { onTensorFinished(generation, r); },
                    Qt::QueuedConnection);
            };
            auto result = std::make_shared<const cwb::CompressedModel>(
                cwb::compressModel(*model, plan, params, compressCtx, onTensor));
            if (!archivePath.isEmpty()) {
                cwb::JobContext writeCtx = ctx;
                writeCtx.progress = [&ctx, writeShare](double f, const std::string &what) {
                    ctx.report(1.0 - writeShare + writeShare * f, what);
                };
                cwb::writeArchive(archivePath.toStdString(), *result, writeCtx);
            }
            std::shared_ptr<const cwb::Model> source =
                result->structure.any()
                    ? std::make_shared<const cwb::Model>(cwb::structuredSource(*model, *result))
                    : model;
            return Result{std::move(result), std::move(source)};
        },
        [this](JobOutcome<Result> &o) {
            job_ = 0;
            updateControls();
            if (o.cancelled()) {
                o.message = tr("Cancelled; nothing was written.");
                showMessage(o.message, false);
            } else if (!o.ok()) {
                showMessage(o.error, true);
                Q_EMIT compressionFailed(o.error);
            } else {
                const auto &t = o.result->compressed->totals;
                o.message =
                    tr("%1 tensors compressed: %2 MiB -> %3 MiB (%4x, %5 bits/weight) in %6 s")
                        .arg(t.tensors)
                        .arg(double(t.originalBytes) / 1048576.0, 0, 'f', 2)
                        .arg(double(t.compressedBytes) / 1048576.0, 0, 'f', 2)
                        .arg(t.compressionRatio, 0, 'f', 2)
                        .arg(t.bitsPerWeight, 0, 'f', 3)
                        .arg(t.seconds, 0, 'f', 1);
                showMessage(o.message, false);
                document_->setCompression(o.result->compressed, o.result->source);
                Q_EMIT resultReady(o.result->compressed);
            }
        },
        [this](double, const QString &what) { showMessage(what, false); });
    lastJob_ = job_;
    showMessage(tr("Compressing\u2026"), false);
    updateControls();
    return true;
}

void CompressionPanel::cancel()
{
    if (job_)
        document_->jobs()->cancel(job_);
    updateControls();
}

void CompressionPanel::onTensorFinished(quint64 generation, const TensorResult &r)
{
    if (generation != generation_ || !r.matrix)
        return; // an older run's; or a norm or bias (e.g. folded AWQ scales): no bar to show
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
