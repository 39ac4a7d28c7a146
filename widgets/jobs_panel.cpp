// SPDX-License-Identifier: MIT
#include "jobs_panel.h"

#include "job_service.h"
#include "jobs_eta.h"

#include <QElapsedTimer>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <memory>

namespace cwb::gui {
namespace {

constexpr int kBarSteps = 1000;
constexpr int kTickMs = 500;

const QColor kErrorColor(0xb0, 0x00, 0x20);
const QColor kDoneColor(0x1b, 0x6e, 0x20);
const QColor kCancelledColor(0x6a, 0x6a, 0x6a);

void setTextColor(QLabel *label, const QColor &color)
{
    QPalette p = label->palette();
    p.setColor(QPalette::WindowText, color);
    label->setPalette(p);
}

} // namespace

JobsPanel::JobsPanel(QWidget *parent)
    : QWidget(parent), header_(new QLabel(this)),
      clear_(new QPushButton(tr("Clear finished"), this)), ticker_(new QTimer(this))
{
    auto elapsed = std::make_shared<QElapsedTimer>();
    elapsed->start();
    clock_ = [elapsed] { return elapsed->elapsed(); };

    clear_->setObjectName(QStringLiteral("jobsClearFinished"));
    clear_->setToolTip(tr("Remove finished, failed and cancelled jobs from the list"));
    connect(clear_, &QPushButton::clicked, this, &JobsPanel::clearFinished);
    auto *top = new QHBoxLayout;
    top->addWidget(header_, 1);
    top->addWidget(clear_);

    auto *content = new QWidget;
    rows_ = new QVBoxLayout(content);
    rows_->setContentsMargins(0, 0, 0, 0);
    rows_->setSpacing(4);
    empty_ = new QLabel(tr("No jobs yet. Long-running work (compression, analysis) shows up "
                           "here with its progress."),
                        content);
    empty_->setWordWrap(true);
    setTextColor(empty_, kCancelledColor);
    rows_->addWidget(empty_);
    rows_->addStretch(1);

    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(content);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(scroll, 1);
    setMinimumWidth(260);

    ticker_->setInterval(kTickMs);
    connect(ticker_, &QTimer::timeout, this, &JobsPanel::refreshTimes);
    updateHeader();
}

JobsPanel::~JobsPanel() = default;

void JobsPanel::setClock(Clock clock)
{
    // Elapsed times so far are kept relative to the new clock's "now".
    const qint64 before = now();
    clock_ = std::move(clock);
    const qint64 shift = now() - before;
    for (Job &job : jobs_) {
        job.startMs += shift;
        if (job.state != State::Running)
            job.endMs += shift;
    }
    refreshTimes();
}

qint64 JobsPanel::now() const { return clock_ ? clock_() : 0; }

QString JobsPanel::formatDuration(double seconds, bool precise)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("\u2014");
    const QLocale l;
    if (seconds < (precise ? 59.95 : 10))
        return tr("%1 s").arg(l.toString(seconds, 'f', 1));
    if (seconds < 60)
        return tr("%1 s").arg(static_cast<int>(std::lround(seconds)));
    const auto total = static_cast<long long>(std::lround(seconds));
    if (total < 3600)
        return tr("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    const long long minutes = (total + 30) / 60;
    return tr("%1 h %2 min").arg(minutes / 60).arg(minutes % 60, 2, 10, QLatin1Char('0'));
}

int JobsPanel::addJob(const QString &title)
{
    Job job;
    job.id = nextId_++;
    job.title = title;
    job.startMs = now();

    auto *row = new QFrame;
    row->setObjectName(QStringLiteral("job%1").arg(job.id));
    row->setFrameShape(QFrame::StyledPanel);
    job.row = row;
    job.titleLabel = new QLabel(title, row);
    QFont bold = job.titleLabel->font();
    bold.setBold(true);
    job.titleLabel->setFont(bold);
    job.titleLabel->setToolTip(title);
    // A long title is cut at the dock's edge instead of widening it.
    job.titleLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    job.cancel = new QPushButton(tr("Cancel"), row);
    job.cancel->setToolTip(tr("Stop this job"));
    job.bar = new QProgressBar(row);
    job.bar->setRange(0, kBarSteps);
    job.bar->setValue(0);
    job.timeLabel = new QLabel(row);
    job.timeLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    job.statusLabel = new QLabel(row);
    job.statusLabel->setWordWrap(true);
    job.statusLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    job.statusLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    auto *line1 = new QHBoxLayout;
    line1->addWidget(job.titleLabel, 1);
    line1->addWidget(job.cancel);
    auto *line2 = new QHBoxLayout;
    line2->addWidget(job.bar, 1);
    line2->addWidget(job.timeLabel);
    auto *box = new QVBoxLayout(row);
    box->setContentsMargins(8, 6, 8, 6);
    box->setSpacing(3);
    box->addLayout(line1);
    box->addLayout(line2);
    box->addWidget(job.statusLabel);

    const int id = job.id;
    connect(job.cancel, &QPushButton::clicked, this, [this, id] {
        Job *j = find(id);
        if (!j || j->state != State::Running || j->cancelAsked)
            return;
        j->cancelAsked = true;
        refreshRow(*j);
        Q_EMIT cancelRequested(id);
    });

    rows_->insertWidget(0, row); // newest first
    jobs_.push_back(std::move(job));
    refreshRow(jobs_.back());
    updateHeader();
    if (!ticker_->isActive())
        ticker_->start();
    return id;
}

void JobsPanel::setProgress(int id, double fraction, const QString &step)
{
    Job *job = find(id);
    if (!job || job->state != State::Running)
        return;
    job->fraction = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) : 0.0;
    if (!step.isEmpty())
        job->step = step;
    refreshRow(*job);
}

void JobsPanel::finishJob(int id, bool ok, const QString &message)
{
    const Job *job = find(id);
    if (!job)
        return;
    finishJob(id, ok ? State::Done : (job->cancelAsked ? State::Cancelled : State::Failed),
              message);
}

void JobsPanel::finishJob(int id, State state, const QString &message)
{
    Job *job = find(id);
    if (!job || job->state != State::Running || state == State::Running
        || state == State::Unknown)
        return;
    job->endMs = now();
    job->state = state;
    if (state == State::Done)
        job->fraction = 1.0;
    job->message = message;
    refreshRow(*job);
    updateHeader();
    if (runningCount() == 0)
        ticker_->stop();
}

void JobsPanel::clearFinished()
{
    std::vector<Job> kept;
    for (Job &job : jobs_) {
        if (job.state == State::Running) {
            kept.push_back(std::move(job));
        } else {
            rows_->removeWidget(job.row);
            delete job.row;
        }
    }
    jobs_ = std::move(kept);
    updateHeader();
}

void JobsPanel::removeJob(int id)
{
    const auto it
        = std::find_if(jobs_.begin(), jobs_.end(), [id](const Job &j) { return j.id == id; });
    if (it == jobs_.end())
        return;
    rows_->removeWidget(it->row);
    delete it->row;
    jobs_.erase(it);
    updateHeader();
    if (runningCount() == 0)
        ticker_->stop();
}

void JobsPanel::follow(JobService *service)
{
    connect(service, &JobService::jobStarted, this,
            [this, service](int job, const QString &title) {
                const int row = addJob(title);
                rowOf_.insert(job, row);
                if (service->options(job).transient)
                    transient_.insert(row);
            });
    connect(service, &JobService::jobProgressed, this,
            [this](int job, double fraction, const QString &what) {
                setProgress(rowOf(job), fraction, what);
            });
    connect(service, &JobService::jobFinished, this,
            [this](int job, JobState state, const QString &message) {
                const int row = rowOf(job);
                const State end = state == JobState::Done ? State::Done
                    : state == JobState::Failed           ? State::Failed
                                                          : State::Cancelled;
                finishJob(row, end, message);
                if (transient_.remove(row) && end != State::Failed) {
                    rowOf_.remove(job);
                    removeJob(row);
                }
            });
    connect(this, &JobsPanel::cancelRequested, service, [this, service](int row) {
        if (const int job = rowOf_.key(row, -1); job >= 0)
            service->cancel(job);
    });
}

int JobsPanel::runningCount() const
{
    return static_cast<int>(std::count_if(jobs_.begin(), jobs_.end(),
                                          [](const Job &j) { return j.state == State::Running; }));
}

std::vector<int> JobsPanel::jobIds() const
{
    std::vector<int> ids;
    for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it)
        ids.push_back(it->id);
    return ids;
}

const JobsPanel::Job *JobsPanel::find(int id) const
{
    const auto it
        = std::find_if(jobs_.begin(), jobs_.end(), [id](const Job &j) { return j.id == id; });
    return it == jobs_.end() ? nullptr : &*it;
}

JobsPanel::Job *JobsPanel::find(int id)
{
    return const_cast<Job *>(static_cast<const JobsPanel *>(this)->find(id));
}

JobsPanel::State JobsPanel::stateOf(int id) const
{
    const Job *job = find(id);
    return job ? job->state : State::Unknown;
}

double JobsPanel::progressOf(int id) const
{
    const Job *job = find(id);
    return job ? job->fraction : -1.0;
}

QString JobsPanel::titleOf(int id) const
{
    const Job *job = find(id);
    return job ? job->title : QString();
}

QString JobsPanel::statusOf(int id) const
{
    const Job *job = find(id);
    return job ? job->statusLabel->text() : QString();
}

QString JobsPanel::elapsedText(int id) const
{
    const Job *job = find(id);
    if (!job)
        return {};
    const bool running = job->state == State::Running;
    const qint64 end = running ? now() : job->endMs;
    return formatDuration(static_cast<double>(end - job->startMs) / 1000.0, !running);
}

QString JobsPanel::etaText(int id) const
{
    const Job *job = find(id);
    return job ? etaFor(*job) : QString();
}

QAbstractButton *JobsPanel::cancelButton(int id) const
{
    const Job *job = find(id);
    return job ? job->cancel : nullptr;
}

QAbstractButton *JobsPanel::clearFinishedButton() const { return clear_; }

QString JobsPanel::etaFor(const Job &job) const
{
    if (job.state != State::Running)
        return {};
    const double elapsed = static_cast<double>(now() - job.startMs) / 1000.0;
    const auto left = estimateRemainingSeconds(elapsed, job.fraction);
    return left ? formatDuration(*left) : QStringLiteral("\u2014");
}

void JobsPanel::refreshTimes()
{
    for (Job &job : jobs_)
        if (job.state == State::Running)
            refreshRow(job);
}

void JobsPanel::refreshRow(Job &job)
{
    // Work that reports no progress (opening a model, reading a project) shows a busy bar.
    const bool busy = job.state == State::Running && job.fraction <= 0.0;
    job.bar->setRange(0, busy ? 0 : kBarSteps);
    job.bar->setValue(static_cast<int>(std::lround(job.fraction * kBarSteps)));
    const QString elapsed = elapsedText(job.id);
    QString status;
    switch (job.state) {
    case State::Running:
        job.timeLabel->setText(tr("%1 \u00b7 ETA %2").arg(elapsed, etaFor(job)));
        job.timeLabel->setToolTip(tr("Elapsed time \u00b7 estimated time left"));
        status = job.cancelAsked ? tr("Cancelling\u2026")
                                 : (job.step.isEmpty() ? tr("Starting\u2026") : job.step);
        setTextColor(job.statusLabel, palette().color(QPalette::WindowText));
        break;
    case State::Done:
        job.timeLabel->setText(elapsed);
        job.timeLabel->setToolTip(tr("Elapsed time"));
        status = job.message.isEmpty() ? tr("Done in %1").arg(elapsed)
                                       : tr("Done in %1: %2").arg(elapsed, job.message);
        setTextColor(job.statusLabel, kDoneColor);
        break;
    case State::Failed:
        job.timeLabel->setText(elapsed);
        job.timeLabel->setToolTip(tr("Elapsed time"));
        status = job.message.isEmpty() ? tr("Failed") : job.message;
        setTextColor(job.statusLabel, kErrorColor);
        break;
    case State::Cancelled:
    case State::Unknown:
        job.timeLabel->setText(elapsed);
        job.timeLabel->setToolTip(tr("Elapsed time"));
        status = job.message.isEmpty() ? tr("Cancelled") : job.message;
        setTextColor(job.statusLabel, kCancelledColor);
        break;
    }
    job.statusLabel->setText(status);
    job.statusLabel->setToolTip(status);
    const bool running = job.state == State::Running;
    job.cancel->setEnabled(running && !job.cancelAsked);
    job.cancel->setText(running && job.cancelAsked ? tr("Cancelling\u2026") : tr("Cancel"));
}

void JobsPanel::updateHeader()
{
    const int running = runningCount();
    const int finished = jobCount() - running;
    header_->setText(jobs_.empty() ? tr("No jobs")
                                   : tr("%1 running, %2 finished").arg(running).arg(finished));
    clear_->setEnabled(finished > 0);
    empty_->setVisible(jobs_.empty());
}

} // namespace cwb::gui
