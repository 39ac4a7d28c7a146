// SPDX-License-Identifier: MIT
#pragma once
// The Structures tab of the Model Overview: which FFN channels, KV groups and blocks of the open
// model matter (core's prune/structure_analysis.h, run as a Jobs dock job on a calibration
// text). Left: each layer's FFN channel scores sorted, most important first, with the cut at
// the kept fraction; right: the blocks' angular distance and ΔKLD when skipped, the least
// important block marked. The line below says what the cut removes (new FFN width, parameters
// and bytes saved, whether llama.cpp loads the shapes) and how the two block rankings agree.

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QSpinBox;

namespace cwb {
struct StructureScores;
struct Model;
} // namespace cwb

namespace cwb::gui {

class Document;
class StructureScoreChart;

class StructurePanel : public QWidget {
    Q_OBJECT

public:
    explicit StructurePanel(Document *document, QWidget *parent = nullptr);
    ~StructurePanel() override; // cancels and waits for a running analysis

    // Scores the open model on `calibrationPath`; false with the reason in statusText() when no
    // model is open, no text is given or a run is going.
    bool run(const QString &calibrationPath);
    void setKeepPercent(int percent);
    void refresh();

    [[nodiscard]] StructureScoreChart *channelChart() const { return channels_; }
    [[nodiscard]] StructureScoreChart *blockChart() const { return blocks_; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] QString summaryText() const;
    [[nodiscard]] int jobId() const { return job_; }

Q_SIGNALS:
    void finished(bool ok);

private:
    Document *document_ = nullptr;
    QComboBox *scoreBox_ = nullptr;
    QSpinBox *keepBox_ = nullptr;
    QLabel *summary_ = nullptr;
    QLabel *status_ = nullptr;
    StructureScoreChart *channels_ = nullptr;
    StructureScoreChart *blocks_ = nullptr;
    std::shared_ptr<const cwb::StructureScores> scores_;
    std::shared_ptr<const cwb::Model> scoredModel_;
    int job_ = 0;
};

} // namespace cwb::gui
