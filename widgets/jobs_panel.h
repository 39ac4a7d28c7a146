// SPDX-License-Identifier: MIT
#pragma once
// The Jobs list (the main window docks it as "Jobs"): one row per long-running job, newest
// first, with its title, a progress bar, the current step, elapsed time, an estimate of the time
// left and a Cancel button. It runs nothing itself: follow() shows every job of the JobService
// (the GUI's one way to run long work) and passes Cancel on to it; addJob / setProgress /
// finishJob drive a row by hand.

#include <QHash>
#include <QSet>
#include <QString>
#include <QWidget>

#include <functional>
#include <vector>

class QAbstractButton;
class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;
class QVBoxLayout;

namespace cwb::gui {

class JobService;

class JobsPanel : public QWidget {
    Q_OBJECT

public:
    enum class State {
        Running,
        Done,      // finishJob(id, true, ...)
        Failed,    // finishJob(id, false, ...) without a cancel request: shown in red
        Cancelled, // finishJob(id, false, ...) after the user pressed Cancel
        Unknown,   // no job with that id (or cleared)
    };

    // Milliseconds on a monotonic clock; jobs measure their elapsed time with it.
    using Clock = std::function<qint64()>;

    explicit JobsPanel(QWidget *parent = nullptr);
    ~JobsPanel() override;

    // A new running job at the top of the list; returns its id (1, 2, ...; never reused).
    int addJob(const QString &title);
    // `fraction` in [0, 1] (clamped); `step` is the current step ("tensor 12/35: layers.1.mlp.up"),
    // empty: keep the previous one. Ignored for unknown or finished jobs.
    void setProgress(int id, double fraction, const QString &step = {});
    // Ends the job. ok: "Done in 12.3 s" (with `message` after it when given). Not ok: `message`
    // in red, or in grey ("Cancelled" when empty) when the user had asked to cancel this job.
    void finishJob(int id, bool ok, const QString &message = {});
    // Ends the job in `state` (Done, Failed or Cancelled) whether or not Cancel was pressed.
    void finishJob(int id, State state, const QString &message = {});
    // Removes the rows of finished jobs (the "Clear finished" button).
    void clearFinished();
    // Removes one row, running or not.
    void removeJob(int id);

    // A row for every job `service` starts, with its progress and end; the row's Cancel cancels
    // the job. Rows of transient jobs (JobOptions::transient) go when they end without an error.
    void follow(JobService *service);
    // The row showing job `serviceJob` of the followed service; -1 when it has none (never
    // started, or transient and gone).
    [[nodiscard]] int rowOf(int serviceJob) const { return rowOf_.value(serviceJob, -1); }

    // The default clock is a QElapsedTimer; tests install a fake one to check the estimates.
    void setClock(Clock clock);

    // "4.2 s", "42 s", "3 min 05 s", "1 h 02 min"; "—" for a negative or non-finite duration.
    // `precise`: tenths of a second up to a minute ("12.3 s"), as finished jobs show it.
    [[nodiscard]] static QString formatDuration(double seconds, bool precise = false);

    [[nodiscard]] int jobCount() const { return static_cast<int>(jobs_.size()); }
    [[nodiscard]] int runningCount() const;
    // Ids in display order (newest first).
    [[nodiscard]] std::vector<int> jobIds() const;
    [[nodiscard]] bool hasJob(int id) const { return find(id) != nullptr; }
    [[nodiscard]] State stateOf(int id) const;
    [[nodiscard]] bool isRunning(int id) const { return stateOf(id) == State::Running; }
    // -1 for unknown ids.
    [[nodiscard]] double progressOf(int id) const;
    [[nodiscard]] QString titleOf(int id) const;
    // The status line: current step, or the final message.
    [[nodiscard]] QString statusOf(int id) const;
    // Elapsed time text ("12 s"; "12.3 s" once finished). The ETA text is "—" until the rate
    // says something, and empty once the job has finished.
    [[nodiscard]] QString elapsedText(int id) const;
    [[nodiscard]] QString etaText(int id) const;
    [[nodiscard]] QAbstractButton *cancelButton(int id) const;
    [[nodiscard]] QAbstractButton *clearFinishedButton() const;

Q_SIGNALS:
    // The user pressed Cancel on a running job; its owner stops it and calls finishJob (a
    // followed service job is cancelled by the panel itself).
    void cancelRequested(int id);

private:
    struct Job {
        int id = 0;
        QString title;
        qint64 startMs = 0;
        qint64 endMs = 0;
        double fraction = 0;
        QString step;
        QString message;
        State state = State::Running;
        bool cancelAsked = false;
        QWidget *row = nullptr;
        QLabel *titleLabel = nullptr;
        QLabel *timeLabel = nullptr;
        QLabel *statusLabel = nullptr;
        QProgressBar *bar = nullptr;
        QPushButton *cancel = nullptr;
    };

    [[nodiscard]] const Job *find(int id) const;
    [[nodiscard]] Job *find(int id);
    [[nodiscard]] qint64 now() const;
    [[nodiscard]] QString etaFor(const Job &job) const;
    void refreshTimes();
    void refreshRow(Job &job);
    void updateHeader();

    std::vector<Job> jobs_; // in insertion order; the layout shows them newest first
    QHash<int, int> rowOf_;   // followed service job -> row id
    QSet<int> transient_;     // rows of transient service jobs still running
    int nextId_ = 1;
    Clock clock_;
    QVBoxLayout *rows_ = nullptr;
    QLabel *header_ = nullptr;
    QLabel *empty_ = nullptr;
    QPushButton *clear_ = nullptr;
    QTimer *ticker_ = nullptr;
};

} // namespace cwb::gui
