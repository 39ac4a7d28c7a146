// SPDX-License-Identifier: MIT
#pragma once
// The Layer Plan panel: a toolbar (Undo, Redo, Fill Down, Clear Overrides, Import Recipe…,
// Export Recipe…), the plan table (LayerPlanModel in a tree view with one editor per kind of
// cell) and a totals line. Editing a cell while several rows are selected applies the value to
// every selected tensor where that field applies (a selected group row stands for its tensors),
// as one undo command; Ctrl+D fills the current cell's value down into the selected rows below
// it. Import and export read and write the recipe JSON (written atomically); every change to
// the plan is undoable through the model's QUndoStack.

#include <QStyledItemDelegate>
#include <QWidget>

#include <functional>

class QAction;
class QLabel;
class QTreeView;

namespace cwb::gui {

class LayerPlanModel;

// Editors of the plan's cells: a combo box of the slot's methods (plus "none" for prune and low
// rank), of allowed values (group sizes, N:M patterns, choices), or a spin box with the
// parameter's range. The tensors an edit applies to are fixed when the editor opens (`targets`),
// so a click that changes the selection while editing cannot change what the edit touches.
class LayerPlanDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    using Targets = std::function<QList<int>(const QModelIndex &)>;
    LayerPlanDelegate(LayerPlanModel *model, Targets targets, QObject *parent = nullptr);

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option,
                          const QModelIndex &index) const override;
    void updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(QWidget *editor, QAbstractItemModel *model,
                      const QModelIndex &index) const override;

private:
    LayerPlanModel *model_;
    Targets targets_;
};

class LayerPlanView : public QWidget {
    Q_OBJECT

public:
    // Shows and edits `model` (the document's plan, which outlives the view); null: a plan model
    // of its own.
    explicit LayerPlanView(LayerPlanModel *model = nullptr, QWidget *parent = nullptr);
    ~LayerPlanView() override;

    // The model the panel shows and edits: setModel / setRecipe / setCalibrationAvailable /
    // setTensorErrors go there.
    [[nodiscard]] LayerPlanModel *planModel() const { return model_; }
    [[nodiscard]] QTreeView *treeView() const { return tree_; }
    [[nodiscard]] QAction *undoAction() const { return undo_; }
    [[nodiscard]] QAction *redoAction() const { return redo_; }
    [[nodiscard]] QAction *fillDownAction() const { return fillDown_; }
    [[nodiscard]] QAction *clearOverridesAction() const { return clearOverrides_; }
    [[nodiscard]] QAction *importAction() const { return import_; }
    [[nodiscard]] QAction *exportAction() const { return export_; }
    // The totals line and the plan problems line under the table, as shown.
    [[nodiscard]] QString totalsText() const;
    [[nodiscard]] QString problemsText() const;
    // The message of the last refused edit (empty after a successful one).
    [[nodiscard]] QString messageText() const;

    // The selected tensors in display order (a selected group row gives its members).
    [[nodiscard]] QList<int> selectedTensors() const;
    // What an edit of `index` applies to: the selected tensors when its row is selected, else
    // its tensor alone.
    [[nodiscard]] QList<int> editTargets(const QModelIndex &index) const;

    // Fill Down: the current cell's value into the selected rows below it. False when nothing
    // could be filled.
    bool fillDown();
    // Clear Overrides: the selected tensors go back to the recipe's defaults and rules.
    bool clearSelectedOverrides();

    // Without dialogs (the actions ask for a file, then call these). False with a message that
    // names the file; an imported recipe replaces the plan as one undoable command.
    bool importRecipeFile(const QString &path, QString *error = nullptr);
    bool exportRecipeFile(const QString &path, QString *error = nullptr);

public Q_SLOTS:
    void chooseImportFile();
    void chooseExportFile();

private:
    void updateTotals();
    void updateActions();
    // Columns to their contents; growOnly (after edits) keeps them from jumping narrower.
    void fitColumns(bool growOnly);
    void showMessage(const QString &message);

    LayerPlanModel *model_ = nullptr;
    QTreeView *tree_ = nullptr;
    QLabel *totals_ = nullptr;
    QLabel *problems_ = nullptr;
    QLabel *message_ = nullptr;
    QAction *undo_ = nullptr;
    QAction *redo_ = nullptr;
    QAction *fillDown_ = nullptr;
    QAction *clearOverrides_ = nullptr;
    QAction *import_ = nullptr;
    QAction *export_ = nullptr;
    QString lastDir_;
};

} // namespace cwb::gui
