// SPDX-License-Identifier: MIT
#pragma once
// The selected tensor's value histogram, of the document's model. The histogram is computed as a
// JobService job (transient in the Jobs dock), never on the GUI thread; a newer request cancels
// the older job, and a late result of a superseded job is dropped. A comparison (e.g. the
// dequantized tensor after compression, computed elsewhere) can be set per tensor: when that
// tensor is shown, the comparison's values are counted in the original's bins by a job of the
// same kind and drawn over the bars as an outline.

#include "histogram_chart.h"

#include <QHash>
#include <QSet>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;

namespace cwb {
struct JobContext;
} // namespace cwb

namespace cwb::gui {

class Document;
struct HistogramJobResult;

class HistogramPanel : public QWidget {
    Q_OBJECT

public:
    // Histograms of `document`'s tensors. A new model cancels any running job, clears the chart
    // and drops all comparisons.
    explicit HistogramPanel(Document *document, QWidget *parent = nullptr);
    ~HistogramPanel() override; // cancels running jobs

    // Starts computing the histogram of the tensor with this canonical or original name.
    void showTensor(const QString &nameOrCanonical);

    // Markers (outlier thresholds) and a note line under the chart for `tensor` (original
    // name), shown with its histogram: now when it is on screen, else when it arrives. They
    // replace any earlier ones.
    void setMarkers(const QString &tensor, std::vector<HistogramMarker> markers,
                    const QString &note = {});

    // Values to compare with `tensor` (original or canonical name), e.g. its dequantized
    // reconstruction; `label` names them in the legend ("dequantized"). When `tensor` is on
    // screen now or later, their histogram in the same bins is drawn over the original's.
    // Replaces an earlier comparison for the same tensor.
    void setComparison(const QString &tensor, std::shared_ptr<const std::vector<float>> values,
                       const QString &label);
    void clearComparisons();
    [[nodiscard]] bool hasComparison(const QString &tensor) const;

    [[nodiscard]] QString currentTensor() const { return tensor_; }
    // Original name of the tensor whose histogram is on screen; empty when none.
    [[nodiscard]] QString shownTensor() const { return shown_; }
    [[nodiscard]] bool isBusy() const { return !running_.isEmpty(); }
    [[nodiscard]] HistogramChart *chart() const { return chart_; }
    [[nodiscard]] QCheckBox *logCountsBox() const { return logBox_; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] QString noteText() const;

Q_SIGNALS:
    // The histogram of `tensor` (original name) is on screen.
    void histogramShown(const QString &tensor);
    void histogramFailed(const QString &tensor, const QString &message);
    // The comparison of `tensor` (original name) is drawn over its histogram.
    void comparisonShown(const QString &tensor);

private:
    struct Comparison {
        std::shared_ptr<const std::vector<float>> values;
        QString label;
    };
    using JobWork = std::function<void(HistogramJobResult &, const cwb::JobContext &)>;

    void onModelChanged();
    void startJob();
    // Runs `work` (filling a copy of `base`) as a job; its result, or `base` with the error,
    // reaches finishJob / finishComparison on the GUI thread. `main`: the selected tensor's
    // histogram (drives the progress bar). Returns the job id.
    int launch(quint64 generation, bool main, const QString &title, HistogramJobResult base,
               JobWork work);
    void finishJob(quint64 generation, const HistogramJobResult &result);
    void finishComparison(quint64 generation, const HistogramJobResult &result);
    void startComparison(); // for the shown histogram, when it has one
    [[nodiscard]] const Comparison *comparisonFor(const QString &tensor) const;
    void cancelRunning();
    void showMarkers(); // the markers and note, if they belong to the shown histogram

    Document *document_ = nullptr;
    QString tensor_;
    quint64 generation_ = 0;
    int job_ = 0;                  // the newest histogram job
    int comparisonJob_ = 0;        // the newest comparison job
    quint64 comparisonSerial_ = 0; // a newer comparison job wins
    QSet<int> running_;            // every job not finished yet
    QHash<QString, Comparison> comparisons_; // by the name given to setComparison
    QString shownStatus_;                    // status line of the shown histogram
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
