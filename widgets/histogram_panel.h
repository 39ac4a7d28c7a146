// SPDX-License-Identifier: MIT
#pragma once
// The selected tensor's value histogram. The histogram is computed on the global thread pool
// (QtConcurrent), never on the GUI thread; a newer request raises the older job's cancel flag,
// and a late result of a superseded job is dropped.

#include "histogram_chart.h"

#include <QFuture>
#include <QHash>
#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

struct HistogramJobResult;

class HistogramPanel : public QWidget {
    Q_OBJECT

public:
    explicit HistogramPanel(QWidget *parent = nullptr);
    ~HistogramPanel() override; // cancels and waits for running jobs

    // Cancels any running job and clears the chart.
    void setModel(std::shared_ptr<const cwb::Model> model);
    // Starts computing the histogram of the tensor with this canonical or original name.
    void showTensor(const QString &nameOrCanonical);

    // Markers (outlier thresholds) and a note line under the chart for `tensor` (original
    // name), shown with its histogram: now when it is on screen, else when it arrives. They
    // replace any earlier ones.
    void setMarkers(const QString &tensor, std::vector<HistogramMarker> markers,
                    const QString &note = {});

    [[nodiscard]] QString currentTensor() const { return tensor_; }
    // Original name of the tensor whose histogram is on screen; empty when none.
    [[nodiscard]] QString shownTensor() const { return shown_; }
    [[nodiscard]] bool isBusy() const { return running_ > 0; }
    [[nodiscard]] HistogramChart *chart() const { return chart_; }
    [[nodiscard]] QCheckBox *logCountsBox() const { return logBox_; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] QString noteText() const;

Q_SIGNALS:
    // The histogram of `tensor` (original name) is on screen.
    void histogramShown(const QString &tensor);
    void histogramFailed(const QString &tensor, const QString &message);

private:
    void startJob();
    void finishJob(quint64 generation, const HistogramJobResult &result);
    void cancelRunning();
    void showMarkers(); // the markers and note, if they belong to the shown histogram

    std::shared_ptr<const cwb::Model> model_;
    QString tensor_;
    quint64 generation_ = 0;
    std::shared_ptr<std::atomic<bool>> cancel_; // flag of the newest job
    QHash<quint64, QFuture<void>> pending_;     // by generation
    int running_ = 0;
    QString shown_;
    QString markerTensor_;
    std::vector<HistogramMarker> markers_;
    QString markerNote_;

    HistogramChart *chart_ = nullptr;
    QCheckBox *logBox_ = nullptr;
    QComboBox *rangeBox_ = nullptr;
    QLabel *status_ = nullptr;
    QLabel *note_ = nullptr;
    QProgressBar *progress_ = nullptr;
};

} // namespace cwb::gui
