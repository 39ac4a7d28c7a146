// SPDX-License-Identifier: MIT
#pragma once
// JSON helpers shared by the safetensors and Hugging Face readers: parsing with errors that name
// the file and byte offset, and flattening JSON values into MetaValues
// ("config.rope_scaling.factor"). Only nlohmann's forward declarations are visible here; the .cpp
// holds the parser.
//
// Two flavours: ordered_json keeps key order (for config files shown to the user) but looks keys
// up linearly, so parsing an object with n keys costs O(n^2); nlohmann::json sorts keys and is the
// one to use for safetensors headers and indexes, which may hold tens of thousands of names.

#include "model/meta_value.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwb::io {

// Parses `text` (which starts at byte `baseOffset` of `source`), keeping key order. A syntax error
// throws cwb::Error "<source>: offset N: invalid JSON in <what>: ..." with N the absolute offset.
[[nodiscard]] nlohmann::ordered_json parseJsonText(std::string_view text, const std::string &source,
                                                   uint64_t baseOffset, std::string_view what);

// The same into a key-sorted nlohmann::json. `onTopLevelKey`, when set, sees every key of the
// top-level object in text order (nlohmann keeps only the last of repeated keys).
[[nodiscard]] nlohmann::json
parseJsonTextSorted(std::string_view text, const std::string &source, uint64_t baseOffset,
                    std::string_view what,
                    const std::function<void(const std::string &)> &onTopLevelKey = {});

// Reads and parses a whole JSON file of at most `maxBytes` bytes, keeping key order.
[[nodiscard]] nlohmann::ordered_json readJsonFile(const std::string &path, uint64_t maxBytes,
                                                  std::string_view what);

// One MetaValue for a JSON scalar or array of scalars; objects become an empty String.
[[nodiscard]] MetaValue metaFromJson(const nlohmann::ordered_json &value);
[[nodiscard]] MetaValue metaFromJson(const nlohmann::json &value);

// Appends `prefix.key` = value for every scalar/array leaf, recursing into objects.
void appendJsonMeta(const nlohmann::ordered_json &value, const std::string &prefix,
                    std::vector<std::pair<std::string, MetaValue>> &out);
void appendJsonMeta(const nlohmann::json &value, const std::string &prefix,
                    std::vector<std::pair<std::string, MetaValue>> &out);

} // namespace cwb::io
