// SPDX-License-Identifier: MIT
#pragma once
// The Layer Plan dock: the document's editable plan (LayerPlanView) over a calibration text
// field and the Compress buttons. Compress runs cwb::compressModel over the plan as a JobService
// job (in the Jobs dock with progress, ETA and Cancel); each finished tensor's errors stream
// into the plan's "Last error" column and the per-layer error chart as they arrive; the
// finished result becomes the document's compression (the Evaluate panel and the histogram
// overlay take it from there) and is announced with resultReady. "Compress and save…" also
// writes a .cwbarchive (atomically; a cancelled run writes nothing).

#include "compress/compressed_model.h"

#include <QHash>
#include <QWidget>

#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace cwb::gui {

class Document;
class LayerErrorChart;
class LayerPlanView;
struct TensorResult;

class CompressionPanel : public QWidget {
    Q_OBJECT

public:
    // Compresses `document`'s model with its plan; `chart` (owned elsewhere, may be null)
    // shows each tensor's error.
    CompressionPanel(Document *document, LayerErrorChart *chart, QWidget *parent = nullptr);
    ~CompressionPanel() override; // cancels and waits for a running compression

    void setCalibrationPath(const QString &path);
    // Starts compressing with the current plan; `archivePath` non-empty also writes the
    // archive. False (with the reason in messageText()) when the plan has errors, a run is
    // going, or no model is open.
    bool compress(const QString &archivePath = {});
    void cancel();

    [[nodiscard]] LayerPlanView *planView() const { return view_; }
    [[nodiscard]] QLineEdit *calibrationEdit() const { return calib_; }
    [[nodiscard]] QSpinBox *sequencesBox() const { return sequences_; }
    [[nodiscard]] QSpinBox *seqLenBox() const { return seqLen_; }
    [[nodiscard]] QCheckBox *sequentialBox() const { return sequential_; }
    [[nodiscard]] QPushButton *compressButton() const { return compress_; }
    [[nodiscard]] bool isRunning() const { return job_ != 0; }
    [[nodiscard]] QString messageText() const;
    // The JobService id of the last compression started (-1 before the first).
    [[nodiscard]] int lastJobId() const { return lastJob_; }

Q_SIGNALS:
    void resultReady(std::shared_ptr<const cwb::CompressedModel> result);
    void compressionFailed(const QString &message);

private:
    void chooseCalibration();
    void chooseArchiveAndCompress();
    void onModelChanged();
    void onTensorFinished(quint64 generation, const TensorResult &r);
    void showMessage(const QString &text, bool error);
    void updateControls();

    Document *document_ = nullptr;
    LayerErrorChart *chart_ = nullptr;
    LayerPlanView *view_ = nullptr;
    QLineEdit *calib_ = nullptr;
    QSpinBox *sequences_ = nullptr;
    QSpinBox *seqLen_ = nullptr;
    QCheckBox *sequential_ = nullptr; // CompressParams::sequentialCalibration
    QPushButton *compress_ = nullptr;
    QPushButton *compressSave_ = nullptr;
    QPushButton *cancel_ = nullptr;
    QLabel *message_ = nullptr;
    int job_ = 0; // the running compression
    int lastJob_ = -1;
    quint64 generation_ = 0; // of the newest run; tensors of older ones are dropped
    QHash<QString, double> relErrors_, outErrors_;
};

} // namespace cwb::gui
