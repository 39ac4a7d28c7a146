// SPDX-License-Identifier: MIT
#pragma once
// The Evaluate panel: a text file, the perplexity settings (n_ctx, chunks, threads, protocol,
// Q8 emulation, latency) and an optional KL-divergence base to record or compare against. Run
// starts an EvaluationJob; the panel shows its window count, ETA and outcome, and reports each
// finished run with evaluationFinished (the window adds it to the runs table).

#include "evaluation_runs_model.h"

#include <QElapsedTimer>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace cwb {
struct CompressedReplacements;
struct Model;
} // namespace cwb

namespace cwb::gui {

class EvaluationJob;

class EvaluatePanel : public QWidget {
    Q_OBJECT

public:
    static constexpr int kDefaultContext = 512;

    explicit EvaluatePanel(QWidget *parent = nullptr);
    ~EvaluatePanel() override; // cancels and waits for a running evaluation

    // The model Run evaluates; null disables Run. A running evaluation keeps its own model.
    void setModel(std::shared_ptr<const cwb::Model> model);
    void setTextPath(const QString &path);

    // What Run does: starts an evaluation with the current settings. False when one is running,
    // no model is open or no text file is chosen.
    bool run();
    void cancel();

    // Offers the compressed weights (engine replacements) as a choice under Weights and selects
    // it; null removes the choice. `label` names the run in the runs table.
    void setCompressed(const QString &label,
                       std::shared_ptr<const cwb::CompressedReplacements> weights);
    [[nodiscard]] QComboBox *weightsBox() const { return weights_; }
    // The settings as Run would pass them to core (model and model path not set).
    [[nodiscard]] cwb::EvalParams params() const;
    [[nodiscard]] bool isRunning() const;
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
    void onProgress(double fraction, const QString &what);
    void onSucceeded(const cwb::EvalResult &result);
    void onFailed(const QString &message);
    void onCancelled();
    void showError(const QString &message);
    void setStatus(const QString &text);

    std::shared_ptr<const cwb::Model> model_;
    EvaluationJob *job_ = nullptr; // the newest job (a child); older ones are deleted later
    QElapsedTimer elapsed_;

    QLineEdit *textPath_ = nullptr;
    QSpinBox *context_ = nullptr;
    QSpinBox *chunks_ = nullptr;
    QSpinBox *threads_ = nullptr;
    QComboBox *protocol_ = nullptr;
    QComboBox *weights_ = nullptr;
    std::shared_ptr<const cwb::CompressedReplacements> compressed_;
    QString compressedLabel_;
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
