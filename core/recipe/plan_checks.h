// SPDX-License-Identifier: MIT
#pragma once
// The model-dependent checks of a resolved plan (used by resolvePlan): what each tensor's shape,
// storage and the available calibration allow. Every failure is appended to plan.errors (and
// questionable but runnable settings to plan.warnings); nothing stops at the first.

#include "model/model.h"
#include "recipe/plan.h"

namespace cwb {

void checkTensorPlans(Plan &plan, const Model &model, const PlanOptions &options);

} // namespace cwb
