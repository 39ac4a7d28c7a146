// SPDX-License-Identifier: MIT
#pragma once
// File > Export…: the open model, or its last compression, written for another engine (GGUF,
// safetensors, compressed-tensors) or its Layer Plan as another tool's recipe (llm-compressor,
// llama.cpp, GPTQModel). Every change of the options previews, as a quiet background job, what
// each tensor becomes (nothing is written); Export runs the export as a Jobs dock job (progress,
// Cancel) and the same table then shows the verification: the written files read back and each
// tensor compared with the source. The request itself is core's (export/export.h); the dialog
// only collects the choices.

#include "export/export.h"

#include <QDialog>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace cwb::gui {

class Document;
class ExportTableModel;

class ExportDialog : public QDialog {
    Q_OBJECT

public:
    explicit ExportDialog(Document *document, QWidget *parent = nullptr);
    ~ExportDialog() override; // cancels and waits for its jobs

    void setTarget(cwb::ExportTarget target);
    [[nodiscard]] cwb::ExportTarget target() const;
    void setOutputPath(const QString &path);
    // The calibration text the llama.cpp target computes its imatrix from (empty: no imatrix).
    void setCalibrationPath(const QString &path);
    // Starts the export; false (with the reason shown) when no model is open, no output path is
    // given or an export is already running.
    bool startExport();
    // Previews again now (the dialog does so by itself shortly after any change).
    void refreshPreview();

    [[nodiscard]] ExportTableModel *table() const { return model_; }
    [[nodiscard]] QComboBox *targetBox() const { return target_; }
    [[nodiscard]] QComboBox *sourceBox() const { return source_; }
    [[nodiscard]] QComboBox *requantizeBox() const { return requantize_; }
    [[nodiscard]] QPushButton *exportButton() const { return export_; }
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] int exportJobId() const { return exportJob_; }

Q_SIGNALS:
    void previewShown();
    void exportFinished(bool ok);

private:
    // What a job needs, held by value or shared pointer (never the widgets).
    struct Inputs {
        cwb::ExportRequest request;
        std::shared_ptr<const cwb::Model> model;
        std::shared_ptr<const cwb::CompressedModel> compressed;
        std::shared_ptr<const cwb::Plan> plan;
        QString calibrationPath;
        // The request pointing at what this holds (valid while it lives).
        [[nodiscard]] cwb::ExportRequest bound() const;
    };
    [[nodiscard]] Inputs collect(bool preview) const;
    void schedulePreview();
    void chooseOutput();
    void chooseCalibration();
    void updateControls();
    void fitColumns();
    void showStatus(const QString &text, bool error);

    Document *document_ = nullptr;
    QComboBox *source_ = nullptr;
    QComboBox *target_ = nullptr;
    QLineEdit *output_ = nullptr;
    QComboBox *floatType_ = nullptr;
    QComboBox *requantize_ = nullptr;
    QLineEdit *calibration_ = nullptr;
    QPushButton *calibrationBrowse_ = nullptr;
    QLabel *status_ = nullptr;
    QTableView *view_ = nullptr;
    QPlainTextEdit *notes_ = nullptr;
    QPushButton *export_ = nullptr;
    ExportTableModel *model_ = nullptr;
    QTimer *previewTimer_ = nullptr;
    int previewJob_ = 0;
    int exportJob_ = 0;
};

} // namespace cwb::gui
