// SPDX-License-Identifier: MIT
#pragma once
// The before/after comparison view (core/compare): two sides, each the open model, its last
// compression (held in memory) or a model or .cwbarchive file; an evaluation text cut into
// documents, or slice files; the window settings and the behavioural check's lengths. Run
// starts cwb::runComparison as a JobService job (progress and Cancel here and in the Jobs dock).
// The result shows as the slice table (ppl and KLD per slice, the most degraded first,
// sortable), the per-tensor errors of both sides as grouped bars, the Δ histograms, and the
// prompts' continuations side by side with where they part. It holds no numbers of its own.

#include "compare_delta_chart.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTextBrowser;
class QToolButton;

namespace cwb {
struct CompareResult;
}

namespace cwb::gui {

class CompareErrorChart;
class CompareSlicesModel;
class Document;
struct EvaluationRun;

class ComparePanel : public QWidget {
    Q_OBJECT

public:
    // What one side is (the entries of its combo box, in this order).
    enum class SideKind { OpenModel, Compressed, File };
    enum Side { SideA = 0, SideB = 1 };
    // The result tabs beside the slice table.
    enum Tab { ErrorsTab, DeltaTab, BehaviourTab };

    explicit ComparePanel(Document *document, QWidget *parent = nullptr);
    ~ComparePanel() override; // cancels a running comparison and waits for it

    void setSide(Side side, SideKind kind, const QString &path = {});
    [[nodiscard]] SideKind sideKind(Side side) const;
    void setTextPath(const QString &path);
    void setSliceFiles(const QStringList &paths);
    [[nodiscard]] QStringList sliceFiles() const;
    // Sets both sides (the open model or its compression, by each run's recipe), the text and
    // the window length from two evaluation runs. False, with `why`, when a run's weights are no
    // longer held (a compressed run whose recipe is not the document's last compression).
    bool setRuns(const EvaluationRun &a, const EvaluationRun &b, QString *why = nullptr);

    // Starts the comparison; false (errorText says why) when one runs or the inputs are missing.
    bool run();
    void cancel();
    [[nodiscard]] bool isRunning() const { return job_ != 0; }
    [[nodiscard]] int jobId() const { return job_; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] QString errorText() const;
    // The last finished comparison; null before one.
    [[nodiscard]] const std::shared_ptr<const cwb::CompareResult> &result() const;

    [[nodiscard]] QComboBox *sideBox(Side side) const { return sideBox_[side]; }
    [[nodiscard]] QLineEdit *sidePathEdit(Side side) const { return sidePath_[side]; }
    [[nodiscard]] QLineEdit *textPathEdit() const { return textPath_; }
    [[nodiscard]] QSpinBox *contextBox() const { return context_; }
    [[nodiscard]] QSpinBox *chunksBox() const { return chunks_; }
    [[nodiscard]] QSpinBox *tokensBox() const { return tokens_; }
    [[nodiscard]] QSpinBox *agreeBox() const { return agree_; }
    [[nodiscard]] QPushButton *runButton() const { return runButton_; }
    [[nodiscard]] QPushButton *cancelButton() const { return cancelButton_; }
    [[nodiscard]] QProgressBar *progressBar() const { return progress_; }
    [[nodiscard]] CompareSlicesModel *slicesModel() const { return slices_; }
    [[nodiscard]] QTableView *slicesView() const { return slicesView_; }
    [[nodiscard]] QString summaryText() const;
    [[nodiscard]] QTabWidget *tabs() const { return tabs_; }
    [[nodiscard]] CompareErrorChart *errorChart() const { return errorChart_; }
    [[nodiscard]] CompareDeltaChart *deltaChart() const { return deltaChart_; }
    [[nodiscard]] QTextBrowser *behaviourView() const { return behaviour_; }
    [[nodiscard]] QString behaviourSummaryText() const;

Q_SIGNALS:
    void comparisonFinished();
    void comparisonFailed(const QString &message);
    void comparisonCancelled();

private:
    QWidget *createSetup();
    QWidget *createResults();
    QWidget *fileRow(QLineEdit *edit, QToolButton **button);
    void chooseSideFile(Side side);
    void chooseTextFile();
    void chooseSliceFiles();
    void onSideKindChanged(Side side);
    void onDocumentChanged();
    void updateControls();
    void onProgress(double fraction, const QString &what);
    void showResult(std::shared_ptr<const cwb::CompareResult> result,
                    std::vector<DeltaDistribution> distributions);
    void showError(const QString &message);

    Document *document_ = nullptr;
    int job_ = 0;
    std::shared_ptr<const cwb::CompareResult> result_;

    QComboBox *sideBox_[2] = {nullptr, nullptr};
    QLineEdit *sidePath_[2] = {nullptr, nullptr};
    QToolButton *sideBrowse_[2] = {nullptr, nullptr};
    QWidget *sidePathRow_[2] = {nullptr, nullptr};
    QLineEdit *textPath_ = nullptr;
    QLineEdit *slicePaths_ = nullptr;
    QSpinBox *context_ = nullptr;
    QSpinBox *chunks_ = nullptr;
    QSpinBox *tokens_ = nullptr;
    QSpinBox *agree_ = nullptr;
    QPushButton *runButton_ = nullptr;
    QPushButton *cancelButton_ = nullptr;
    QProgressBar *progress_ = nullptr;
    QLabel *status_ = nullptr;
    QLabel *error_ = nullptr;

    QLabel *summary_ = nullptr;
    CompareSlicesModel *slices_ = nullptr;
    QSortFilterProxyModel *sorted_ = nullptr;
    QTableView *slicesView_ = nullptr;
    QTabWidget *tabs_ = nullptr;
    CompareErrorChart *errorChart_ = nullptr;
    CompareDeltaChart *deltaChart_ = nullptr;
    QLabel *behaviourSummary_ = nullptr;
    QTextBrowser *behaviour_ = nullptr;
};

} // namespace cwb::gui
