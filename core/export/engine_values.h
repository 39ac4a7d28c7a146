// SPDX-License-Identifier: MIT
#pragma once
// The values an export writes for a compressed tensor when the target cannot hold its stored
// form: the weights the engine multiplies with. For matrices with AWQ scales folded into the
// preceding norm that is the stored matrix itself (W diag(s)): every export writes the norm
// folded too, so the layer computes what the engine computes. Otherwise reconstruct(): codes
// dequantized, AWQ's explicit input multipliers divided out, pruning masks applied, low-rank
// factors multiplied.

#include "compress/compressed_model.h"

#include <vector>

namespace cwb {

[[nodiscard]] std::vector<float> engineValues(const CompressedTensor &ct);

// How every export's verification compares what it read back with what the source decodes to:
// bit for bit (same size, same bits), and otherwise the largest |a - b| (infinity for a size
// mismatch or a NaN on either side).
[[nodiscard]] bool bitIdentical(const std::vector<float> &a, const std::vector<float> &b);
[[nodiscard]] double maxAbsDifference(const std::vector<float> &a, const std::vector<float> &b);

} // namespace cwb
