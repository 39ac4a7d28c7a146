// SPDX-License-Identifier: MIT
#pragma once
// The method registry: every method of recipe version 1, listed once in methods/registry.cpp in
// a stable order (quantize, prune, lowrank, structure). Adding a method is one new file under methods/ that
// builds its MethodSpec (methods/method.h) and one line in that list.

#include "methods/method.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

[[nodiscard]] const std::vector<MethodSpec> &methodTable();
[[nodiscard]] const MethodSpec *findMethod(std::string_view name);
// Like findMethod, but throws cwb::Error naming the method when it is not registered.
[[nodiscard]] const MethodSpec &requireMethod(std::string_view name);
[[nodiscard]] std::string methodNames(); // comma-separated, for "unknown method" messages
// What needs calibration text, comma-separated in table order: every method that always needs
// it, then each parameter that asks for it ("gptq, awq, gptq_ggml, ..., imatrix").
[[nodiscard]] std::string calibrationNeeds();

// The parameters struct a stored QuantizedTensor of method `storedMethod` (its `method` field,
// e.g. "rtn", "fp8_e5m2") holds, at its defaults; nullopt for a name no method writes. The
// archive reads the struct's fields back into it.
[[nodiscard]] std::optional<QuantParams> quantParamsOfStorage(std::string_view storedMethod);

// The quantize method an empty quantize slot holds: the tensor stays as stored.
inline constexpr std::string_view kKeepMethod = "keep";

// True when the quantize method `name` leaves a tensor as stored (an empty quantize slot).
[[nodiscard]] bool keepsAsStored(std::string_view name);

// The quantize method that stores a tensor in the plain float or ggml block type `type` (its
// storage is Float or Ggml and its GGUF export form at default parameters is that type): "q4_k"
// for Q4_K, "f16" for F16; empty for a type no method writes.
[[nodiscard]] std::string_view methodStoringType(DType type);

} // namespace cwb
