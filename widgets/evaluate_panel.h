// SPDX-License-Identifier: MIT
#pragma once
// The Evaluate panel: a text file, the perplexity settings (n_ctx, chunks, threads, protocol,
// Q8 emulation, latency) and an optional KL-divergence base to record or compare against. Run
// starts cwb::runEvaluation as a JobService job on the document's model (or its last
// compression, under Weights); the panel shows its window count, ETA and outcome, and adds each
// finished run to the document's runs (and announces it with evaluationFinished).

#include "evaluation_runs_model.h"

#include <QElapsedTimer>
#include <QWidget>


class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace cwb::gui {

class Document;

class EvaluatePanel : public QWidget {
    Q_OBJECT

public:
    static constexpr int kDefaultContext = 512;

    // Evaluates `document`'s model: none open disables Run; a running evaluation keeps its own.
    explicit EvaluatePanel(Document *document, QWidget *parent = nullptr);
    ~EvaluatePanel() override; // cancels a running evaluation

    void setTextPath(const QString &path);

    // What Run does: starts an evaluation with the current settings. False when one is running,
    // no model is open or no text file is chosen.
    bool run();
    void cancel();

    // Original, and the document's last compression (selected when it arrives).
    [[nodiscard]] QComboBox *weightsBox() const { return weights_; }
    // The settings as Run would pass them to core (model and model path not set).
    [[nodiscard]] cwb::EvalParams params() const;
    [[nodiscard]] bool isRunning() const { return job_ != 0; }
    // The Jobs dock id of the running evaluation; 0 when none runs.
    [[nodiscard]] int jobId() const { return job_; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] QString errorText() const;

    [[nodiscard]] QLineEdit *textPathEdit() const { return textPath_; }
    [[nodiscard]] QSpinBox *contextBox() const { return context_; }
    [[nodiscard]] QSpinBox *chunksBox() const { return chunks_; }
    [[nodiscard]] QCheckBox *latencyBox() const { return latency_; }
    [[nodiscard]] QPushButton *runButton() const { return runButton_; }
    [[nodiscard]] QPushButton *cancelButton() const { return cancelButton_; }
    [[nodiscard]] QProgressBar *progressBar() const { return progress_; }

Q_SIGNALS:
    void evaluationFinished(const cwb::gui::EvaluationRun &run);
    void evaluationFailed(const QString &message);
    void evaluationCancelled();

private:
    QWidget *createTextGroup();
    QWidget *createSettingsGroup();
    QWidget *createBaseGroup();
    QWidget *fileRow(QLineEdit *edit, const QString &browseTip, void (EvaluatePanel::*browse)());
    void chooseTextFile();
    void chooseSaveBase();
    void chooseCompareBase();
    void updateControls();
    void onModelChanged();
    void onCompressionChanged();
    void onProgress(double fraction, const QString &what);
    void onSucceeded(const cwb::EvalResult &result);
    void onFailed(const QString &message);
    void onCancelled();
    void showError(const QString &message);
    void setStatus(const QString &text);

    Document *document_ = nullptr;
    int job_ = 0;               // the running evaluation
    cwb::EvalParams running_;   // its settings
    QString runningRecipe_;     // the recipe of the compressed weights it runs; empty: original
    QString runningModelPath_;  // the document's model it runs
    QElapsedTimer elapsed_;

    QLineEdit *textPath_ = nullptr;
    QSpinBox *context_ = nullptr;
    QSpinBox *chunks_ = nullptr;
    QSpinBox *threads_ = nullptr;
    QComboBox *protocol_ = nullptr;
    QComboBox *weights_ = nullptr;
    QCheckBox *q8_ = nullptr;
    QCheckBox *latency_ = nullptr;
    QLineEdit *saveBase_ = nullptr;
    QLineEdit *compareBase_ = nullptr;
    QWidget *saveBaseRow_ = nullptr;
    QWidget *compareBaseRow_ = nullptr;
    QPushButton *runButton_ = nullptr;
    QPushButton *cancelButton_ = nullptr;
    QProgressBar *progress_ = nullptr;
    QLabel *status_ = nullptr;
    QLabel *error_ = nullptr;
};

} // namespace cwb::gui
