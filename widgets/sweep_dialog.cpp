// SPDX-License-Identifier: MIT
#include "sweep_dialog.h"

#include "methods/registry.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace cwb::gui {
namespace {

QListWidgetItem *checkedItem(QListWidget *list, const QString &text, bool checked)
{
    auto *item = new QListWidgetItem(text, list);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
    item->setToolTip(text);
    return item;
}

std::vector<std::string> checkedPaths(const QListWidget *list)
{
    std::vector<std::string> out;
    for (int i = 0; i < list->count(); ++i)
        if (list->item(i)->checkState() == Qt::Checked)
            out.push_back(list->item(i)->text().toStdString());
    return out;
}

} // namespace

QStringList SweepDialog::mixtureNames()
{
    // The mixtures users compare against most, largest first (recipe/llama_mixture.h).
    return {QStringLiteral("Q8_0"),   QStringLiteral("Q6_K"), QStringLiteral("Q5_K_M"),
            QStringLiteral("Q4_K_M"), QStringLiteral("Q4_0"), QStringLiteral("Q3_K"),
            QStringLiteral("Q2_K")};
}

SweepDialog::SweepDialog(const SweepDefaults &d, QWidget *parent)
    : QDialog(parent), planJson_(d.planJson)
{
    setWindowTitle(tr("Run Sweep"));
    setObjectName(QStringLiteral("sweepDialog"));

    project_ = new QLineEdit(d.projectPath);
    project_->setObjectName(QStringLiteral("sweepProject"));
    text_ = new QLineEdit(d.textPath);
    text_->setObjectName(QStringLiteral("sweepText"));
    context_ = new QSpinBox;
    context_->setRange(2, 1 << 20);
    context_->setValue(d.nCtx);
    chunks_ = new QSpinBox;
    chunks_->setRange(0, 1 << 20);
    chunks_->setSpecialValueText(tr("all"));
    chunks_->setValue(d.chunks);
    latency_ = new QCheckBox(tr("Measure prefill and decode speed"));
    integer_ = new QCheckBox(tr("Integer activations (llama.cpp's Q8 arithmetic)"));
    integer_->setObjectName(QStringLiteral("sweepIntegerActivations"));
    integer_->setToolTip(tr("Quantized matrices multiply Q8-rounded inputs in integers, as "
                            "llama.cpp does: its perplexities and its speed. With float "
                            "activations a 4-bit matrix decodes slower than the original"));
    calibration_ = new QLineEdit(d.calibrationPath);
    // The list of methods outgrew the field: the hint stays short, the tooltip names them all.
    calibration_->setPlaceholderText(tr("only for plans that need statistics (see tooltip)"));
    calibration_->setToolTip(tr("Calibration text, needed by %1")
                                 .arg(QString::fromStdString(cwb::calibrationNeeds())));

    auto *where = new QFormLayout;
    where->addRow(tr("Project:"),
                  pathRow(project_, tr("Project for the Evaluation History"),
                          tr("Compression Workbench projects (*.cwbproj)"), true));
    where->addRow(tr("Evaluation text:"),
                  pathRow(text_, tr("Evaluation Text"), tr("Text files (*.txt *.raw);;All files (*)"),
                          false));
    auto *numbers = new QHBoxLayout;
    numbers->addWidget(new QLabel(tr("n_ctx")));
    numbers->addWidget(context_);
    numbers->addSpacing(12);
    numbers->addWidget(new QLabel(tr("windows")));
    numbers->addWidget(chunks_);
    numbers->addSpacing(12);
    numbers->addWidget(latency_);
    numbers->addStretch(1);
    where->addRow(tr("Evaluation:"), numbers);
    where->addRow(QString(), integer_);
    where->addRow(tr("Calibration text:"),
                  pathRow(calibration_, tr("Calibration Text"),
                          tr("Text files (*.txt *.raw);;All files (*)"), false));

    original_ = new QCheckBox(tr("The original model (the KLD base)"));
    original_->setChecked(true);
    plan_ = new QCheckBox(tr("The Layer Plan's recipe"));
    plan_->setEnabled(!d.planJson.isEmpty());
    plan_->setChecked(!d.planJson.isEmpty());
    mixtures_ = new QListWidget;
    mixtures_->setObjectName(QStringLiteral("sweepMixtures"));
    mixtures_->setFlow(QListView::LeftToRight);
    mixtures_->setWrapping(true);
    mixtures_->setMaximumHeight(mixtures_->fontMetrics().height() * 3);
    for (const QString &m : mixtureNames())
        checkedItem(mixtures_, m, m == QLatin1String("Q4_K_M"));
    budgets_ = new QLineEdit;
    budgets_->setObjectName(QStringLiteral("sweepBudgets"));
    budgets_->setEnabled(d.haveSensitivity);
    budgets_->setPlaceholderText(d.haveSensitivity
                                     ? tr("bits/weight, e.g. 4.5 5.0 6.0")
                                     : tr("needs the sensitivity (Analysis \u2192 Measure "
                                          "Sensitivity\u2026)"));
    recipes_ = new QListWidget;
    recipes_->setObjectName(QStringLiteral("sweepRecipes"));
    references_ = new QListWidget;
    references_->setObjectName(QStringLiteral("sweepReferences"));
    for (QListWidget *l : {recipes_, references_})
        l->setMaximumHeight(l->fontMetrics().height() * 4 + 8);

    const auto fileList = [this](QListWidget *list, const QString &title, const QString &filter) {
        auto *row = new QHBoxLayout;
        row->addWidget(list, 1);
        auto *buttons = new QVBoxLayout;
        auto *add = new QPushButton(tr("Add\u2026"));
        auto *remove = new QPushButton(tr("Remove"));
        buttons->addWidget(add);
        buttons->addWidget(remove);
        buttons->addStretch(1);
        row->addLayout(buttons);
        connect(add, &QPushButton::clicked, this,
                [this, list, title, filter] { addFiles(list, title, filter); });
        connect(remove, &QPushButton::clicked, list, [list] { delete list->currentItem(); });
        return row;
    };
    auto *points = new QGroupBox(tr("Points"));
    auto *pointsForm = new QFormLayout(points);
    pointsForm->addRow(original_);
    pointsForm->addRow(plan_);
    pointsForm->addRow(tr("llama.cpp mixtures:"), mixtures_);
    pointsForm->addRow(tr("Solver budgets:"), budgets_);
    pointsForm->addRow(tr("Recipe files:"),
                       fileList(recipes_, tr("Recipes to Sweep"), tr("Recipes (*.json)")));
    pointsForm->addRow(tr("Reference files:"),
                       fileList(references_, tr("Reference Files of This Model"),
                                tr("Models (*.gguf *.safetensors *.bin *.cwbarchive);;"
                                   "All files (*)")));

    error_ = new QLabel;
    error_->setObjectName(QStringLiteral("sweepError"));
    error_->setWordWrap(true);
    error_->setStyleSheet(QStringLiteral("color: #b00020"));
    error_->hide();
    auto *note = new QLabel(tr("Each point is compressed and evaluated in turn and joins the "
                               "project's evaluation history as it finishes; points already "
                               "there are not measured again, so a cancelled sweep resumes."));
    note->setWordWrap(true);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Run Sweep"));
    connect(buttons, &QDialogButtonBox::accepted, this, &SweepDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SweepDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(where);
    layout->addWidget(points, 1);
    layout->addWidget(note);
    layout->addWidget(error_);
    layout->addWidget(buttons);
    resize(640, sizeHint().height());
}

QWidget *SweepDialog::pathRow(QLineEdit *edit, const QString &title, const QString &filter,
                              bool save)
{
    auto *row = new QWidget;
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    auto *browse = new QToolButton;
    browse->setText(QStringLiteral("\u2026"));
    browse->setToolTip(title);
    layout->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this, edit, title, filter, save] {
        const QString path = save ? QFileDialog::getSaveFileName(this, title, edit->text(), filter,
                                                                 nullptr,
                                                                 QFileDialog::DontConfirmOverwrite)
                                  : QFileDialog::getOpenFileName(this, title, edit->text(), filter);
        if (!path.isEmpty())
            edit->setText(path);
    });
    return row;
}

void SweepDialog::addFiles(QListWidget *list, const QString &title, const QString &filter)
{
    for (const QString &path : QFileDialog::getOpenFileNames(this, title, {}, filter))
        checkedItem(list, path, true);
}

void SweepDialog::addReferenceFile(const QString &path) { checkedItem(references_, path, true); }

void SweepDialog::addRecipeFile(const QString &path) { checkedItem(recipes_, path, true); }

void SweepDialog::setMixtures(const QStringList &mixtures)
{
    for (int i = 0; i < mixtures_->count(); ++i)
        mixtures_->item(i)->setCheckState(mixtures.contains(mixtures_->item(i)->text())
                                              ? Qt::Checked
                                              : Qt::Unchecked);
}

void SweepDialog::setBudgets(const QString &text) { budgets_->setText(text); }

void SweepDialog::setOriginal(bool on) { original_->setChecked(on); }

void SweepDialog::setPlan(bool on) { plan_->setChecked(on && plan_->isEnabled()); }

bool SweepDialog::parseBudgets(const QString &text, std::vector<double> *out)
{
    out->clear();
    for (const QString &part :
         text.split(QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double v = part.toDouble(&ok);
        if (!ok || !(v > 0) || v > 64)
            return false;
        out->push_back(v);
    }
    return true;
}

SweepSetup SweepDialog::setup(QString *error) const
{
    SweepSetup s;
    s.projectPath = project_->text().trimmed();
    s.evaluation.textPath = text_->text().trimmed().toStdString();
    s.evaluation.nCtx = context_->value();
    s.evaluation.chunks = chunks_->value();
    s.evaluation.latency = latency_->isChecked();
    s.evaluation.integerActivations = integer_->isChecked();
    s.calibration.path = calibration_->text().trimmed().toStdString();
    s.points.original = original_->isChecked();
    s.points.planName = tr("Layer Plan").toStdString();
    if (plan_->isChecked())
        s.points.planJson = planJson_.toStdString();
    for (int i = 0; i < mixtures_->count(); ++i)
        if (mixtures_->item(i)->checkState() == Qt::Checked)
            s.points.mixtures.push_back(mixtures_->item(i)->text().toStdString());
    const bool budgetsOk = !budgets_->isEnabled()
                           || parseBudgets(budgets_->text(), &s.points.budgetsBpw);
    s.points.recipeFiles = checkedPaths(recipes_);
    s.points.referenceFiles = checkedPaths(references_);

    QString why;
    const size_t count = size_t(s.points.original) + size_t(plan_->isChecked())
                         + s.points.mixtures.size() + s.points.budgetsBpw.size()
                         + s.points.recipeFiles.size() + s.points.referenceFiles.size();
    if (s.projectPath.isEmpty())
        why = tr("Choose the project file whose evaluation history the points join.");
    else if (!QFileInfo(QString::fromStdString(s.evaluation.textPath)).isFile())
        why = tr("Choose an existing evaluation text.");
    else if (!budgetsOk)
        why = tr("Solver budgets: give bits/weight as numbers, e.g. 4.5 5.0");
    else if (count == 0)
        why = tr("Choose at least one point to measure.");
    if (error)
        *error = why;
    return s;
}

void SweepDialog::accept()
{
    QString why;
    (void)setup(&why);
    if (!why.isEmpty()) {
        error_->setText(why);
        error_->show();
        return;
    }
    QDialog::accept();
}

} // namespace cwb::gui
