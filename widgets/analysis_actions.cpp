// SPDX-License-Identifier: MIT
#include "analysis_actions.h"

#include "analysis_controller.h"
#include "analyze_dialog.h"

#include "model/model.h"
#include "project/project_file.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QToolButton>

namespace cwb::gui {
namespace {

// Shared with the model file dialogs: the folder the user last worked in.
const QString kLastDirKey = QStringLiteral("lastDirectory");

QString withProjectSuffix(const QString &path)
{
    return QFileInfo(path).suffix().isEmpty() ? path + QLatin1String(cwb::kProjectExtension)
                                              : path;
}

} // namespace

AnalysisActions::AnalysisActions(AnalysisController *analysis, QWidget *window)
    : QObject(window), analysis_(analysis), window_(window)
{
    analyze_ = new QAction(tr("&Analyze Model\u2026"), this);
    analyze_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    analyze_->setStatusTip(tr("Statistics, outlier channels, spectra and activation statistics "
                              "of every tensor"));
    cancel_ = new QAction(tr("&Cancel Analysis"), this);
    openProject_ = new QAction(tr("Open &Project\u2026"), this);
    openProject_->setStatusTip(tr("Open a saved analysis (.cwbproj) and its model"));
    saveProject_ = new QAction(tr("&Save Project"), this);
    saveProject_->setShortcut(QKeySequence::Save);
    saveProject_->setStatusTip(tr("Save the analysis to the project file"));
    saveProjectAs_ = new QAction(tr("Save Project &As\u2026"), this);
    saveProjectAs_->setShortcut(QKeySequence::SaveAs);

    progress_ = new QWidget(window);
    label_ = new QLabel(progress_);
    bar_ = new QProgressBar(progress_);
    bar_->setRange(0, 1000);
    bar_->setTextVisible(false);
    bar_->setFixedWidth(160);
    cancelButton_ = new QToolButton(progress_);
    cancelButton_->setText(tr("Cancel"));
    cancelButton_->setToolTip(tr("Stop the analysis; results so far stay visible"));
    auto *row = new QHBoxLayout(progress_);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(label_);
    row->addWidget(bar_);
    row->addWidget(cancelButton_);
    progress_->hide();

    connect(analyze_, &QAction::triggered, this, &AnalysisActions::chooseOptions);
    connect(cancel_, &QAction::triggered, analysis_, &AnalysisController::cancel);
    connect(cancelButton_, &QToolButton::clicked, analysis_, &AnalysisController::cancel);
    connect(openProject_, &QAction::triggered, this, &AnalysisActions::openProject);
    connect(saveProject_, &QAction::triggered, this, &AnalysisActions::saveProject);
    connect(saveProjectAs_, &QAction::triggered, this, &AnalysisActions::saveProjectAs);

    connect(analysis_, &AnalysisController::started, this, [this] {
        bar_->setValue(0);
        label_->setText(tr("Analyzing\u2026"));
        progress_->show();
        updateActions();
    });
    connect(analysis_, &AnalysisController::progressChanged, this,
            [this](double fraction) { onProgress(fraction); });
    connect(analysis_, &AnalysisController::tensorAnalyzed, this,
            [this] { onProgress(bar_->value() / 1000.0); });
    connect(analysis_, &AnalysisController::finished, this, [this] {
        progress_->hide();
        updateActions();
        Q_EMIT statusMessage(tr("Analysis finished: %1 tensors in %2 s")
                                 .arg(analysis_->tensorCount())
                                 .arg(QLocale().toString(analysis_->analysisSeconds(), 'f', 2)));
    });
    connect(analysis_, &AnalysisController::cancelled, this, [this] {
        progress_->hide();
        updateActions();
        Q_EMIT statusMessage(tr("Analysis cancelled after %1 of %2 tensors")
                                 .arg(analysis_->resultCount())
                                 .arg(analysis_->tensorCount()));
    });
    connect(analysis_, &AnalysisController::failed, this, [this](const QString &message) {
        progress_->hide();
        updateActions();
        showBox(QMessageBox::Critical, QStringLiteral("analysisErrorBox"), tr("Analysis Failed"),
                tr("The analysis stopped with an error."), message);
    });
    connect(analysis_, &AnalysisController::resultsReset, this, &AnalysisActions::updateActions);
    connect(analysis_, &AnalysisController::projectContentChanged, this,
            &AnalysisActions::updateActions);
    connect(analysis_, &AnalysisController::projectSaved, this, [this](const QString &path) {
        updateActions();
        Q_EMIT statusMessage(tr("Project saved: %1").arg(QDir::toNativeSeparators(path)));
    });
    connect(analysis_, &AnalysisController::projectOpened, this, [this](const QString &path) {
        updateActions();
        Q_EMIT statusMessage(tr("Project opened: %1").arg(QDir::toNativeSeparators(path)));
    });
    connect(analysis_, &AnalysisController::projectFailed, this,
            [this](const QString &path, const QString &message) {
                updateActions();
                showBox(QMessageBox::Critical, QStringLiteral("projectErrorBox"),
                        tr("Project Error"),
                        tr("The project %1 could not be used.")
                            .arg(QDir::toNativeSeparators(path)),
                        message);
            });
    connect(analysis_, &AnalysisController::projectCancelled, this, [this](const QString &path) {
        updateActions();
        Q_EMIT statusMessage(tr("Project cancelled: %1").arg(QDir::toNativeSeparators(path)));
    });
    connect(analysis_, &AnalysisController::projectStale, this,
            [this](const QString &path, const QString &reason) {
                updateActions();
                showBox(QMessageBox::Warning, QStringLiteral("projectStaleBox"),
                        tr("Project Out of Date"),
                        tr("The model has changed since the project %1 was saved. Its results "
                           "are not used; analyze the model again.")
                            .arg(QDir::toNativeSeparators(path)),
                        reason);
            });
    updateActions();
}

AnalysisActions::~AnalysisActions() = default;

QString AnalysisActions::progressText() const { return label_->text(); }

AnalyzeDialog *AnalysisActions::dialog() const { return dialog_; }

void AnalysisActions::chooseOptions()
{
    if (dialog_) {
        dialog_->raise();
        dialog_->activateWindow();
        return;
    }
    dialog_ = new AnalyzeDialog(window_);
    dialog_->setObjectName(QStringLiteral("analyzeDialog"));
    dialog_->setAttribute(Qt::WA_DeleteOnClose);
    if (const auto &model = analysis_->model())
        dialog_->setContextLimit(model->hparams.contextLength);
    connect(dialog_, &QDialog::accepted, this, [this] {
        if (dialog_)
            analysis_->start(dialog_->params());
    });
    dialog_->open();
}

void AnalysisActions::saveProject()
{
    if (analysis_->projectPath().isEmpty())
        saveProjectAs();
    else
        saveProjectTo(analysis_->projectPath());
}

void AnalysisActions::saveProjectAs()
{
    QSettings settings;
    QString start = settings.value(kLastDirKey).toString();
    if (const auto &model = analysis_->model())
        start = QDir(start.isEmpty() ? QFileInfo(QString::fromStdString(model->path)).absolutePath()
                                     : start)
                    .filePath(QFileInfo(QString::fromStdString(model->path)).completeBaseName()
                              + QLatin1String(cwb::kProjectExtension));
    const QString path = QFileDialog::getSaveFileName(
        window_, tr("Save Project"), start, tr("Compression Workbench projects (*.cwbproj)"));
    if (path.isEmpty())
        return;
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    saveProjectTo(path);
}

bool AnalysisActions::saveProjectTo(const QString &path)
{
    const bool ok = analysis_->saveProject(withProjectSuffix(path));
    updateActions();
    return ok;
}

void AnalysisActions::openProject()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        window_, tr("Open Project"), settings.value(kLastDirKey).toString(),
        tr("Compression Workbench projects (*.cwbproj);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    analysis_->openProject(path);
    updateActions();
}

void AnalysisActions::updateActions()
{
    const bool running = analysis_->isRunning();
    const bool busy = analysis_->isProjectBusy();
    analyze_->setEnabled(analysis_->model() && !running && !busy);
    cancel_->setEnabled(running);
    openProject_->setEnabled(!running && !busy);
    const bool savable = analysis_->canSaveProject();
    saveProject_->setEnabled(savable);
    saveProjectAs_->setEnabled(savable);
}

void AnalysisActions::onProgress(double fraction)
{
    bar_->setValue(static_cast<int>(fraction * 1000));
    const int done = analysis_->resultCount(), total = analysis_->tensorCount();
    label_->setText(done < total
                        ? tr("Analyzing: %1 of %2 tensors").arg(done).arg(total)
                        : tr("Collecting activation statistics\u2026"));
}

void AnalysisActions::showBox(int icon, const QString &objectName, const QString &title,
                              const QString &text, const QString &details)
{
    auto *box = new QMessageBox(static_cast<QMessageBox::Icon>(icon), title, text, QMessageBox::Ok,
                                window_);
    box->setObjectName(objectName);
    box->setInformativeText(details);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace cwb::gui
