// SPDX-License-Identifier: MIT
#include "evaluate_panel.h"

#include "remembered_dir.h"

#include "document.h"
#include "job_service.h"

#include "compress/compressed_model.h"
#include "model/model.h"
#include "pipeline/run_inputs.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QThread>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace cwb::gui {
namespace {

const QString kTextDirKey = QStringLiteral("evaluate/textDirectory");
const QString kBaseDirKey = QStringLiteral("evaluate/baseDirectory");

// A model that does not declare its context: core checks n_ctx against the engine's limit.
constexpr int kUnknownContextMax = 1 << 20;

// Core's per-window progress label, documented in core/eval/evaluation.h.
const QRegularExpression &windowPattern()
{
    static const QRegularExpression re(QStringLiteral("^window (\\d+)/(\\d+): ppl (\\S+)"));
    return re;
}

QString durationText(double seconds)
{
    const auto s = static_cast<qint64>(std::ceil(std::max(seconds, 0.0)));
    if (s < 60)
        return EvaluatePanel::tr("%1\u00a0s").arg(s);
    if (s < 3600)
        return EvaluatePanel::tr("%1\u00a0min %2\u00a0s").arg(s / 60).arg(s % 60);
    return EvaluatePanel::tr("%1\u00a0h %2\u00a0min").arg(s / 3600).arg((s % 3600) / 60);
}

std::string localPath(const QString &path) { return QFile::encodeName(path).toStdString(); }

} // namespace

EvaluatePanel::EvaluatePanel(Document *document, QWidget *parent)
    : QWidget(parent), document_(document)
{
    runButton_ = new QPushButton(tr("&Run"), this);
    runButton_->setObjectName(QStringLiteral("evaluateRun"));
    runButton_->setToolTip(tr("Evaluate the open model on the text with these settings"));
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    cancelButton_->setObjectName(QStringLiteral("evaluateCancel"));
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(runButton_);
    buttons->addWidget(cancelButton_);

    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_ = new QLabel(this);
    error_->setObjectName(QStringLiteral("evaluationError"));
    error_->setWordWrap(true);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette errorPalette = error_->palette();
    errorPalette.setColor(QPalette::WindowText, QColor(0xb0, 0x00, 0x20));
    error_->setPalette(errorPalette);
    error_->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createTextGroup());
    layout->addWidget(createSettingsGroup());
    layout->addWidget(createBaseGroup());
    layout->addLayout(buttons);
    layout->addWidget(progress_);
    layout->addWidget(status_);
    layout->addWidget(error_);
    layout->addStretch(1);

    connect(runButton_, &QPushButton::clicked, this, [this] { run(); });
    connect(cancelButton_, &QPushButton::clicked, this, &EvaluatePanel::cancel);
    connect(textPath_, &QLineEdit::textChanged, this, [this](const QString &path) {
        textPath_->setToolTip(path); // the field shows only part of a long path
        updateControls();
    });
    connect(saveBase_, &QLineEdit::textChanged, this, &EvaluatePanel::updateControls);
    connect(compareBase_, &QLineEdit::textChanged, this, &EvaluatePanel::updateControls);
    connect(document_, &Document::modelChanged, this, &EvaluatePanel::onModelChanged);
    connect(document_, &Document::compressionChanged, this, &EvaluatePanel::onCompressionChanged);
    setStatus(tr("Open a model to evaluate it."));
    onModelChanged();
    onCompressionChanged();
}

// The job reads only what it holds; its outcome is dropped once this panel is gone.
EvaluatePanel::~EvaluatePanel()
{
    if (job_)
        document_->jobs()->cancel(job_);
}

QWidget *EvaluatePanel::fileRow(QLineEdit *edit, const QString &browseTip,
                                void (EvaluatePanel::*browse)())
{
    auto *row = new QWidget(this);
    auto *button = new QToolButton(row);
    button->setText(tr("Browse\u2026"));
    button->setToolTip(browseTip);
    edit->setParent(row);
    edit->setClearButtonEnabled(true);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    layout->addWidget(button);
    connect(button, &QToolButton::clicked, this, browse);
    return row;
}

QWidget *EvaluatePanel::createTextGroup()
{
    auto *group = new QGroupBox(tr("Text"), this);
    textPath_ = new QLineEdit;
    textPath_->setObjectName(QStringLiteral("evaluateText"));
    textPath_->setPlaceholderText(tr("UTF-8 text file to score"));
    auto *layout = new QVBoxLayout(group);
    layout->addWidget(
        fileRow(textPath_, tr("Choose the text file"), &EvaluatePanel::chooseTextFile));
    return group;
}

QWidget *EvaluatePanel::createSettingsGroup()
{
    auto *group = new QGroupBox(tr("Settings"), this);
    context_ = new QSpinBox(group);
    context_->setRange(2, kUnknownContextMax);
    context_->setValue(kDefaultContext);
    context_->setSingleStep(64);
    context_->setToolTip(tr("Window length in tokens (n_ctx); at most the model's context"));
    chunks_ = new QSpinBox(group);
    chunks_->setRange(0, std::numeric_limits<int>::max());
    chunks_->setSpecialValueText(tr("All"));
    chunks_->setToolTip(tr("Windows to score (llama.cpp's --chunks); All: as many as the text "
                           "holds"));
    threads_ = new QSpinBox(group);
    threads_->setRange(0, std::max(1, QThread::idealThreadCount()));
    threads_->setSpecialValueText(tr("All cores"));
    threads_->setToolTip(tr("Worker threads for the engine"));
    protocol_ = new QComboBox(group);
    protocol_->addItem(tr("llama.cpp (half window)"),
                       static_cast<int>(cwb::PplProtocol::LlamaCppHalfWindow));
    protocol_->addItem(tr("Full window"), static_cast<int>(cwb::PplProtocol::FullWindow));
    protocol_->setToolTip(
        tr("llama.cpp: each window starts with BOS and only its second half is scored, so the "
           "numbers match llama-perplexity. Full window: every position is scored."));
    q8_ = new QCheckBox(tr("Integer activations (llama.cpp's Q8 arithmetic)"), group);
    q8_->setToolTip(tr("Quantize matmul inputs to Q8 blocks and multiply them with the weight "
                       "blocks in integers, as llama.cpp's CPU path does: perplexities of "
                       "quantized models match llama.cpp's, and quantized models run faster"));
    latency_ = new QCheckBox(tr("Measure latency"), group);
    latency_->setToolTip(tr("Also measure prefill and decode speed (tokens per second)"));

    weights_ = new QComboBox(group);
    weights_->setObjectName(QStringLiteral("evaluateWeights"));
    weights_->addItem(tr("Original"));
    weights_->setToolTip(tr("Evaluate the model as stored, or with the tensors of the last "
                            "compression run in place"));

    auto *form = new QFormLayout(group);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Weights:"), weights_);
    form->addRow(tr("Context (n_ctx):"), context_);
    form->addRow(tr("Chunks:"), chunks_);
    form->addRow(tr("Threads:"), threads_);
    form->addRow(tr("Protocol:"), protocol_);
    form->addRow(q8_);
    form->addRow(latency_);
    return group;
}

QWidget *EvaluatePanel::createBaseGroup()
{
    auto *group = new QGroupBox(tr("KL divergence"), this);
    saveBase_ = new QLineEdit;
    saveBase_->setObjectName(QStringLiteral("evaluateSaveBase"));
    saveBase_->setPlaceholderText(tr("File to write (optional)"));
    saveBase_->setToolTip(tr("Write this run's log-probabilities to a file, so later runs of a "
                             "compressed model can be compared with it"));
    compareBase_ = new QLineEdit;
    compareBase_->setObjectName(QStringLiteral("evaluateCompareBase"));
    compareBase_->setPlaceholderText(tr("Recorded base (optional)"));
    compareBase_->setToolTip(tr("KL divergence, top-1 agreement and perplexity ratio against a "
                                "base recorded from the same text and settings"));
    saveBaseRow_ = fileRow(saveBase_, tr("Choose where to save the base"),
                           &EvaluatePanel::chooseSaveBase);
    compareBaseRow_ = fileRow(compareBase_, tr("Choose a recorded base"),
                              &EvaluatePanel::chooseCompareBase);
    auto *form = new QFormLayout(group);
    form->setRowWrapPolicy(QFormLayout::WrapAllRows); // paths need the panel's full width
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Save as base:"), saveBaseRow_);
    form->addRow(tr("Compare with base:"), compareBaseRow_);
    return group;
}

void EvaluatePanel::chooseTextFile()
{
    const QString path =
        openFileRemembering(this, tr("Choose a Text File"), kTextDirKey,
                            tr("Text files (*.txt *.raw);;All files (*)"), textPath_->text());
    if (!path.isEmpty())
        setTextPath(path);
}

void EvaluatePanel::chooseSaveBase()
{
    const QString path = saveFileRemembering(this, tr("Save Base Run As"), kBaseDirKey,
                                             tr("Base runs (*.logits);;All files (*)"));
    if (!path.isEmpty())
        saveBase_->setText(QDir::toNativeSeparators(path));
}

void EvaluatePanel::chooseCompareBase()
{
    const QString path = openFileRemembering(this, tr("Compare with Base Run"), kBaseDirKey,
                                             tr("Base runs (*.logits);;All files (*)"));
    if (!path.isEmpty())
        compareBase_->setText(QDir::toNativeSeparators(path));
}

void EvaluatePanel::onModelChanged()
{
    if (const auto &model = document_->model()) {
        const int64_t declared = model->hparams.contextLength;
        const int max = declared > 1
            ? static_cast<int>(std::min<int64_t>(declared, kUnknownContextMax))
            : kUnknownContextMax;
        const bool wasDefault = context_->value() == kDefaultContext;
        context_->setMaximum(max);
        if (wasDefault)
            context_->setValue(std::min(kDefaultContext, max));
        if (!isRunning())
            setStatus(tr("Ready. Choose a text file and press Run."));
    } else if (!isRunning()) {
        setStatus(tr("Open a model to evaluate it."));
    }
    updateControls();
}

void EvaluatePanel::setTextPath(const QString &path)
{
    textPath_->setText(QDir::toNativeSeparators(path));
}

cwb::EvalParams EvaluatePanel::params() const
{
    cwb::EvalParams p;
    p.textPath = localPath(QDir::fromNativeSeparators(textPath_->text().trimmed()));
    p.nCtx = context_->value();
    p.chunks = chunks_->value();
    p.threads = threads_->value();
    p.protocol = static_cast<cwb::PplProtocol>(protocol_->currentData().toInt());
    p.emulateQ8 = q8_->isChecked();
    p.measureLatency = latency_->isChecked();
    if (saveBase_->isEnabled())
        p.saveLogitsPath = localPath(QDir::fromNativeSeparators(saveBase_->text().trimmed()));
    if (compareBase_->isEnabled())
        p.kldBasePath = localPath(QDir::fromNativeSeparators(compareBase_->text().trimmed()));
    const auto &compressed = document_->compressedWeights();
    if (compressed && weights_->currentIndex() == 1) {
        const auto &model = document_->model();
        const QString file = model ? QFileInfo(QString::fromStdString(model->path)).fileName()
                                   : QString();
        cwb::useCompressedWeights(
            p, *compressed,
            tr("%1 (compressed, %2)").arg(file, document_->compressionLabel()).toStdString());
    }
    return p;
}

void EvaluatePanel::onCompressionChanged()
{
    while (weights_->count() > 1)
        weights_->removeItem(1);
    if (document_->compressedWeights()) {
        weights_->addItem(tr("Compressed (%1)").arg(document_->compressionLabel()));
        weights_->setCurrentIndex(1);
    }
}

QString EvaluatePanel::statusText() const { return status_->text(); }

QString EvaluatePanel::errorText() const { return error_->isHidden() ? QString() : error_->text(); }

void EvaluatePanel::updateControls()
{
    const bool running = isRunning();
    // A run either records a base or compares with one; the other field steps aside.
    saveBaseRow_->setEnabled(compareBase_->text().trimmed().isEmpty());
    compareBaseRow_->setEnabled(saveBase_->text().trimmed().isEmpty());
    runButton_->setEnabled(!running && document_->model()
                           && !textPath_->text().trimmed().isEmpty());
    cancelButton_->setEnabled(running && !document_->jobs()->isCancelRequested(job_));
}

bool EvaluatePanel::run()
{
    const auto &model = document_->model();
    if (isRunning() || !model || textPath_->text().trimmed().isEmpty())
        return false;
    error_->hide();
    error_->clear();
    running_ = params();
    const auto &compression = document_->compression();
    // The compressed weights replace those of the model they belong to (a structure step's
    // smaller model, or the open one); the job holds it.
    const bool compressedWeights =
        compression && document_->compressedWeights() && weights_->currentIndex() == 1;
    const std::shared_ptr<const cwb::Model> evaluated =
        compressedWeights && document_->compressedSource() ? document_->compressedSource() : model;
    running_.model = evaluated.get();
    runningModelPath_ = document_->path();
    runningRecipe_ = compression && document_->compressedWeights() && weights_->currentIndex() == 1
                         ? QString::fromStdString(compression->recipeJson)
                         : QString();
    // The job holds `model`, so a model switch in the GUI cannot pull the weights from under it.
    job_ = document_->jobs()->run(
        {tr("Evaluate %1").arg(QFileInfo(QString::fromStdString(model->path)).fileName())},
        this,
        [model, evaluated, params = running_](const cwb::JobContext &ctx) {
            return cwb::runEvaluation(params, ctx);
        },
        [this](JobOutcome<cwb::EvalResult> &o) {
            job_ = 0;
            if (o.ok()) {
                o.message = tr("ppl %1").arg(QLocale().toString(o.result->ppl, 'f', 4));
                onSucceeded(*o.result);
            } else if (o.cancelled()) {
                onCancelled();
            } else {
                onFailed(o.error);
            }
        },
        [this](double fraction, const QString &what) { onProgress(fraction, what); });
    progress_->setRange(0, 0); // busy until the first window is done
    progress_->setTextVisible(false);
    setStatus(tr("Tokenizing the text and preparing the engine\u2026"));
    elapsed_.start();
    updateControls();
    return true;
}

void EvaluatePanel::cancel()
{
    if (!isRunning())
        return;
    document_->jobs()->cancel(job_);
    setStatus(tr("Cancelling\u2026"));
    updateControls();
}

void EvaluatePanel::onProgress(double fraction, const QString &what)
{
    if (job_ && document_->jobs()->isCancelRequested(job_))
        return;
    const auto m = windowPattern().match(what);
    if (!m.hasMatch()) {
        // After the last window: the optional latency measurement.
        progress_->setRange(0, 0);
        progress_->setTextVisible(false);
        setStatus(running_.measureLatency ? tr("Measuring latency\u2026")
                                          : tr("Finishing\u2026"));
        return;
    }
    const int done = m.captured(1).toInt();
    const int total = m.captured(2).toInt();
    progress_->setRange(0, std::max(total, 1));
    progress_->setValue(std::min(done, total));
    progress_->setFormat(tr("%v of %m windows"));
    progress_->setTextVisible(true);
    const double seconds = elapsed_.elapsed() / 1000.0;
    const double left = fraction > 0 ? seconds * (1.0 - fraction) / fraction : 0.0;
    setStatus(tr("Window %1 of %2 \u00b7 ppl %3 \u00b7 about %4 left")
                  .arg(QLocale().toString(done), QLocale().toString(total),
                       QLocale().toString(m.captured(3).toDouble(), 'f', 4), durationText(left)));
}

void EvaluatePanel::onSucceeded(const cwb::EvalResult &result)
{
    EvaluationRun run;
    run.result = result;
    run.textPath = QFile::decodeName(QByteArray::fromStdString(running_.textPath));
    run.emulateQ8 = running_.emulateQ8;
    run.modelPath = runningModelPath_;
    run.recipeJson = runningRecipe_;
    run.finishedAt = QDateTime::currentDateTime();
    updateControls();
    progress_->setRange(0, std::max<int>(static_cast<int>(result.windows), 1));
    progress_->setValue(progress_->maximum());
    progress_->setFormat(tr("%v of %m windows"));
    progress_->setTextVisible(true);
    setStatus(tr("Perplexity %1 \u00b1 %2 over %3 tokens in %4")
                  .arg(QLocale().toString(result.ppl, 'f', 4),
                       QLocale().toString(result.pplStderr, 'f', 4),
                       QLocale().toString(static_cast<qlonglong>(result.tokensScored)),
                       durationText(result.seconds)));
    document_->addRun(run);
    Q_EMIT evaluationFinished(run);
}

void EvaluatePanel::onFailed(const QString &message)
{
    updateControls();
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    setStatus(tr("The evaluation failed."));
    showError(message);
    Q_EMIT evaluationFailed(message);
}

void EvaluatePanel::onCancelled()
{
    updateControls();
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    setStatus(tr("Cancelled after %1.").arg(durationText(elapsed_.elapsed() / 1000.0)));
    Q_EMIT evaluationCancelled();
}

void EvaluatePanel::showError(const QString &message)
{
    error_->setText(message);
    error_->show();
    // Window-modal and opened with open(): nothing waits in a nested event loop.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Evaluation Failed"),
                                tr("The evaluation could not be completed."), QMessageBox::Ok,
                                this);
    box->setObjectName(QStringLiteral("evaluationErrorBox"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void EvaluatePanel::setStatus(const QString &text) { status_->setText(text); }

} // namespace cwb::gui
