// SPDX-License-Identifier: MIT
#pragma once
// Evaluate > Run Sweep… (and the Trade-offs dock's Run Sweep… / Add Reference…): which plans to
// measure on one text, into which project's evaluation history. The points are chosen, not
// made, here: the original model, the plan being edited, llama.cpp's mixtures, the budget
// solver at a list of bits/weight (with the model's sensitivity table), recipe files and
// reference files; core (sweep/sweep_plan.h) turns the choices into recipes and
// sweep/sweep.h measures them. The dialog only collects and checks the choices.

#include "sweep/sweep.h"
#include "sweep/sweep_plan.h"

#include <QDialog>
#include <QString>
#include <QStringList>

class QCheckBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;

namespace cwb::gui {

// What the dialog starts from (the window's current settings).
struct SweepDefaults {
    QString projectPath;
    QString textPath;
    int nCtx = 512;
    int chunks = 0;             // 0 = all windows
    QString calibrationPath;
    QString planJson;           // the Layer Plan's recipe; empty: nothing to measure
    bool haveSensitivity = false; // solver points are possible
};

// The choices, as core takes them (the request's table is the caller's to set).
struct SweepSetup {
    QString projectPath;
    cwb::SweepEvaluation evaluation;
    cwb::SweepCalibration calibration;
    cwb::SweepPlanRequest points;
};

class SweepDialog : public QDialog {
    Q_OBJECT

public:
    explicit SweepDialog(const SweepDefaults &defaults, QWidget *parent = nullptr);

    // Lists a reference file, checked (Add Reference… opens the dialog with one).
    void addReferenceFile(const QString &path);
    void addRecipeFile(const QString &path);
    // Ticks exactly these llama.cpp mixtures ("Q4_K_M", ...).
    void setMixtures(const QStringList &mixtures);
    void setBudgets(const QString &text);
    void setOriginal(bool on);
    void setPlan(bool on);

    // The choices; empty `error` when they can run, else why not (shown by accept()).
    [[nodiscard]] SweepSetup setup(QString *error = nullptr) const;
    // The bits/weight budgets in "4.5, 5.0" or "4.5 5"; false for text that is no such list.
    static bool parseBudgets(const QString &text, std::vector<double> *out);
    [[nodiscard]] static QStringList mixtureNames();

    void accept() override; // refuses (with the reason shown) what cannot run

private:
    QWidget *pathRow(QLineEdit *edit, const QString &title, const QString &filter, bool save);
    void addFiles(QListWidget *list, const QString &title, const QString &filter);

    QLineEdit *project_ = nullptr;
    QLineEdit *text_ = nullptr;
    QSpinBox *context_ = nullptr;
    QSpinBox *chunks_ = nullptr;
    QCheckBox *latency_ = nullptr;
    QCheckBox *integer_ = nullptr;
    QLineEdit *calibration_ = nullptr;
    QCheckBox *original_ = nullptr;
    QCheckBox *plan_ = nullptr;
    QListWidget *mixtures_ = nullptr;
    QLineEdit *budgets_ = nullptr;
    QListWidget *recipes_ = nullptr;
    QListWidget *references_ = nullptr;
    QLabel *error_ = nullptr;
    QString planJson_;
};

} // namespace cwb::gui
