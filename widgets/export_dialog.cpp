// SPDX-License-Identifier: MIT
#include "export_dialog.h"

#include "document.h"
#include "export_table_model.h"
#include "job_service.h"
#include "layer_plan_model.h"

#include "analysis/activation_stats.h"
#include "pipeline/pipeline.h"
#include "recipe/plan.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <optional>

namespace cwb::gui {
namespace {

// Quiet enough that typing a path does not start a preview per key.
constexpr int kPreviewDelayMs = 200;
// Widest a column other than the note gets (pixels); longer texts elide, the tooltip has them.
constexpr int kMaxColumnWidth = 280;

QString targetLabel(cwb::ExportTarget t)
{
    switch (t) {
    case cwb::ExportTarget::Gguf: return ExportDialog::tr("GGUF for llama.cpp (.gguf)");
    case cwb::ExportTarget::Safetensors:
        return ExportDialog::tr("Hugging Face safetensors, dense (directory)");
    case cwb::ExportTarget::CompressedTensors:
        return ExportDialog::tr("compressed-tensors for vLLM (directory)");
    case cwb::ExportTarget::LlmCompressor:
        return ExportDialog::tr("llm-compressor recipe (.yaml)");
    case cwb::ExportTarget::LlamaCpp:
        return ExportDialog::tr("llama.cpp tensor types + imatrix (directory)");
    case cwb::ExportTarget::GptqModel:
        return ExportDialog::tr("GPTQModel quantize_config.json");
    }
    return {};
}

bool writesDirectory(cwb::ExportTarget t)
{
    return t == cwb::ExportTarget::Safetensors || t == cwb::ExportTarget::CompressedTensors
        || t == cwb::ExportTarget::LlamaCpp;
}

QString suggestedName(cwb::ExportTarget t, const QString &stem)
{
    switch (t) {
    case cwb::ExportTarget::Gguf: return stem + QStringLiteral(".gguf");
    case cwb::ExportTarget::Safetensors: return stem + QStringLiteral("-hf");
    case cwb::ExportTarget::CompressedTensors: return stem + QStringLiteral("-compressed-tensors");
    case cwb::ExportTarget::LlmCompressor: return stem + QStringLiteral("-recipe.yaml");
    case cwb::ExportTarget::LlamaCpp: return stem + QStringLiteral("-llama.cpp");
    case cwb::ExportTarget::GptqModel: return stem + QStringLiteral("-quantize_config.json");
    }
    return stem;
}

} // namespace

ExportDialog::ExportDialog(Document *document, QWidget *parent)
    : QDialog(parent), document_(document)
{
    setWindowTitle(tr("Export"));
    model_ = new ExportTableModel(this);

    source_ = new QComboBox(this);
    source_->addItem(tr("Last compression of the open model"));
    source_->addItem(tr("Open model as it is"));
    target_ = new QComboBox(this);
    for (const cwb::ExportTarget t : cwb::allExportTargets())
        target_->addItem(targetLabel(t), static_cast<int>(t));
    output_ = new QLineEdit(this);
    output_->setPlaceholderText(tr("file or directory to write"));
    auto *browse = new QPushButton(tr("Browse\u2026"), this);
    auto *outputRow = new QHBoxLayout;
    outputRow->addWidget(output_, 1);
    outputRow->addWidget(browse);
    floatType_ = new QComboBox(this);
    floatType_->addItem(QStringLiteral("F32"), static_cast<int>(cwb::DType::F32));
    floatType_->addItem(QStringLiteral("F16"), static_cast<int>(cwb::DType::F16));
    floatType_->addItem(QStringLiteral("BF16"), static_cast<int>(cwb::DType::BF16));
    requantize_ = new QComboBox(this);
    requantize_->addItem(tr("none: dequantize to the float type"), -1);
    for (const cwb::DType t : {cwb::DType::Q4_0, cwb::DType::Q4_1, cwb::DType::Q5_0,
                               cwb::DType::Q5_1, cwb::DType::Q8_0, cwb::DType::Q2_K,
                               cwb::DType::Q3_K, cwb::DType::Q4_K, cwb::DType::Q5_K,
                               cwb::DType::Q6_K})
        requantize_->addItem(QString::fromUtf8(cwb::dtypeName(t)), static_cast<int>(t));
    requantize_->setToolTip(tr("GGUF: the ggml type for compressed tensors that no GGUF type "
                               "holds exactly (their error is measured and shown)"));
    calibration_ = new QLineEdit(this);
    calibration_->setPlaceholderText(tr("optional: text for the importance matrix"));
    calibrationBrowse_ = new QPushButton(tr("Browse\u2026"), this);
    auto *calibrationRow = new QHBoxLayout;
    calibrationRow->addWidget(calibration_, 1);
    calibrationRow->addWidget(calibrationBrowse_);

    auto *form = new QFormLayout;
    form->addRow(tr("Source:"), source_);
    form->addRow(tr("Target:"), target_);
    form->addRow(tr("Output:"), outputRow);
    form->addRow(tr("Float type:"), floatType_);
    form->addRow(tr("Re-quantize:"), requantize_);
    form->addRow(tr("Calibration:"), calibrationRow);

    status_ = new QLabel(this);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    view_ = new QTableView(this);
    // Sorted so that what needs a look (not expressible, converted, dense) comes first; the
    // sort is stable, so rows keep the target's order within each outcome.
    auto *sorted = new QSortFilterProxyModel(this);
    sorted->setSourceModel(model_);
    sorted->setSortRole(ExportTableModel::SortValueRole);
    view_->setModel(sorted);
    view_->setSortingEnabled(true);
    view_->sortByColumn(ExportTableModel::OutcomeColumn, Qt::DescendingOrder);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setAlternatingRowColors(true);
    view_->verticalHeader()->hide();
    view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->setWordWrap(false);
    notes_ = new QPlainTextEdit(this);
    notes_->setReadOnly(true);
    notes_->setPlaceholderText(tr("Notes about the whole export appear here."));
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(view_);
    split->addWidget(notes_);
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    export_ = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(export_, &QPushButton::clicked, this, [this] { startExport(); });

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(status_);
    layout->addWidget(split, 1);
    layout->addWidget(buttons);
    resize(1100, 640);

    previewTimer_ = new QTimer(this);
    previewTimer_->setSingleShot(true);
    previewTimer_->setInterval(kPreviewDelayMs);
    connect(previewTimer_, &QTimer::timeout, this, &ExportDialog::refreshPreview);
    connect(browse, &QPushButton::clicked, this, &ExportDialog::chooseOutput);
    connect(calibrationBrowse_, &QPushButton::clicked, this, &ExportDialog::chooseCalibration);
    for (QComboBox *box : {source_, target_, floatType_, requantize_})
        connect(box, &QComboBox::currentIndexChanged, this, [this] {
            updateControls();
            schedulePreview();
        });
    connect(target_, &QComboBox::currentIndexChanged, this, [this] {
        // Keep the chosen folder; name the output after the model, as the target writes it.
        if (output_->text().isEmpty() || document_->path().isEmpty())
            return;
        const QString stem = QFileInfo(document_->path()).completeBaseName();
        setOutputPath(QFileInfo(QDir::fromNativeSeparators(output_->text()))
                          .dir()
                          .filePath(suggestedName(target(), stem)));
    });
    connect(output_, &QLineEdit::textEdited, this, &ExportDialog::schedulePreview);
    connect(document_, &Document::modelChanged, this, [this] {
        updateControls();
        schedulePreview();
    });
    connect(document_, &Document::compressionChanged, this, [this] {
        source_->setCurrentIndex(document_->compression() ? 0 : 1);
        updateControls();
        schedulePreview();
    });
    source_->setCurrentIndex(document_->compression() ? 0 : 1);
    if (document_->model() && !document_->path().isEmpty()) {
        const QFileInfo fi(document_->path());
        setOutputPath(fi.dir().filePath(suggestedName(target(), fi.completeBaseName())));
    }
    updateControls();
    schedulePreview();
}

ExportDialog::~ExportDialog()
{
    JobService *jobs = document_->jobs();
    for (int id : {previewJob_, exportJob_})
        if (id > 0 && jobs->isRunning(id))
            jobs->cancelAndWait(id);
}

void ExportDialog::setTarget(cwb::ExportTarget target)
{
    target_->setCurrentIndex(target_->findData(static_cast<int>(target)));
}

cwb::ExportTarget ExportDialog::target() const
{
    return static_cast<cwb::ExportTarget>(target_->currentData().toInt());
}

void ExportDialog::setOutputPath(const QString &path)
{
    output_->setText(QDir::toNativeSeparators(path));
    schedulePreview();
}

void ExportDialog::setCalibrationPath(const QString &path)
{
    calibration_->setText(QDir::toNativeSeparators(path));
}

QString ExportDialog::statusText() const
{
    return status_->text();
}

void ExportDialog::showStatus(const QString &text, bool error)
{
    status_->setText(text);
    status_->setStyleSheet(error ? QStringLiteral("color: #c01c28;") : QString());
}

void ExportDialog::updateControls()
{
    const cwb::ExportTarget t = target();
    const bool recipe = cwb::isRecipeTarget(t);
    const bool hasCompression = document_->compression() != nullptr;
    source_->setEnabled(!recipe && hasCompression);
    if (!hasCompression)
        source_->setCurrentIndex(1);
    floatType_->setEnabled(t == cwb::ExportTarget::Gguf || t == cwb::ExportTarget::Safetensors
                           || t == cwb::ExportTarget::CompressedTensors);
    if (t == cwb::ExportTarget::Gguf && floatType_->currentData().toInt()
                                            == static_cast<int>(cwb::DType::BF16))
        floatType_->setCurrentIndex(0); // GGUF export writes F32 or F16
    requantize_->setEnabled(t == cwb::ExportTarget::Gguf && source_->currentIndex() == 0
                            && hasCompression);
    calibration_->setEnabled(t == cwb::ExportTarget::LlamaCpp);
    calibrationBrowse_->setEnabled(t == cwb::ExportTarget::LlamaCpp);
    export_->setEnabled(document_->model() && exportJob_ == 0);
}

void ExportDialog::chooseOutput()
{
    const QString start = output_->text().isEmpty() ? QDir::homePath() : output_->text();
    // A directory target names a folder to create: a save dialog lets the user type a new name.
    const QString path = QFileDialog::getSaveFileName(
        this, writesDirectory(target()) ? tr("Export to Directory") : tr("Export to File"),
        start, QString(), nullptr,
        writesDirectory(target()) ? QFileDialog::ShowDirsOnly : QFileDialog::Options());
    if (!path.isEmpty())
        setOutputPath(path);
}

void ExportDialog::chooseCalibration()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Calibration Text"),
                                                      calibration_->text(),
                                                      tr("Text files (*.txt);;All files (*)"));
    if (!path.isEmpty())
        setCalibrationPath(path);
}

void ExportDialog::fitColumns()
{
    // Each column as wide as its text, but none so wide that the note has no room left.
    view_->resizeColumnsToContents();
    for (int c = 0; c < ExportTableModel::NoteColumn; ++c)
        view_->setColumnWidth(c, std::min(view_->columnWidth(c), kMaxColumnWidth));
}

cwb::ExportRequest ExportDialog::Inputs::bound() const
{
    cwb::ExportRequest r = request;
    r.model = model.get();
    r.compressed = compressed.get();
    r.plan = plan.get();
    return r;
}

ExportDialog::Inputs ExportDialog::collect(bool preview) const
{
    Inputs in;
    in.model = document_->model();
    in.request.target = target();
    in.request.outPath = QDir::fromNativeSeparators(output_->text().trimmed()).toStdString();
    in.request.floatType = static_cast<cwb::DType>(floatType_->currentData().toInt());
    if (const int q = requantize_->currentData().toInt(); q >= 0 && requantize_->isEnabled())
        in.request.requantize = static_cast<cwb::DType>(q);
    in.request.preview = preview;
    if (cwb::isRecipeTarget(in.request.target))
        in.plan = std::make_shared<const cwb::Plan>(document_->plan()->plan());
    else if (source_->currentIndex() == 0 && document_->compression()) {
        in.compressed = document_->compression();
        in.model = document_->compressedSource(); // a structure step's smaller model
    }
    if (in.request.target == cwb::ExportTarget::LlamaCpp)
        in.calibrationPath = QDir::fromNativeSeparators(calibration_->text().trimmed());
    return in;
}

void ExportDialog::schedulePreview()
{
    previewTimer_->start();
}

void ExportDialog::refreshPreview()
{
    previewTimer_->stop();
    if (exportJob_ != 0 || !document_->model())
        return;
    JobService *jobs = document_->jobs();
    if (previewJob_ > 0)
        jobs->cancel(previewJob_);
    Inputs in = collect(true);
    if (in.request.outPath.empty()) {
        model_->clear();
        notes_->clear();
        showStatus(tr("Choose where to write the export."), false);
        return;
    }
    JobOptions options;
    options.title = tr("Preview export");
    options.transient = true;
    options.reveal = false;
    previewJob_ = jobs->run(
        options, this,
        [in](const cwb::JobContext &ctx) {
            return cwb::runExport(in.bound(), ctx);
        },
        [this](JobOutcome<cwb::ExportResult> &o) {
            if (o.id != previewJob_)
                return;
            previewJob_ = 0;
            if (o.cancelled())
                return;
            if (!o.ok()) {
                model_->clear();
                notes_->clear();
                showStatus(tr("This export cannot be made: %1").arg(o.error), true);
                return;
            }
            model_->setResult(std::move(*o.result));
            notes_->setPlainText(QString::fromStdString([&] {
                std::string text;
                for (const auto &n : model_->result().notes)
                    text += n + "\n";
                return text;
            }()));
            fitColumns();
            showStatus(tr("Preview, nothing written yet: %1.").arg(model_->summary()), false);
            Q_EMIT previewShown();
        });
}

bool ExportDialog::startExport()
{
    if (!document_->model()) {
        showStatus(tr("Open a model first."), true);
        return false;
    }
    if (exportJob_ != 0) {
        showStatus(tr("An export is running."), true);
        return false;
    }
    Inputs in = collect(false);
    if (in.request.outPath.empty()) {
        showStatus(tr("Choose where to write the export."), true);
        return false;
    }
    JobService *jobs = document_->jobs();
    if (previewJob_ > 0)
        jobs->cancel(previewJob_);
    previewJob_ = 0;
    previewTimer_->stop();
    const QString name = QFileInfo(QString::fromStdString(in.request.outPath)).fileName();
    JobOptions options;
    options.title = tr("Export %1").arg(name);
    exportJob_ = jobs->run(
        options, this,
        [in](const cwb::JobContext &ctx) {
            cwb::ExportRequest r = in.bound();
            std::optional<cwb::ActivationStats> stats;
            if (!in.calibrationPath.isEmpty()) {
                stats = cwb::collectActivationStats(
                    *in.model, in.calibrationPath.toStdString(),
                    cwb::CompressParams::defaultCalibration(),
                    ctx.stage(0.0, 0.5, "calibration"));
                r.calibration = &*stats;
            }
            return cwb::runExport(r, in.calibrationPath.isEmpty() ? ctx : ctx.stage(0.5, 1.0));
        },
        [this](JobOutcome<cwb::ExportResult> &o) {
            exportJob_ = 0;
            updateControls();
            if (o.cancelled()) {
                showStatus(tr("Export cancelled: nothing was written, an earlier file is "
                              "untouched."),
                           false);
                Q_EMIT exportFinished(false);
                return;
            }
            if (!o.ok()) {
                showStatus(tr("Export failed: %1").arg(o.error), true);
                Q_EMIT exportFinished(false);
                return;
            }
            model_->setResult(std::move(*o.result));
            const cwb::ExportResult &r = model_->result();
            std::string text;
            for (const auto &f : r.files)
                text += "wrote " + f + "\n";
            for (const auto &n : r.notes)
                text += n + "\n";
            notes_->setPlainText(QString::fromStdString(text));
            fitColumns();
            showStatus(tr("Wrote %1 (%2), read it back and compared every tensor: %3.")
                           .arg(QString::fromStdString(r.path),
                                QLocale().formattedDataSize(qint64(r.fileBytes)),
                                model_->summary()),
                       false);
            o.message = model_->summary();
            Q_EMIT exportFinished(true);
        });
    updateControls();
    showStatus(tr("Exporting\u2026 (progress and Cancel in the Jobs dock)"), false);
    return true;
}

} // namespace cwb::gui
