// SPDX-License-Identifier: MIT
#pragma once
// Undo commands of the Layer Plan table. Every edit (one cell, a bulk edit over a selection, a
// fill-down, clearing overrides, importing a recipe) is one command holding the recipe before
// and after: undo and redo swap whole recipes, which is exact (no inverse operations to get
// wrong) and cheap (a recipe is a few overrides; the plan is re-resolved from it).

#include "recipe/recipe.h"

#include <QUndoCommand>

namespace cwb::gui {

class LayerPlanModel;

class RecipeChangeCommand : public QUndoCommand {
public:
    enum class Kind { SetField, FillDown, ClearOverrides, ReplaceRecipe };

    RecipeChangeCommand(LayerPlanModel *model, Kind kind, cwb::Recipe before, cwb::Recipe after,
                        int tensors, const QString &text, QUndoCommand *parent = nullptr);

    void undo() override;
    void redo() override;

    [[nodiscard]] Kind kind() const { return kind_; }
    [[nodiscard]] int tensorCount() const { return tensors_; } // tensors the edit changed
    [[nodiscard]] const cwb::Recipe &before() const { return before_; }
    [[nodiscard]] const cwb::Recipe &after() const { return after_; }

private:
    LayerPlanModel *model_;
    Kind kind_;
    cwb::Recipe before_, after_;
    int tensors_;
};

} // namespace cwb::gui
