// SPDX-License-Identifier: MIT
#pragma once
// llama2.c's own encoder (run.c), kept as the plain reference SpmTokenizer is tested against:
// BOS, the dummy-prefix space, one token per code point (or its bytes as byte tokens when the
// code point is not a piece), then, round after round, merge the adjacent pair whose
// concatenation is the best-scoring piece, the first such pair on ties, until none is left.
// Quadratic in the text length: for tests, not for whole files.

#include "tokenizer/scored_vocab.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace cwb {

[[nodiscard]] std::vector<int32_t> encodeLlama2cStyle(const ScoredVocab &vocab,
                                                      std::string_view text, bool addBos);

} // namespace cwb
