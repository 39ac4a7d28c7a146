// SPDX-License-Identifier: MIT
#pragma once
// The storage types of the K and V caches, llama.cpp's -ctk / -ctv (f32, f16, q8_0, q4_0):
// chosen per engine (EngineOptions), so an evaluation can trade KV memory for accuracy the way
// llama.cpp does. At long context the KV cache, not the weights, dominates memory.

#include <cstdint>
#include <optional>
#include <string_view>

namespace cwb {

enum class KvCacheType { F32, F16, Q8_0, Q4_0 };

[[nodiscard]] const char *kvCacheTypeName(KvCacheType t); // llama.cpp's spelling: "q8_0"
// Case-insensitive "f32", "f16", "q8_0", "q4_0"; nullopt for anything else.
[[nodiscard]] std::optional<KvCacheType> kvCacheTypeFromName(std::string_view name);
// Values per storage block: 1 for f32/f16, 32 for q8_0/q4_0 (a cache row must hold whole blocks).
[[nodiscard]] int64_t kvCacheBlockValues(KvCacheType t);
// Bytes of one cache row of `width` values (a multiple of kvCacheBlockValues).
[[nodiscard]] uint64_t kvCacheRowBytes(KvCacheType t, int64_t width);

} // namespace cwb
