// SPDX-License-Identifier: MIT
#pragma once
// The integer grid rtn, gptq and awq store (formats/quant_params.h RtnParams: codes, one scale
// per group / row / tensor, zero points unless symmetric): its exact bytes, its label and its
// export forms, shared by the three method files. Only methods/*.cpp include this.

#include "formats/quant_params.h"
#include "methods/method.h"

#include <cstdint>

namespace cwb::methoddetail {

// The recipe's bits / group / sym (group -1 = one scale per row, 0 = one per tensor) with
// `f16Scales`, as an RtnParams.
[[nodiscard]] RtnParams intGridOf(const ParamReader &p, bool f16Scales);
// gptq's and awq's group (0 = one scale per row); group 0 in the recipe throws cwb::Error.
[[nodiscard]] int rowGroupOf(const ParamReader &p, const std::string &method);
// Their plan check: a per-tensor scale (group 0) is not supported.
[[nodiscard]] std::optional<ParamProblem> perTensorGroupProblem(const ParamReader &p);

[[nodiscard]] int64_t groupRowMultiple(const ParamReader &p); // the group, or 1
[[nodiscard]] ByteEstimate intGridBytes(const ParamReader &p, const StoredShape &s,
                                        bool f16Scales);
[[nodiscard]] MethodLabel intGridLabel(const ParamReader &p, bool f16Scales);
[[nodiscard]] ExportForms intGridExportForms(const ParamReader &p, bool f16Scales);

// Fills the int-grid fields of a quantize descriptor (row multiple, bytes, label, export and
// recipe forms, zeros); the recipe forms are rtn's, which gptq and awq then adjust.
void setIntGridStorage(MethodSpec &m, bool hasF16ScalesParam);

} // namespace cwb::methoddetail
