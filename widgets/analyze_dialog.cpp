// SPDX-License-Identifier: MIT
#include "analyze_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace cwb::gui {
namespace {

const QString kSpectraKey = QStringLiteral("analysis/spectra");
const QString kFactorKey = QStringLiteral("analysis/outlierFactor");
const QString kCalibrationKey = QStringLiteral("analysis/calibrationText");
const QString kSequencesKey = QStringLiteral("analysis/sequences");
const QString kTokensKey = QStringLiteral("analysis/tokensPerSequence");

// A quick first look: enough tokens for stable channel maxima, seconds on a small model.
constexpr int kDefaultSequences = 16;
constexpr int kDefaultTokens = 256;

} // namespace

AnalyzeDialog::AnalyzeDialog(QWidget *parent)
    : QDialog(parent), spectra_(new QCheckBox(tr("Singular-value &spectra"), this)),
      factor_(new QDoubleSpinBox(this)), calibration_(new QLineEdit(this)),
      sequences_(new QSpinBox(this)), tokens_(new QSpinBox(this))
{
    setWindowTitle(tr("Analyze Model"));
    const QSettings settings;

    spectra_->setToolTip(tr("Singular values, energy ranks, stable and effective rank and the "
                            "power-law alpha of every matrix. The costly part for large "
                            "models."));
    spectra_->setChecked(settings.value(kSpectraKey, true).toBool());
    factor_->setRange(1.5, 100.0);
    factor_->setDecimals(1);
    factor_->setSingleStep(0.5);
    factor_->setValue(settings.value(kFactorKey, 6.0).toDouble());
    factor_->setPrefix(tr("k = "));
    factor_->setToolTip(tr("A channel is an outlier when its abs-max exceeds k times the median "
                           "channel abs-max."));

    auto *weights = new QGroupBox(tr("Weights"), this);
    auto *weightsForm = new QFormLayout(weights);
    weightsForm->addRow(spectra_);
    weightsForm->addRow(tr("&Outlier factor:"), factor_);

    calibration_->setObjectName(QStringLiteral("calibrationText"));
    calibration_->setPlaceholderText(tr("Optional UTF-8 text file"));
    calibration_->setClearButtonEnabled(true);
    calibration_->setText(settings.value(kCalibrationKey).toString());
    auto *browse = new QToolButton(this);
    browse->setText(tr("Browse\u2026"));
    browse->setToolTip(tr("Choose the calibration text"));
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(calibration_, 1);
    fileRow->addWidget(browse);
    sequences_->setRange(1, 4096);
    sequences_->setValue(settings.value(kSequencesKey, kDefaultSequences).toInt());
    sequences_->setToolTip(tr("At most this many sequences (fewer when the text runs out)"));
    tokens_->setRange(16, 1 << 20);
    tokens_->setSingleStep(64);
    tokens_->setValue(settings.value(kTokensKey, kDefaultTokens).toInt());
    tokens_->setToolTip(tr("Tokens per sequence, BOS included"));

    auto *calibration = new QGroupBox(tr("Activations (calibration text)"), this);
    auto *calibrationForm = new QFormLayout(calibration);
    auto *explain = new QLabel(tr("With a text, the model runs over it and records the abs-max "
                                  "and mean square of every linear layer's input channels."),
                               this);
    explain->setWordWrap(true);
    calibrationForm->addRow(explain);
    auto *textLabel = new QLabel(tr("&Text:"), this);
    textLabel->setBuddy(calibration_); // a row holding a layout gets no buddy by itself
    calibrationForm->addRow(textLabel, fileRow);
    calibrationForm->addRow(tr("Se&quences:"), sequences_);
    calibrationForm->addRow(tr("To&kens per sequence:"), tokens_);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Analyze"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(weights);
    layout->addWidget(calibration);
    layout->addWidget(buttons);
    setMinimumWidth(460);

    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QToolButton::clicked, this, &AnalyzeDialog::chooseCalibrationText);
    connect(calibration_, &QLineEdit::textChanged, this, &AnalyzeDialog::updateControls);
    updateControls();
}

AnalyzeDialog::~AnalyzeDialog() = default;

void AnalyzeDialog::setContextLimit(int64_t tokens)
{
    const int limit = tokens > 0 ? static_cast<int>(std::min<int64_t>(tokens, 1 << 20)) : 1 << 20;
    tokens_->setMaximum(std::max(limit, tokens_->minimum()));
}

cwb::ModelAnalysisParams AnalyzeDialog::params() const
{
    cwb::ModelAnalysisParams p;
    p.spectra = spectra_->isChecked();
    p.stats.outlierFactor = factor_->value();
    p.calibrationText = calibration_->text().trimmed().toStdString();
    p.activations.sequences = sequences_->value();
    p.activations.tokensPerSequence = tokens_->value();
    p.activations.outlierFactor = factor_->value();
    return p;
}

void AnalyzeDialog::accept()
{
    QSettings settings;
    settings.setValue(kSpectraKey, spectra_->isChecked());
    settings.setValue(kFactorKey, factor_->value());
    settings.setValue(kCalibrationKey, calibration_->text().trimmed());
    settings.setValue(kSequencesKey, sequences_->value());
    settings.setValue(kTokensKey, tokens_->value());
    QDialog::accept();
}

void AnalyzeDialog::chooseCalibrationText()
{
    const QString start = calibration_->text().isEmpty()
        ? QString()
        : QFileInfo(calibration_->text()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Calibration Text"), start, tr("Text files (*.txt *.raw);;All files (*)"));
    if (!path.isEmpty())
        calibration_->setText(path);
}

void AnalyzeDialog::updateControls()
{
    const bool calibrated = !calibration_->text().trimmed().isEmpty();
    sequences_->setEnabled(calibrated);
    tokens_->setEnabled(calibrated);
}

} // namespace cwb::gui
