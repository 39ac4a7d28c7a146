// SPDX-License-Identifier: MIT
#pragma once
// The Trade-offs dock: the trade-off chart (tradeoff_chart.h) over one set of comparable
// measurements -- this window's evaluation runs, or the points of the project's evaluation
// history measured with one evaluation (sweep/history_chart.h's historyEvaluations: one text,
// n_ctx and window count; numbers measured otherwise do not compare) -- chosen in "Points",
// and the sweep that adds to that history: Run Sweep… and Add Reference… ask the window for
// the sweep dialog (sweepRequested); startSweep runs it as a Jobs dock job whose points join
// the document's history (and the chart) as each finishes.

#include "sweep_dialog.h"

#include <QString>
#include <QWidget>

#include <map>
#include <string>

class QComboBox;
class QLabel;
class QPushButton;

namespace cwb::gui {

class Document;
class TradeoffChart;

class TradeoffsPanel : public QWidget {
    Q_OBJECT

public:
    explicit TradeoffsPanel(Document *document, QWidget *parent = nullptr);
    ~TradeoffsPanel() override; // cancels a running sweep and waits for it

    [[nodiscard]] TradeoffChart *chart() const { return chart_; }
    // "Evaluation runs of this window", then one entry per evaluation of the history.
    [[nodiscard]] QComboBox *sourceBox() const { return source_; }
    // Shows the history points of the evaluation with these eval.* settings (the newest one
    // when empty); false when the history has none.
    bool showHistory(const std::map<std::string, std::string> &evaluation = {});
    void showRuns();

    // Starts the sweep as a job (points from sweep/sweep_plan.h, with the document's
    // sensitivity table for solver points); false with the reason in statusText() when no
    // model is open or a sweep runs.
    bool startSweep(const SweepSetup &setup);
    [[nodiscard]] int sweepJobId() const { return job_; }
    [[nodiscard]] QString statusText() const;

Q_SIGNALS:
    // Run Sweep… (empty) or Add Reference… (the file chosen) was pressed.
    void sweepRequested(const QString &referenceFile);
    void sweepFinished(bool ok);

private:
    void refreshSources();
    void refreshPoints();
    void onPoint(const cwb::HistoryPoint &point, const void *model);

    Document *document_ = nullptr;
    QComboBox *source_ = nullptr;
    QPushButton *sweep_ = nullptr;
    QPushButton *reference_ = nullptr;
    QLabel *status_ = nullptr;
    TradeoffChart *chart_ = nullptr;
    // The history evaluation shown (its eval.* settings); empty with the runs shown.
    std::map<std::string, std::string> shown_;
    bool showingRuns_ = true;
    bool logChosen_ = false; // the KLD axis was made logarithmic once (refreshPoints)
    int job_ = 0;
};

} // namespace cwb::gui
