// SPDX-License-Identifier: MIT
#pragma once
// The Layer Plan dock: the editable plan (LayerPlanView) over a calibration text field and the
// Compress buttons. Compress runs the plan as a CompressionJob (listed in the Jobs panel, with
// progress, ETA and Cancel); each finished tensor's errors stream into the plan's "Last error"
// column and the per-layer error chart as they arrive; the finished result is announced with
// resultReady (the window offers it to the Evaluate panel and the histogram overlay).
// "Compress and save…" also writes a .cwbarchive (atomically; a cancelled run writes nothing).

#include "compress/compressed_model.h"

#include <QHash>
#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

class CompressionJob;
class JobsPanel;
class LayerErrorChart;
class LayerPlanView;
struct TensorResult;

class CompressionPanel : public QWidget {
    Q_OBJECT

public:
    // `jobs` and `chart` (owned elsewhere, may be null) show the runs and their errors.
    CompressionPanel(JobsPanel *jobs, LayerErrorChart *chart, QWidget *parent = nullptr);
    ~CompressionPanel() override; // cancels and waits for a running compression

    void setModel(std::shared_ptr<const cwb::Model> model);
    void setCalibrationPath(const QString &path);
    // Starts compressing with the current plan; `archivePath` non-empty also writes the
    // archive. False (with the reason in messageText()) when the plan has errors, a run is
    // going, or no model is open.
    bool compress(const QString &archivePath = {});
    void cancel();

    [[nodiscard]] LayerPlanView *planView() const { return view_; }
    [[nodiscard]] QLineEdit *calibrationEdit() const { return calib_; }
    [[nodiscard]] QPushButton *compressButton() const { return compress_; }
    [[nodiscard]] bool isRunning() const;
    [[nodiscard]] QString messageText() const;
    [[nodiscard]] std::shared_ptr<const cwb::CompressedModel> lastResult() const { return result_; }
    [[nodiscard]] int lastJobId() const { return jobId_; }

Q_SIGNALS:
    void resultReady(std::shared_ptr<const cwb::CompressedModel> result);
    void compressionFailed(const QString &message);

private:
    void chooseCalibration();
    void chooseArchiveAndCompress();
    void onTensorFinished(const TensorResult &r);
    void showMessage(const QString &text, bool error);
    void updateControls();

    std::shared_ptr<const cwb::Model> model_;
    JobsPanel *jobs_ = nullptr;
    LayerErrorChart *chart_ = nullptr;
    LayerPlanView *view_ = nullptr;
    QLineEdit *calib_ = nullptr;
    QSpinBox *sequences_ = nullptr;
    QPushButton *compress_ = nullptr;
    QPushButton *compressSave_ = nullptr;
    QPushButton *cancel_ = nullptr;
    QLabel *message_ = nullptr;
    CompressionJob *job_ = nullptr;
    int jobId_ = -1;
    QHash<QString, double> relErrors_, outErrors_;
    std::shared_ptr<const cwb::CompressedModel> result_;
};

} // namespace cwb::gui
