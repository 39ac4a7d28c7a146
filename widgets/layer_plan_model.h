// SPDX-License-Identifier: MIT
#pragma once
// The Layer Plan table's item model: the per-tensor compression plan that the GUI edits. The
// document is a cwb::Recipe (so it exports, and the CLI runs it); the rows show
// resolvePlan(recipe, model, {calibration}), re-resolved after every change (cheap: no tensor
// data is read). Every edit of a tensor's field becomes, or merges into, that tensor's entry in
// the recipe's `overrides` (recipe/recipe_edit.h), and goes through the undo stack as one
// command, however many tensors it touches.
//
// Shape: a two-level tree, as in the model browser: group rows ("model", "layers.N", generic
// layer names, "other") over tensor rows. Cells that do not apply to a tensor's method are empty
// and not editable. Rows named by a plan error are red, by a warning yellow; the tooltip says
// why. Fields set by an override (the edits) are bold.

#include "layer_plan_commands.h"

#include "recipe/plan.h"
#include "recipe/recipe.h"
#include "recipe/recipe_edit.h"

#include "grouped_tree_model.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

class QUndoStack;

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

class LayerPlanModel : public GroupedTreeModel {
    Q_OBJECT

public:
    enum Column {
        TensorColumn,
        QuantizeColumn,     // quantize method
        BitsColumn,         // "bits" of rtn / gptq / awq
        GroupColumn,        // "group" of rtn / gptq / awq, "block_size" of nf4
        FormatColumn,       // the stored form in words (not editable)
        PruneColumn,        // prune method, "none" when the slot is empty
        SparsityColumn,     // "sparsity" of the prune method
        NmColumn,           // "nm" of the prune method
        LowRankColumn,      // low-rank method, "none" when the slot is empty
        RankColumn,         // "rank" of the low-rank method (0 = from the spectrum)
        StructureColumn,    // structure method (prune_channels / prune_heads / drop_block), "none"
        KeepColumn,         // "keep" of the structure method (fraction kept)
        ShapeColumn,        // the shape, and the shape after the structure step (not editable)
        BytesColumn,        // estimated stored bytes
        BitsPerWeightColumn, // estimated stored bits per weight
        ErrorColumn,        // relative error of the last compression run (setTensorErrors)
        ColumnCount
    };
    enum Role {
        TensorIndexRole = Qt::UserRole + 1, // int: index in Model::tensors; -1 for group rows
        ProblemRole,                        // int: 0 none, 1 warning, 2 error (row level)
    };

    // What one editable cell of a tensor changes: a slot's method (param empty) or one param.
    struct Field {
        cwb::MethodSlot slot = cwb::MethodSlot::Quantize;
        std::string method; // the method the slot resolves to ("none" for an empty slot)
        std::string param;  // empty: the method itself
    };

    explicit LayerPlanModel(QObject *parent = nullptr);
    ~LayerPlanModel() override;

    void setModel(std::shared_ptr<const cwb::Model> model);
    [[nodiscard]] const std::shared_ptr<const cwb::Model> &model() const { return model_; }

    // A new document: replaces the recipe and clears the undo stack.
    void setRecipe(cwb::Recipe recipe);
    // An undoable replacement (Import recipe…): one command with `undoText`.
    void changeRecipe(cwb::Recipe recipe, const QString &undoText);
    // Sets the recipe and re-resolves without touching the undo stack (the commands' undo/redo).
    void restoreRecipe(const cwb::Recipe &recipe);
    [[nodiscard]] const cwb::Recipe &recipe() const { return recipe_; }
    [[nodiscard]] const cwb::Plan &plan() const { return plan_; }
    [[nodiscard]] const cwb::PlanTotals &totals() const { return plan_.totals; }

    // Whether calibration text is available (Hessian-based methods need it; without it they are
    // plan errors).
    void setCalibrationAvailable(bool available);
    [[nodiscard]] bool calibrationAvailable() const { return calibration_; }

    [[nodiscard]] QUndoStack *undoStack() const { return undo_; }

    // Relative errors of the last compression run, by canonical name (original name for tensors
    // without one), shown in the Last error column.
    void setTensorErrors(const QHash<QString, double> &errors);
    void clearTensorErrors();
    [[nodiscard]] const QHash<QString, double> &tensorErrors() const { return errors_; }

    // Edits. Each call is one undo command named `undoText` (a default text such as
    // "Set bits = 3 on 12 tensors" when empty), applied to every listed tensor where the field
    // applies and the value is allowed; tensors already holding the value are skipped. False
    // when the value is refused for every tensor it applies to (see lastEditError()); true
    // otherwise, also when nothing had to change (then nothing is pushed).
    bool setField(const QList<int> &tensors, int column, const QVariant &value,
                  const QString &undoText = {});
    // Fill down: the value of `column` in `source` to those of `tensors` shown below it (where
    // the field applies); one command. False when nothing changed (lastEditError() says why
    // when something was wrong).
    bool fillDown(int source, const QList<int> &tensors, int column);
    // Removes the overrides of the tensors (back to defaults and rules); one command.
    bool clearOverrides(const QList<int> &tensors);
    [[nodiscard]] QString lastEditError() const { return lastEditError_; }

    // The field behind a cell; nullopt where the column does not apply to the tensor's plan.
    [[nodiscard]] std::optional<Field> field(int tensor, int column) const;
    // The table entry an edit of that cell is checked against (nullptr for method columns).
    [[nodiscard]] const cwb::ParamSpec *paramSpec(int tensor, int column) const;
    // The slot a method column edits; nullopt for other columns.
    [[nodiscard]] static std::optional<cwb::MethodSlot> methodSlot(int column);
    // "bits", "group", "quantize", ... as undo texts name the column's field.
    [[nodiscard]] static QString fieldName(int column);

    // Tensor rows. tensorAt: index in Model::tensors, -1 for group rows and invalid indexes.
    [[nodiscard]] int tensorAt(const QModelIndex &index) const;
    [[nodiscard]] QModelIndex indexOfTensor(int tensor, int column = 0) const;
    [[nodiscard]] QModelIndex indexOfTensor(const QString &nameOrCanonical, int column = 0) const;
    // The tensors a row stands for: a group's members, or the tensor itself.
    [[nodiscard]] QList<int> tensorsOf(const QModelIndex &index) const;
    // Position of a tensor in display order (groups in order, then members), for "below".
    [[nodiscard]] int displayPosition(int tensor) const;
    // The plan's errors / warnings naming the tensor; and those naming no tensor of the model.
    [[nodiscard]] QStringList rowErrors(int tensor) const;
    [[nodiscard]] QStringList rowWarnings(int tensor) const;
    [[nodiscard]] QStringList otherProblems() const { return otherProblems_; }
    // Tensors the recipe's overrides name (the edited ones).
    [[nodiscard]] int overriddenTensors() const;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

Q_SIGNALS:
    // The recipe, the calibration flag or the model changed: plan(), totals() are new.
    void planChanged();
    // An edit was refused for every tensor it applied to (the message of lastEditError()).
    void editRefused(const QString &message);

protected:
    [[nodiscard]] int groupCount() const override;
    [[nodiscard]] int memberCount(int group) const override;

private:
    struct Group {
        QString name;
        std::vector<int> tensors; // indexes into model_->tensors
    };
    struct RowProblems {
        QStringList errors, warnings;
    };

    void rebuildGroups();
    static void carrySharedParams(cwb::Recipe &recipe, const cwb::TensorKey &key,
                                  const cwb::SlotPlan &old, const std::string &method);
    void computePlan(); // recipe_ -> plan_ and the problems per row
    void resolve();     // computePlan(), then dataChanged over every cell and planChanged
    // Tensors changed, or -1 when the value was refused for every tensor it applies to.
    int applyField(const QList<int> &tensors, int column, const QVariant &value, bool fillDown,
                   const QString &undoText);
    void pushChange(RecipeChangeCommand::Kind kind, cwb::Recipe after, int tensors,
                    const QString &text);
    QVariant groupData(const Group &g, int column, int role) const;
    QVariant tensorData(int tensor, int column, int role) const;
    QVariant displayValue(const cwb::TensorPlan &tp, int column) const;
    QVariant editValue(const cwb::TensorPlan &tp, int column) const;
    QString cellToolTip(const cwb::TensorPlan &tp, int column) const;
    QString formatText(const cwb::TensorPlan &tp) const;
    [[nodiscard]] QList<int> withStructureMembers(const QList<int> &tensors, int column,
                                                  const QVariant &value) const;
    static QString shapeText(const cwb::TensorPlan &tp);
    std::optional<double> lastError(const cwb::TensorPlan &tp) const;
    QString tensorLabel(int tensor) const;

    std::shared_ptr<const cwb::Model> model_;
    cwb::Recipe recipe_;
    cwb::Plan plan_;
    bool calibration_ = false;
    std::vector<Group> groups_;
    std::vector<std::pair<int, int>> rowOf_; // tensor -> (group, row)
    std::vector<RowProblems> problems_;      // per tensor
    QStringList otherProblems_;
    QHash<QString, double> errors_;
    QString lastEditError_;
    QUndoStack *undo_ = nullptr;
};

} // namespace cwb::gui
