// SPDX-License-Identifier: MIT
#pragma once
// The options of Analysis -> Analyze Model: singular-value spectra on or off, the outlier factor
// k, and an optional calibration text (with how many sequences of how many tokens) for the
// input-activation statistics. The choices are remembered in QSettings.

#include "analysis/model_analysis.h"

#include <QDialog>

class QCheckBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace cwb::gui {

class AnalyzeDialog : public QDialog {
    Q_OBJECT

public:
    explicit AnalyzeDialog(QWidget *parent = nullptr);
    ~AnalyzeDialog() override;

    // The longest sequence the open model takes (its context length); 0: no limit known.
    void setContextLimit(int64_t tokens);
    // What the analysis runs with.
    [[nodiscard]] cwb::ModelAnalysisParams params() const;

    [[nodiscard]] QCheckBox *spectraBox() const { return spectra_; }
    [[nodiscard]] QDoubleSpinBox *outlierFactorBox() const { return factor_; }
    [[nodiscard]] QLineEdit *calibrationEdit() const { return calibration_; }
    [[nodiscard]] QSpinBox *sequencesBox() const { return sequences_; }
    [[nodiscard]] QSpinBox *tokensBox() const { return tokens_; }

    void accept() override; // also remembers the choices

private:
    void chooseCalibrationText();
    void updateControls();

    QCheckBox *spectra_ = nullptr;
    QDoubleSpinBox *factor_ = nullptr;
    QLineEdit *calibration_ = nullptr;
    QSpinBox *sequences_ = nullptr;
    QSpinBox *tokens_ = nullptr;
};

} // namespace cwb::gui
