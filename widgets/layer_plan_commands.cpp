// SPDX-License-Identifier: MIT
#include "layer_plan_commands.h"

#include "layer_plan_model.h"

namespace cwb::gui {

RecipeChangeCommand::RecipeChangeCommand(LayerPlanModel *model, Kind kind, cwb::Recipe before,
                                         cwb::Recipe after, int tensors, const QString &text,
                                         QUndoCommand *parent)
    : QUndoCommand(text, parent), model_(model), kind_(kind), before_(std::move(before)),
      after_(std::move(after)), tensors_(tensors)
{
}

void RecipeChangeCommand::undo() { model_->restoreRecipe(before_); }

void RecipeChangeCommand::redo() { model_->restoreRecipe(after_); }

} // namespace cwb::gui
