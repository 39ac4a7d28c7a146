// SPDX-License-Identifier: MIT
#pragma once
// What a fuzz target does with a model a reader accepted: everything a user's first look does
// (totals, every tensor's values dequantized, the tokenizer built and run once), so a header
// that passed the reader's checks but lies about sizes is caught where the bytes are used.

#include "model/model.h"

namespace cwb::fuzz {

void exerciseModel(const Model &model);

// Builds the model's tokenizer (when it names one) and encodes and decodes a short text.
void exerciseTokenizer(const Model &model);

} // namespace cwb::fuzz
