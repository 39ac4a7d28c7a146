// SPDX-License-Identifier: MIT
#pragma once
// Pieces the method files share: shared parameter specs, descriptor skeletons, byte counting and
// the calibration statistics a method requires. Only methods/*.cpp include this.

#include "methods/method.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cwb::methoddetail {

[[nodiscard]] inline uint64_t ceilDiv(uint64_t a, uint64_t b)
{
    return b == 0 ? 0 : (a + b - 1) / b;
}

// Codes of `bits`-bit values, every row starting on a byte boundary (quantized_tensor.h).
[[nodiscard]] inline uint64_t rowCodes(uint64_t rows, uint64_t cols, int bits)
{
    return rows * ceilDiv(cols * static_cast<uint64_t>(bits), 8);
}

// Descriptor skeletons with the slot set and no functions.
[[nodiscard]] MethodSpec quantizeMethod(std::string name, std::vector<ParamSpec> params,
                                        std::string summary);
[[nodiscard]] MethodSpec pruneMethod(std::string name, std::vector<ParamSpec> params,
                                     std::string summary);
[[nodiscard]] MethodSpec structureMethod(std::string name, std::vector<ParamSpec> params,
                                         std::string summary);
[[nodiscard]] MethodSpec lowRankMethod(std::string name, std::vector<ParamSpec> params,
                                       std::string summary);

// Parameters several methods share (same name, range, default and meaning).
[[nodiscard]] ParamSpec bitsParam(int64_t def);
[[nodiscard]] ParamSpec groupParam(int64_t def);
[[nodiscard]] ParamSpec symParam(bool def);
[[nodiscard]] ParamSpec dampParam();
[[nodiscard]] ParamSpec blockSizeParam();
[[nodiscard]] ParamSpec sparsityParam();
[[nodiscard]] ParamSpec nmParam();
[[nodiscard]] ParamSpec rankParam();
[[nodiscard]] ParamSpec energyParam();

// The calibration statistics a method needs; cwb::Error naming `method` when there are none.
const std::vector<double> &requireHessian(const InputStats &in, const std::string &method);
const std::vector<double> &requireMeanSquare(const InputStats &in, const std::string &method);

// A label without arguments.
[[nodiscard]] inline MethodLabel plainLabel(std::string text)
{
    return MethodLabel{std::move(text), {}};
}

} // namespace cwb::methoddetail
