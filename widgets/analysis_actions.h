// SPDX-License-Identifier: MIT
#pragma once
// The Analysis menu (Analyze Model..., Cancel Analysis) and the project actions of the File menu
// (Open Project..., Save Project, Save Project As...), with their dialogs, the progress shown in
// the status bar and the message boxes for errors and stale projects (opened, never exec'd, so
// nothing waits in a nested event loop). The work itself is AnalysisController's.

#include <QObject>
#include <QPointer>
#include <QString>

class QAction;
class QLabel;
class QProgressBar;
class QToolButton;
class QWidget;

namespace cwb {
struct ModelAnalysisParams;
} // namespace cwb

namespace cwb::gui {

class AnalysisController;
class AnalyzeDialog;

class AnalysisActions : public QObject {
    Q_OBJECT

public:
    AnalysisActions(AnalysisController *analysis, QWidget *window);
    ~AnalysisActions() override;

    [[nodiscard]] QAction *analyzeAction() const { return analyze_; }
    [[nodiscard]] QAction *cancelAction() const { return cancel_; }
    [[nodiscard]] QAction *openProjectAction() const { return openProject_; }
    [[nodiscard]] QAction *saveProjectAction() const { return saveProject_; }
    [[nodiscard]] QAction *saveProjectAsAction() const { return saveProjectAs_; }
    // Label, progress bar and Cancel button for the status bar; visible while a job runs.
    [[nodiscard]] QWidget *progressWidget() const { return progress_; }
    [[nodiscard]] QProgressBar *progressBar() const { return bar_; }
    [[nodiscard]] QToolButton *cancelButton() const { return cancelButton_; }
    [[nodiscard]] QString progressText() const;
    // The options dialog while it is open (Analyze Model...), else nullptr.
    [[nodiscard]] AnalyzeDialog *dialog() const;

    // Writes the project to `path` (".cwbproj" appended when it has no suffix).
    bool saveProjectTo(const QString &path);

Q_SIGNALS:
    // A short outcome for the status bar ("Analysis finished: ...", "Project saved: ...").
    void statusMessage(const QString &text);

private:
    void chooseOptions();
    void saveProject();
    void saveProjectAs();
    void openProject();
    void updateActions();
    void onProgress(double fraction);
    void showBox(int icon, const QString &objectName, const QString &title, const QString &text,
                 const QString &details);

    AnalysisController *analysis_ = nullptr;
    QWidget *window_ = nullptr;
    QAction *analyze_ = nullptr;
    QAction *cancel_ = nullptr;
    QAction *openProject_ = nullptr;
    QAction *saveProject_ = nullptr;
    QAction *saveProjectAs_ = nullptr;
    QWidget *progress_ = nullptr;
    QLabel *label_ = nullptr;
    QProgressBar *bar_ = nullptr;
    QToolButton *cancelButton_ = nullptr;
    QPointer<AnalyzeDialog> dialog_;
};

} // namespace cwb::gui
