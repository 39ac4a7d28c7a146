// SPDX-License-Identifier: MIT
#include "layer_plan_view.h"

#include "layer_plan_model.h"

#include "recipe/recipe_edit.h"
#include "util/error.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QMouseEvent>
#include <QRect>
#include <QSaveFile>
#include <QSpinBox>
#include <QToolBar>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>

namespace cwb::gui {
namespace {

const char *const kTargetsProperty = "cwbEditTargets";

QString q(const std::string &s) { return QString::fromStdString(s); }

int clampInt(double v) { return static_cast<int>(std::clamp(v, double(INT_MIN), double(INT_MAX))); }

// A double-click on a row of a multi-row selection would first shrink the selection to that
// row (the click's release), so the edit would reach one tensor. The selection seen at the
// first press is put back before the double-click starts editing.
class PlanTreeView : public QTreeView {
public:
    using QTreeView::QTreeView;

protected:
    void mousePressEvent(QMouseEvent *event) override
    {
        pressSelection_.clear();
        if (selectionModel())
            for (const QModelIndex &row : selectionModel()->selectedRows())
                pressSelection_ << QPersistentModelIndex(row);
        QTreeView::mousePressEvent(event);
    }

    void mouseDoubleClickEvent(QMouseEvent *event) override
    {
        const QModelIndex at = indexAt(event->position().toPoint());
        if (at.isValid() && pressSelection_.size() > 1 && selectionModel()
            && pressSelection_.contains(QPersistentModelIndex(at.siblingAtColumn(0)))) {
            QItemSelection selection;
            for (const QPersistentModelIndex &row : pressSelection_)
                if (row.isValid())
                    selection.select(row, row);
            selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect
                                                    | QItemSelectionModel::Rows);
        }
        QTreeView::mouseDoubleClickEvent(event);
    }

private:
    QList<QPersistentModelIndex> pressSelection_;
};

QString groupLabel(int64_t g)
{
    if (g == -1)
        return LayerPlanModel::tr("row (-1)");
    if (g == 0)
        return LayerPlanModel::tr("tensor (0)");
    return QString::number(g);
}

} // namespace

// ---- delegate -------------------------------------------------------------------------------

LayerPlanDelegate::LayerPlanDelegate(LayerPlanModel *model, Targets targets, QObject *parent)
    : QStyledItemDelegate(parent), model_(model), targets_(std::move(targets))
{
}

QWidget *LayerPlanDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &option,
                                         const QModelIndex &index) const
{
    const int tensor = model_->tensorAt(index);
    const int column = index.column();
    if (!model_->field(tensor, column))
        return nullptr;
    QWidget *editor = nullptr;
    if (const auto slot = LayerPlanModel::methodSlot(column)) {
        auto *box = new QComboBox(parent);
        if (*slot != cwb::MethodSlot::Quantize)
            box->addItem(tr("none"), QStringLiteral("none"));
        for (const cwb::MethodSpec &m : cwb::methodTable()) {
            if (m.slot != *slot)
                continue;
            box->addItem(q(m.name), q(m.name));
            QString tip = q(m.summary);
            if (m.needsCalibration)
                tip += QLatin1Char('\n') + tr("Needs calibration text");
            box->setItemData(box->count() - 1, tip, Qt::ToolTipRole);
        }
        editor = box;
    } else if (const cwb::ParamSpec *spec = model_->paramSpec(tensor, column)) {
        switch (spec->type) {
        case cwb::ParamType::Int:
            if (!spec->intChoices.empty()) {
                auto *box = new QComboBox(parent);
                for (int64_t v : spec->intChoices)
                    box->addItem(spec->name == "group" ? groupLabel(v) : QString::number(v),
                                 static_cast<qlonglong>(v));
                editor = box;
            } else {
                auto *spin = new QSpinBox(parent);
                spin->setRange(clampInt(spec->min), clampInt(spec->max));
                if (spec->name == "rank")
                    spin->setSpecialValueText(tr("auto"));
                editor = spin;
            }
            break;
        case cwb::ParamType::Float: {
            auto *spin = new QDoubleSpinBox(parent);
            constexpr int kDecimals = 3;
            const double step = std::pow(10.0, -kDecimals);
            spin->setDecimals(kDecimals);
            spin->setRange(spec->openMin ? spec->min + step : spec->min,
                           spec->openMax ? spec->max - step : spec->max);
            spin->setSingleStep(0.05);
            editor = spin;
            break;
        }
        case cwb::ParamType::Choice: {
            auto *box = new QComboBox(parent);
            for (const std::string &c : spec->choices)
                box->addItem(q(c), q(c));
            editor = box;
            break;
        }
        case cwb::ParamType::Bool: {
            auto *box = new QComboBox(parent);
            box->addItem(tr("true"), true);
            box->addItem(tr("false"), false);
            editor = box;
            break;
        }
        }
    }
    if (!editor)
        return QStyledItemDelegate::createEditor(parent, option, index);
    if (auto *box = qobject_cast<QComboBox *>(editor)) {
        // Choosing from the list is the edit: commit at once.
        connect(box, &QComboBox::activated, this, [this, box] {
            Q_EMIT const_cast<LayerPlanDelegate *>(this)->commitData(box);
            Q_EMIT const_cast<LayerPlanDelegate *>(this)->closeEditor(box);
        });
    }
    editor->setProperty(kTargetsProperty, QVariant::fromValue(targets_(index)));
    return editor;
}

void LayerPlanDelegate::updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option,
                                             const QModelIndex &index) const
{
    // Narrow columns (Bits is two digits wide) still get a usable spin box or combo box.
    QRect rect = option.rect;
    rect.setWidth(std::max(rect.width(), editor->sizeHint().width()));
    editor->setGeometry(rect);
}

void LayerPlanDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const
{
    const QVariant value = index.data(Qt::EditRole);
    if (auto *box = qobject_cast<QComboBox *>(editor)) {
        int at = -1;
        for (int i = 0; i < box->count() && at < 0; ++i) {
            const QVariant item = box->itemData(i);
            if (item.typeId() == QMetaType::LongLong ? item.toLongLong() == value.toLongLong()
                                                     : item == value)
                at = i;
        }
        box->setCurrentIndex(std::max(at, 0));
    } else if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
        spin->setValue(clampInt(value.toDouble()));
    } else if (auto *dspin = qobject_cast<QDoubleSpinBox *>(editor)) {
        dspin->setValue(value.toDouble());
    } else {
        QStyledItemDelegate::setEditorData(editor, index);
    }
}

void LayerPlanDelegate::setModelData(QWidget *editor, QAbstractItemModel *model,
                                     const QModelIndex &index) const
{
    QVariant value;
    if (auto *box = qobject_cast<QComboBox *>(editor)) {
        value = box->currentData();
    } else if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
        spin->interpretText();
        value = static_cast<qlonglong>(spin->value());
    } else if (auto *dspin = qobject_cast<QDoubleSpinBox *>(editor)) {
        dspin->interpretText();
        value = dspin->value();
    } else {
        QStyledItemDelegate::setModelData(editor, model, index);
        return;
    }
    QList<int> targets = editor->property(kTargetsProperty).value<QList<int>>();
    if (targets.isEmpty())
        targets = targets_(index);
    model_->setField(targets, index.column(), value);
}

// ---- panel ----------------------------------------------------------------------------------

LayerPlanView::LayerPlanView(LayerPlanModel *model, QWidget *parent)
    : QWidget(parent), model_(model ? model : new LayerPlanModel(this)),
      tree_(new PlanTreeView(this)),
      totals_(new QLabel(this)), problems_(new QLabel(this)), message_(new QLabel(this))
{
    QUndoStack *stack = model_->undoStack();
    undo_ = stack->createUndoAction(this, tr("Undo"));
    undo_->setIconText(tr("Undo"));
    undo_->setShortcut(QKeySequence::Undo);
    redo_ = stack->createRedoAction(this, tr("Redo"));
    redo_->setIconText(tr("Redo"));
    redo_->setShortcut(QKeySequence::Redo);
    fillDown_ = new QAction(tr("Fill Down"), this);
    fillDown_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    fillDown_->setToolTip(tr("Copy the current cell's value into the selected rows below it "
                             "(Ctrl+D)"));
    clearOverrides_ = new QAction(tr("Clear Overrides"), this);
    clearOverrides_->setToolTip(tr("Give the selected tensors back to the recipe's defaults and "
                                   "rules"));
    import_ = new QAction(tr("Import Recipe\u2026"), this);
    import_->setToolTip(tr("Replace the plan with a recipe file"));
    export_ = new QAction(tr("Export Recipe\u2026"), this);
    export_->setToolTip(tr("Save the plan as a recipe file (runs with cwb compress --plan)"));
    for (QAction *a : {undo_, redo_, fillDown_, clearOverrides_, import_, export_}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
    }
    connect(fillDown_, &QAction::triggered, this, [this] { fillDown(); });
    connect(clearOverrides_, &QAction::triggered, this, [this] { clearSelectedOverrides(); });
    connect(import_, &QAction::triggered, this, &LayerPlanView::chooseImportFile);
    connect(export_, &QAction::triggered, this, &LayerPlanView::chooseExportFile);

    auto *toolbar = new QToolBar(this);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    toolbar->addAction(undo_);
    toolbar->addAction(redo_);
    toolbar->addSeparator();
    toolbar->addAction(fillDown_);
    toolbar->addAction(clearOverrides_);
    toolbar->addSeparator();
    toolbar->addAction(import_);
    toolbar->addAction(export_);

    tree_->setModel(model_);
    tree_->setItemDelegate(new LayerPlanDelegate(
        model_, [this](const QModelIndex &index) { return editTargets(index); }, tree_));
    tree_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    tree_->setSelectionBehavior(QAbstractItemView::SelectRows);
    tree_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
                           | QAbstractItemView::AnyKeyPressed);
    tree_->setUniformRowHeights(true);
    tree_->setAlternatingRowColors(true);
    tree_->header()->setStretchLastSection(false);
    tree_->header()->setSectionsMovable(false);

    totals_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    problems_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message_->setWordWrap(true);
    message_->setVisible(false);
    QPalette red = message_->palette();
    red.setColor(QPalette::WindowText, QColor(170, 0, 0));
    message_->setPalette(red);

    // The problems count first: the totals line may wrap in a narrow dock, the count must not
    // be pushed out of sight.
    totals_->setWordWrap(true);
    auto *status = new QHBoxLayout;
    status->setContentsMargins(4, 0, 4, 2);
    status->setSpacing(12);
    status->addWidget(problems_);
    status->addWidget(totals_, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(toolbar);
    layout->addWidget(tree_, 1);
    layout->addWidget(message_);
    layout->addLayout(status);

    connect(model_, &QAbstractItemModel::modelReset, this, [this] {
        tree_->expandAll();
        fitColumns(false);
    });
    connect(model_, &LayerPlanModel::planChanged, this, [this] {
        fitColumns(true);
        updateTotals();
        updateActions();
    });
    connect(model_, &LayerPlanModel::editRefused, this, &LayerPlanView::showMessage);
    connect(model_->undoStack(), &QUndoStack::indexChanged, this, [this] { showMessage({}); });
    connect(tree_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &LayerPlanView::updateActions);
    connect(tree_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &LayerPlanView::updateActions);
    updateTotals();
    updateActions();
}

LayerPlanView::~LayerPlanView()
{
    // ~QWidget deletes the children after this body, when this is no longer a LayerPlanView:
    // a model of our own (and its undo stack, whose destructor emits indexChanged) and the tree's
    // selection model must not reach our slots then (UBSan: member call on a destroyed type).
    disconnect(tree_->selectionModel(), nullptr, this, nullptr);
    if (static_cast<QObject *>(model_)->parent() == this) {
        disconnect(model_, nullptr, this, nullptr);
        disconnect(model_->undoStack(), nullptr, this, nullptr);
    }
}

QString LayerPlanView::totalsText() const { return totals_->text(); }
QString LayerPlanView::problemsText() const { return problems_->text(); }
QString LayerPlanView::messageText() const { return message_->text(); }

void LayerPlanView::showMessage(const QString &message)
{
    message_->setText(message);
    message_->setVisible(!message.isEmpty());
}

void LayerPlanView::fitColumns(bool growOnly)
{
    QHeaderView *header = tree_->header();
    for (int c = 0; c < LayerPlanModel::ColumnCount; ++c) {
        const int before = header->sectionSize(c);
        tree_->resizeColumnToContents(c);
        if (growOnly && header->sectionSize(c) < before)
            header->resizeSection(c, before);
    }
    // Method columns keep room for the longest method name, so a changed method does not widen
    // them (the editors themselves may be wider than their cells: updateEditorGeometry).
    const int methodWidth =
        tree_->fontMetrics().horizontalAdvance(QStringLiteral("sparsegpt")) + 16;
    for (int c : {LayerPlanModel::QuantizeColumn, LayerPlanModel::PruneColumn,
                  LayerPlanModel::LowRankColumn})
        header->resizeSection(c, std::max(header->sectionSize(c), methodWidth));
}

void LayerPlanView::updateTotals()
{
    const cwb::Plan &plan = model_->plan();
    const cwb::PlanTotals &t = plan.totals;
    const QLocale locale;
    auto bytes = [&](uint64_t v) {
        return locale.formattedDataSize(static_cast<qint64>(v), 2, QLocale::DataSizeIecFormat);
    };
    if (!model_->model()) {
        totals_->setText(tr("No model"));
        problems_->clear();
        problems_->setToolTip({});
        return;
    }
    const QString ratio =
        t.compressionRatio > 0
            ? tr("%1\u00d7 smaller").arg(locale.toString(t.compressionRatio, 'f', 2))
            : QStringLiteral("\u2013");
    totals_->setText(tr("%1 of %2 tensors compressed (%3 edited) \u00b7 estimated %4 of %5 \u00b7 "
                        "%6 bits/weight (now %7) \u00b7 %8")
                         .arg(t.changed)
                         .arg(t.tensors)
                         .arg(model_->overriddenTensors())
                         .arg(bytes(t.estimatedBytes), bytes(t.originalBytes),
                              locale.toString(t.estimatedBitsPerWeight, 'f', 2),
                              locale.toString(t.originalBitsPerWeight, 'f', 2), ratio));
    if (t.parametersAfter != t.parameters)
        totals_->setText(totals_->text() + QStringLiteral(" \u00b7 ")
                         + tr("%1 of %2 parameters kept (%3%)")
                               .arg(locale.toString(static_cast<qlonglong>(t.parametersAfter)),
                                    locale.toString(static_cast<qlonglong>(t.parameters)),
                                    locale.toString(100.0 * double(t.parametersAfter)
                                                        / double(t.parameters),
                                                    'f', 1)));
    totals_->setToolTip(tr("Sizes are estimates computed from shapes and settings; no data is "
                           "read until the plan runs."));

    const int errors = static_cast<int>(plan.errors.size());
    const int warnings = static_cast<int>(plan.warnings.size());
    QColor colour(0, 120, 0);
    if (errors > 0)
        colour = QColor(170, 0, 0);
    else if (warnings > 0)
        colour = QColor(150, 95, 0);
    problems_->setText(errors == 0 && warnings == 0
                           ? tr("No plan problems")
                           : tr("Errors: %1 \u00b7 Warnings: %2").arg(errors).arg(warnings));
    QPalette palette = problems_->palette();
    palette.setColor(QPalette::WindowText, colour);
    problems_->setPalette(palette);
    QStringList lines;
    for (const cwb::RecipeProblem &p : plan.errors)
        lines << tr("Error: %1").arg(q(p.text()));
    for (const cwb::RecipeProblem &p : plan.warnings)
        lines << tr("Warning: %1").arg(q(p.text()));
    constexpr int kMaxLines = 30;
    if (lines.size() > kMaxLines) {
        const auto more = lines.size() - kMaxLines;
        lines = lines.mid(0, kMaxLines);
        lines << tr("\u2026 and %1 more").arg(more);
    }
    problems_->setToolTip(lines.join(QLatin1Char('\n')));
}

void LayerPlanView::updateActions()
{
    const bool haveModel = model_->model() != nullptr;
    const QList<int> selected = selectedTensors();
    bool overridden = false;
    for (int t : selected)
        overridden = overridden
                  || !model_->plan().tensors[static_cast<size_t>(t)].overrideName.empty();
    clearOverrides_->setEnabled(overridden);
    const QModelIndex current = tree_->currentIndex();
    fillDown_->setEnabled(haveModel && selected.size() > 1
                          && model_->field(model_->tensorAt(current), current.column()));
    import_->setEnabled(haveModel);
    export_->setEnabled(haveModel);
}

QList<int> LayerPlanView::selectedTensors() const
{
    std::set<int> seen;
    QList<int> out;
    for (const QModelIndex &row : tree_->selectionModel()->selectedRows())
        for (int t : model_->tensorsOf(row))
            if (t >= 0 && seen.insert(t).second)
                out << t;
    std::sort(out.begin(), out.end(), [this](int a, int b) {
        return model_->displayPosition(a) < model_->displayPosition(b);
    });
    return out;
}

QList<int> LayerPlanView::editTargets(const QModelIndex &index) const
{
    const int tensor = model_->tensorAt(index);
    if (tensor < 0)
        return {};
    if (!tree_->selectionModel()->isRowSelected(index.row(), index.parent()))
        return {tensor};
    QList<int> out = selectedTensors();
    if (!out.contains(tensor))
        out.prepend(tensor);
    return out;
}

bool LayerPlanView::fillDown()
{
    const QModelIndex current = tree_->currentIndex();
    const int source = model_->tensorAt(current);
    if (source < 0)
        return false;
    const bool done = model_->fillDown(source, selectedTensors(), current.column());
    if (!done && !model_->lastEditError().isEmpty())
        showMessage(model_->lastEditError());
    return done;
}

bool LayerPlanView::clearSelectedOverrides() { return model_->clearOverrides(selectedTensors()); }

bool LayerPlanView::importRecipeFile(const QString &path, QString *error)
{
    try {
        cwb::ParsedRecipe parsed = cwb::readRecipeFile(path.toStdString());
        if (!parsed.problems.empty())
            cwb::throwProblems(path.toStdString(), "recipe", parsed.problems);
        model_->changeRecipe(std::move(parsed.recipe),
                             tr("Import recipe %1").arg(QFileInfo(path).fileName()));
        return true;
    } catch (const cwb::Error &e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

bool LayerPlanView::exportRecipeFile(const QString &path, QString *error)
{
    const std::string json = cwb::recipeToJson(model_->recipe());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    if (file.write(json.data(), static_cast<qint64>(json.size()))
            != static_cast<qint64>(json.size())
        || !file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

void LayerPlanView::chooseImportFile()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Import Recipe"), lastDir_, tr("Recipes (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    lastDir_ = QFileInfo(path).absolutePath();
    QString error;
    if (!importRecipeFile(path, &error))
        QMessageBox::warning(this, tr("Import Recipe"), error);
}

void LayerPlanView::chooseExportFile()
{
    const std::string &name = model_->recipe().name;
    QString suggested =
        name.empty() ? QStringLiteral("recipe.json") : q(name) + QStringLiteral(".json");
    suggested.replace(QLatin1Char('/'), QLatin1Char('-'));
    if (!lastDir_.isEmpty())
        suggested = lastDir_ + QLatin1Char('/') + suggested;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Recipe"), suggested,
                                                      tr("Recipes (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    lastDir_ = QFileInfo(path).absolutePath();
    QString error;
    if (!exportRecipeFile(path, &error))
        QMessageBox::warning(this, tr("Export Recipe"), error);
}

} // namespace cwb::gui
