// SPDX-License-Identifier: MIT
#include "compare_panel.h"

#include "remembered_dir.h"

#include "compare_error_chart.h"
#include "compare_series.h"
#include "compare_slices_model.h"
#include "document.h"
#include "evaluation_runs_model.h"
#include "job_service.h"

#include "compare/compare.h"
#include "compare/delta_histograms.h"
#include "model/model.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace cwb::gui {
namespace {

const QString kDirKey = QStringLiteral("compare/directory");
constexpr int kDefaultContext = 512;
constexpr int kUnknownContextMax = 1 << 20;
constexpr int kProgressSteps = 1000;
// Slice files are listed in one line, separated like a search path.
const QChar kListSeparator = QLatin1Char(';');

std::string localPath(const QString &path)
{
    return QFile::encodeName(QDir::fromNativeSeparators(path.trimmed())).toStdString();
}

// What the job needs to open one side; it holds the document's model and compression, so a
// model opened meanwhile cannot pull them away.
struct SideSpec {
    ComparePanel::SideKind kind = ComparePanel::SideKind::OpenModel;
    std::shared_ptr<const cwb::Model> model;
    std::shared_ptr<const cwb::CompressedModel> compression;
    std::shared_ptr<const cwb::CompressedReplacements> weights;
    std::string path, label;

    [[nodiscard]] cwb::CompareSide open() const
    {
        switch (kind) {
        case ComparePanel::SideKind::OpenModel: return cwb::modelCompareSide(model);
        case ComparePanel::SideKind::Compressed:
            return cwb::compressedCompareSide(model, compression, label, weights);
        case ComparePanel::SideKind::File: break;
        }
        return cwb::openCompareSide(path);
    }
};

struct CompareOutcome {
    std::shared_ptr<const cwb::CompareResult> result;
    cwb::DeltaHistograms histograms;
};

QString sideName(const cwb::CompareSideInfo &side)
{
    return QString::fromStdString(side.label);
}

} // namespace

ComparePanel::ComparePanel(Document *document, QWidget *parent)
    : QWidget(parent), document_(document)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createSetup());
    layout->addWidget(createResults(), 1);

    connect(document_, &Document::modelChanged, this, &ComparePanel::onDocumentChanged);
    connect(document_, &Document::compressionChanged, this, &ComparePanel::onDocumentChanged);
    onDocumentChanged();
    setSide(SideA, SideKind::OpenModel);
    setSide(SideB, SideKind::Compressed);
    status_->setText(tr("Choose two sides and a text, then press Compare."));
}

ComparePanel::~ComparePanel()
{
    if (job_)
        document_->jobs()->cancelAndWait(job_);
}

QWidget *ComparePanel::fileRow(QLineEdit *edit, QToolButton **button)
{
    auto *row = new QWidget(this);
    *button = new QToolButton(row);
    (*button)->setText(tr("Browse\u2026"));
    edit->setParent(row);
    edit->setClearButtonEnabled(true);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(edit, 1);
    layout->addWidget(*button);
    return row;
}

QWidget *ComparePanel::createSetup()
{
    auto *setup = new QWidget(this);
    auto *grid = new QGridLayout(setup);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(6);
    grid->setVerticalSpacing(4);
    const QString sideLabels[2] = {tr("A (before):"), tr("B (after):")};
    for (int s = 0; s < 2; ++s) {
        sideBox_[s] = new QComboBox(setup);
        sideBox_[s]->addItem(tr("Open model"));
        sideBox_[s]->addItem(tr("Compressed weights"));
        sideBox_[s]->addItem(tr("Model or archive file"));
        // The entries carry the model's name and bits/weight: long; the box shows their start.
        sideBox_[s]->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        sideBox_[s]->setMinimumContentsLength(16);
        sideBox_[s]->setToolTip(tr("The open model as loaded, its last compression (held in "
                                   "memory), or a model or .cwbarchive file"));
        sidePath_[s] = new QLineEdit;
        sidePath_[s]->setPlaceholderText(tr("Model or .cwbarchive file"));
        QWidget *row = fileRow(sidePath_[s], &sideBrowse_[s]);
        sideBrowse_[s]->setToolTip(tr("Choose a model or archive file"));
        auto *label = new QLabel(sideLabels[s], setup);
        label->setBuddy(sideBox_[s]);
        // The box, and beside it the file row only when the side is a file.
        auto *sideRow = new QHBoxLayout;
        sideRow->setSpacing(4);
        sideRow->addWidget(sideBox_[s], 1);
        sideRow->addWidget(row, 2);
        sidePathRow_[s] = row;
        grid->addWidget(label, 0, s * 3);
        grid->addLayout(sideRow, 0, s * 3 + 1, 1, 2);
        const Side side = static_cast<Side>(s);
        connect(sideBox_[s], &QComboBox::currentIndexChanged, this,
                [this, side] { onSideKindChanged(side); });
        connect(sideBrowse_[s], &QToolButton::clicked, this, [this, side] { chooseSideFile(side); });
        connect(sidePath_[s], &QLineEdit::textChanged, this, &ComparePanel::updateControls);
    }

    textPath_ = new QLineEdit;
    textPath_->setPlaceholderText(tr("Evaluation text, cut into documents at blank lines"));
    QToolButton *textBrowse = nullptr;
    QWidget *textRow = fileRow(textPath_, &textBrowse);
    textBrowse->setToolTip(tr("Choose the evaluation text"));
    slicePaths_ = new QLineEdit;
    slicePaths_->setPlaceholderText(tr("or slice files, one slice each (separated by ;)"));
    slicePaths_->setToolTip(tr("Slice files replace the text: each file is one slice"));
    QToolButton *sliceBrowse = nullptr;
    QWidget *sliceRow = fileRow(slicePaths_, &sliceBrowse);
    sliceBrowse->setToolTip(tr("Choose slice files"));
    auto *textLabel = new QLabel(tr("Text:"), setup);
    textLabel->setBuddy(textPath_);
    auto *sliceLabel = new QLabel(tr("Slices:"), setup);
    sliceLabel->setBuddy(slicePaths_);
    grid->addWidget(textLabel, 1, 0);
    grid->addWidget(textRow, 1, 1, 1, 2);
    grid->addWidget(sliceLabel, 1, 3);
    grid->addWidget(sliceRow, 1, 4, 1, 2);
    connect(textBrowse, &QToolButton::clicked, this, &ComparePanel::chooseTextFile);
    connect(sliceBrowse, &QToolButton::clicked, this, &ComparePanel::chooseSliceFiles);
    connect(textPath_, &QLineEdit::textChanged, this, &ComparePanel::updateControls);
    connect(slicePaths_, &QLineEdit::textChanged, this, &ComparePanel::updateControls);

    context_ = new QSpinBox(setup);
    context_->setRange(2, kUnknownContextMax);
    context_->setValue(kDefaultContext);
    context_->setToolTip(tr("Window length in tokens; each slice holds at least one window"));
    chunks_ = new QSpinBox(setup);
    chunks_->setRange(0, 1'000'000);
    chunks_->setSpecialValueText(tr("all"));
    chunks_->setToolTip(tr("Windows to score in all, given to the slices in text order"));
    tokens_ = new QSpinBox(setup);
    tokens_->setRange(1, 4096);
    tokens_->setValue(32);
    tokens_->setToolTip(tr("Greedy tokens each side generates per prompt (behavioural check)"));
    agree_ = new QSpinBox(setup);
    agree_->setRange(1, 4096);
    agree_->setValue(16);
    agree_->setToolTip(tr("A prompt counts as unchanged when its first N tokens are"));
    connect(tokens_, &QSpinBox::valueChanged, agree_, [this](int n) { agree_->setMaximum(n); });
    runButton_ = new QPushButton(tr("&Compare"), setup);
    runButton_->setObjectName(QStringLiteral("compareRun"));
    runButton_->setToolTip(tr("Evaluate both sides on the slices and the prompts"));
    cancelButton_ = new QPushButton(tr("Cancel"), setup);
    cancelButton_->setObjectName(QStringLiteral("compareCancel"));
    auto *settings = new QHBoxLayout;
    const auto add = [&](const QString &text, QSpinBox *box) {
        auto *label = new QLabel(text, setup);
        label->setBuddy(box);
        settings->addWidget(label);
        settings->addWidget(box);
        settings->addSpacing(8);
    };
    add(tr("Window:"), context_);
    add(tr("Windows:"), chunks_);
    add(tr("Tokens:"), tokens_);
    add(tr("Unchanged if first:"), agree_);
    progress_ = new QProgressBar(setup);
    progress_->setRange(0, kProgressSteps);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    progress_->setMaximumWidth(160);
    settings->addWidget(progress_);
    status_ = new QLabel(setup);
    status_->setObjectName(QStringLiteral("compareStatus"));
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Core's progress labels are long ("doc 12: window 30/120, KLD …"): they must not widen
    // the dock; the label takes what is left and cuts the rest.
    status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    status_->setMinimumWidth(80);
    settings->addWidget(status_, 1);
    settings->addWidget(runButton_);
    settings->addWidget(cancelButton_);
    grid->addLayout(settings, 2, 0, 1, 6);
    error_ = new QLabel(setup);
    error_->setObjectName(QStringLiteral("compareError"));
    error_->setWordWrap(true);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_->setStyleSheet(QStringLiteral("color: #b00020"));
    error_->hide();
    grid->addWidget(error_, 3, 0, 1, 6);
    grid->setColumnStretch(2, 1);
    grid->setColumnStretch(5, 1);

    connect(runButton_, &QPushButton::clicked, this, [this] { run(); });
    connect(cancelButton_, &QPushButton::clicked, this, &ComparePanel::cancel);
    return setup;
}

QWidget *ComparePanel::createResults()
{
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setChildrenCollapsible(false);

    auto *left = new QWidget(splitter);
    summary_ = new QLabel(left);
    summary_->setObjectName(QStringLiteral("compareSummary"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    slices_ = new CompareSlicesModel(this);
    sorted_ = new QSortFilterProxyModel(this);
    sorted_->setSourceModel(slices_);
    sorted_->setSortRole(CompareSlicesModel::SortValueRole);
    slicesView_ = new QTableView(left);
    slicesView_->setModel(sorted_);
    slicesView_->setSortingEnabled(true);
    slicesView_->sortByColumn(-1, Qt::AscendingOrder); // core's order: the most degraded first
    slicesView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    slicesView_->setAlternatingRowColors(true);
    slicesView_->setWordWrap(false);
    slicesView_->verticalHeader()->hide();
    slicesView_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    slicesView_->horizontalHeader()->setStretchLastSection(true);
    slicesView_->horizontalHeader()->setSectionsMovable(true);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(summary_);
    leftLayout->addWidget(slicesView_, 1);

    tabs_ = new QTabWidget(splitter);
    errorChart_ = new CompareErrorChart;
    deltaChart_ = new CompareDeltaChart;
    auto *behaviourPage = new QWidget;
    behaviourSummary_ = new QLabel(behaviourPage);
    behaviourSummary_->setObjectName(QStringLiteral("behaviourSummary"));
    behaviourSummary_->setWordWrap(true);
    behaviour_ = new QTextBrowser(behaviourPage);
    behaviour_->setOpenLinks(false);
    auto *behaviourLayout = new QVBoxLayout(behaviourPage);
    behaviourLayout->setContentsMargins(0, 0, 0, 0);
    behaviourLayout->addWidget(behaviourSummary_);
    behaviourLayout->addWidget(behaviour_, 1);
    tabs_->addTab(errorChart_, tr("Per-Tensor Errors"));
    tabs_->addTab(deltaChart_, tr("\u0394 Histograms"));
    tabs_->addTab(behaviourPage, tr("Behaviour"));

    splitter->addWidget(left);
    splitter->addWidget(tabs_);
    // The table has ten columns, the charts read well narrower.
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({600, 400});
    return splitter;
}

void ComparePanel::setSide(Side side, SideKind kind, const QString &path)
{
    sideBox_[side]->setCurrentIndex(static_cast<int>(kind));
    if (kind == SideKind::File)
        sidePath_[side]->setText(QDir::toNativeSeparators(path));
    onSideKindChanged(side);
}

ComparePanel::SideKind ComparePanel::sideKind(Side side) const
{
    return static_cast<SideKind>(sideBox_[side]->currentIndex());
}

void ComparePanel::setTextPath(const QString &path)
{
    textPath_->setText(QDir::toNativeSeparators(path));
}

void ComparePanel::setSliceFiles(const QStringList &paths)
{
    QStringList native;
    for (const QString &p : paths)
        native.append(QDir::toNativeSeparators(p));
    slicePaths_->setText(native.join(kListSeparator));
}

QStringList ComparePanel::sliceFiles() const
{
    QStringList out;
    for (const QString &p : slicePaths_->text().split(kListSeparator, Qt::SkipEmptyParts))
        if (!p.trimmed().isEmpty())
            out.append(p.trimmed());
    return out;
}

bool ComparePanel::setRuns(const EvaluationRun &a, const EvaluationRun &b, QString *why)
{
    const auto &compression = document_->compression();
    const EvaluationRun *runs[2] = {&a, &b};
    SideKind kinds[2] = {SideKind::OpenModel, SideKind::OpenModel};
    QString paths[2];
    for (int s = 0; s < 2; ++s) {
        const EvaluationRun &r = *runs[s];
        const bool ofOpenModel = !r.modelPath.isEmpty() && r.modelPath == document_->path();
        if (r.recipeJson.isEmpty()) {
            kinds[s] = ofOpenModel ? SideKind::OpenModel : SideKind::File;
            paths[s] = r.modelPath;
        } else if (ofOpenModel && compression
                   && QString::fromStdString(compression->recipeJson) == r.recipeJson) {
            kinds[s] = SideKind::Compressed;
        } else {
            if (why)
                *why = tr("The compressed weights of %1 are no longer held: run its recipe "
                          "again, or compare an archive of it.")
                           .arg(QString::fromStdString(r.result.modelLabel));
            return false;
        }
        if (kinds[s] == SideKind::File && paths[s].isEmpty()) {
            if (why)
                *why = tr("The run %1 does not say which model it was of.")
                           .arg(QString::fromStdString(r.result.modelLabel));
            return false;
        }
    }
    for (int s = 0; s < 2; ++s)
        setSide(static_cast<Side>(s), kinds[s], paths[s]);
    if (!a.textPath.isEmpty()) {
        setTextPath(a.textPath);
        slicePaths_->clear();
    }
    if (a.result.nCtx > 1)
        context_->setValue(static_cast<int>(a.result.nCtx));
    return true;
}

void ComparePanel::chooseSideFile(Side side)
{
    const QString path = openFileRemembering(
        this, tr("Choose a Model or Archive"), kDirKey,
        tr("Models and archives (*.cwbarchive *.gguf *.safetensors *.json *.bin *.h5);;"
           "All files (*)"));
    if (!path.isEmpty())
        setSide(side, SideKind::File, path);
}

void ComparePanel::chooseTextFile()
{
    const QString path = openFileRemembering(this, tr("Choose the Evaluation Text"), kDirKey,
                                             tr("Text files (*.txt *.raw);;All files (*)"));
    if (!path.isEmpty())
        setTextPath(path);
}

void ComparePanel::chooseSliceFiles()
{
    const QStringList paths = openFilesRemembering(
        this, tr("Choose Slice Files"), kDirKey, tr("Text files (*.txt *.raw);;All files (*)"));
    if (!paths.isEmpty())
        setSliceFiles(paths);
}

void ComparePanel::onSideKindChanged(Side side)
{
    const bool file = sideKind(side) == SideKind::File;
    sidePathRow_[side]->setVisible(file);
    updateControls();
}

void ComparePanel::onDocumentChanged()
{
    const auto &model = document_->model();
    for (QComboBox *box : sideBox_) {
        box->setItemText(0, model ? tr("Open model (%1)")
                                        .arg(QFileInfo(document_->path()).fileName())
                                  : tr("Open model"));
        box->setItemText(1, document_->compression()
                                ? tr("Compressed weights (%1)").arg(document_->compressionLabel())
                                : tr("Compressed weights"));
    }
    if (model) {
        const int64_t declared = model->hparams.contextLength;
        const int max = declared > 1
            ? static_cast<int>(std::min<int64_t>(declared, kUnknownContextMax))
            : kUnknownContextMax;
        const bool wasDefault = context_->value() == kDefaultContext;
        context_->setMaximum(max);
        if (wasDefault)
            context_->setValue(std::min(kDefaultContext, max));
    }
    updateControls();
}

void ComparePanel::updateControls()
{
    const bool running = isRunning();
    bool ready = !textPath_->text().trimmed().isEmpty() || !sliceFiles().isEmpty();
    for (int s = 0; s < 2; ++s) {
        switch (sideKind(static_cast<Side>(s))) {
        case SideKind::OpenModel: ready = ready && document_->model(); break;
        case SideKind::Compressed: ready = ready && document_->compression(); break;
        case SideKind::File: ready = ready && !sidePath_[s]->text().trimmed().isEmpty(); break;
        }
    }
    runButton_->setEnabled(!running && ready);
    cancelButton_->setEnabled(running && !document_->jobs()->isCancelRequested(job_));
}

bool ComparePanel::run()
{
    if (isRunning())
        return false;
    error_->hide();
    SideSpec specs[2];
    for (int s = 0; s < 2; ++s) {
        SideSpec &spec = specs[s];
        spec.kind = sideKind(static_cast<Side>(s));
        spec.model = spec.kind == SideKind::Compressed && document_->compressedSource()
                         ? document_->compressedSource()
                         : document_->model();
        spec.compression = document_->compression();
        spec.weights = document_->compressedWeights();
        spec.path = localPath(sidePath_[s]->text());
        // Its bits/weight show beside the name wherever the result names a side.
        spec.label = tr("%1 (compressed)").arg(QFileInfo(document_->path()).fileName())
                         .toStdString();
        const QString side = s == 0 ? QStringLiteral("A") : QStringLiteral("B");
        if (spec.kind != SideKind::File && !spec.model) {
            showError(tr("%1 is the open model, but no model is open.").arg(side));
            return false;
        }
        if (spec.kind == SideKind::Compressed && !spec.compression) {
            showError(tr("%1 is the compressed weights, but the open model has not been "
                         "compressed yet.")
                          .arg(side));
            return false;
        }
        if (spec.kind == SideKind::File && spec.path.empty()) {
            showError(tr("Choose a model or archive file for %1.").arg(side));
            return false;
        }
    }
    cwb::CompareParams params;
    const QStringList slices = sliceFiles();
    if (!slices.isEmpty()) {
        for (const QString &p : slices)
            params.sliceFiles.push_back(localPath(p));
    } else if (!textPath_->text().trimmed().isEmpty()) {
        params.textPath = localPath(textPath_->text());
    } else {
        showError(tr("Choose an evaluation text or slice files."));
        return false;
    }
    params.evaluation.nCtx = context_->value();
    params.evaluation.chunks = chunks_->value();
    params.behaviour.tokens = tokens_->value();
    params.behaviour.agree = std::min(agree_->value(), tokens_->value());

    const QString title = tr("Compare %1 with %2")
                              .arg(sideBox_[SideA]->currentIndex() == 2
                                       ? QFileInfo(sidePath_[SideA]->text()).fileName()
                                       : sideBox_[SideA]->currentText(),
                                   sideBox_[SideB]->currentIndex() == 2
                                       ? QFileInfo(sidePath_[SideB]->text()).fileName()
                                       : sideBox_[SideB]->currentText());
    job_ = document_->jobs()->run(
        {title}, this,
        [a = specs[0], b = specs[1], params](const cwb::JobContext &ctx) {
            CompareOutcome o;
            auto r = std::make_shared<cwb::CompareResult>(
                cwb::runComparison(a.open(), b.open(), params, ctx));
            o.histograms = cwb::deltaHistograms(*r);
            o.result = std::move(r);
            return o;
        },
        [this](JobOutcome<CompareOutcome> &o) {
            job_ = 0;
            progress_->setValue(o.ok() ? kProgressSteps : 0);
            if (o.ok()) {
                o.message = tr("KLD %1").arg(
                    QLocale().toString(o.result->result->slices.total.kld.mean, 'g', 4));
                status_->setText(tr("Done in %1\u00a0s.")
                                     .arg(QLocale().toString(o.result->result->seconds, 'f', 1)));
                showResult(o.result->result, deltaDistributions(o.result->histograms));
                updateControls();
                Q_EMIT comparisonFinished();
            } else if (o.cancelled()) {
                status_->setText(tr("Cancelled."));
                updateControls();
                Q_EMIT comparisonCancelled();
            } else {
                status_->clear();
                showError(o.error);
                updateControls();
                Q_EMIT comparisonFailed(o.error);
            }
        },
        [this](double fraction, const QString &what) { onProgress(fraction, what); });
    progress_->setValue(0);
    status_->setText(tr("Opening both sides\u2026"));
    updateControls();
    return true;
}

void ComparePanel::cancel()
{
    if (!isRunning())
        return;
    document_->jobs()->cancel(job_);
    status_->setText(tr("Cancelling\u2026"));
    updateControls();
}

void ComparePanel::onProgress(double fraction, const QString &what)
{
    if (job_ && document_->jobs()->isCancelRequested(job_))
        return;
    progress_->setValue(static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kProgressSteps));
    if (!what.isEmpty())
        status_->setText(what);
}

void ComparePanel::showError(const QString &message)
{
    error_->setText(message);
    error_->show();
}

void ComparePanel::showResult(std::shared_ptr<const cwb::CompareResult> result,
                              std::vector<DeltaDistribution> distributions)
{
    result_ = std::move(result);
    const cwb::CompareResult &r = *result_;
    slices_->setResult(result_);
    slicesView_->resizeColumnsToContents();
    const cwb::SliceScores &t = r.slices.total;
    QString summary = tr("<b>A</b> %1 (%2 bits/weight) \u2192 <b>B</b> %3 (%4 bits/weight)<br>"
                         "ppl %5 \u00b1 %6 \u2192 %7 \u00b1 %8 \u00b7 KLD %9 (p99 %10) \u00b7 "
                         "top-1 %11\u00a0% \u00b7 %12 of %13 slices")
                          .arg(sideName(r.a).toHtmlEscaped(),
                               QLocale().toString(r.a.bitsPerWeight, 'f', 2),
                               sideName(r.b).toHtmlEscaped(),
                               QLocale().toString(r.b.bitsPerWeight, 'f', 2),
                               QLocale().toString(t.pplA, 'f', 3),
                               QLocale().toString(t.pplAStderr, 'f', 3),
                               QLocale().toString(t.pplB, 'f', 3),
                               QLocale().toString(t.pplBStderr, 'f', 3))
                          .arg(QLocale().toString(t.kld.mean, 'f', 5),
                               QLocale().toString(t.kld.p99, 'f', 4),
                               QLocale().toString(t.kld.top1AgreementPct, 'f', 1),
                               QLocale().toString(
                                   static_cast<qlonglong>(r.slices.evaluated.size())),
                               QLocale().toString(static_cast<qlonglong>(r.slices.slices)));
    summary_->setText(summary); // the notes (merged documents, …) are its tooltip
    QStringList notes;
    for (const auto &n : r.notes)
        notes.append(QString::fromStdString(n));
    for (const auto &n : r.slices.notes)
        notes.append(QString::fromStdString(n));
    summary_->setToolTip(notes.join(QLatin1Char('\n')));

    const QString a = tr("A: %1").arg(sideName(r.a));
    const QString b = tr("B: %1").arg(sideName(r.b));
    errorChart_->clear(tr("Neither side is a compression: no per-tensor errors are known"));
    errorChart_->setSideNames(a, b);
    const auto relative = compareErrorEntries(r, CompareErrorMetric::Relative);
    if (!relative.empty()) {
        errorChart_->setSeries(tr("Relative error"), relative);
        errorChart_->setSeries(tr("Output error (calibration)"),
                               compareErrorEntries(r, CompareErrorMetric::Output));
    }
    deltaChart_->setDistributions(std::move(distributions));
    behaviourSummary_->setText(behaviourSummary(r.behaviour));
    behaviour_->setHtml(behaviourHtml(r.behaviour, sideName(r.a), sideName(r.b)));
}

QString ComparePanel::statusText() const { return status_->text(); }

QString ComparePanel::errorText() const { return error_->isHidden() ? QString() : error_->text(); }

const std::shared_ptr<const cwb::CompareResult> &ComparePanel::result() const { return result_; }

QString ComparePanel::summaryText() const { return summary_->text(); }

QString ComparePanel::behaviourSummaryText() const { return behaviourSummary_->text(); }

} // namespace cwb::gui
