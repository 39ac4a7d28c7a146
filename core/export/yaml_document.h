// SPDX-License-Identifier: MIT
#pragma once
// A JSON document (nlohmann::ordered_json: maps keep their order) written as block-style YAML
// with yaml-cpp, for Python readers (PyYAML, which llm-compressor uses): strings double-quoted,
// so "2:4" stays a string (YAML 1.1 reads a plain 2:4 as the sexagesimal integer 124) and
// regular expressions keep their backslashes; numbers in their shortest round-trip form; null as
// `~`. Plus the check that a YAML file holds that document, for reading an export back.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace cwb {

// `comments` come first, one "# ..." line each.
[[nodiscard]] std::string yamlText(const nlohmann::ordered_json &doc,
                                   const std::vector<std::string> &comments = {});

// Empty when `node` holds `doc` (the same keys in the same order, the same scalars); else where
// the first difference is ("quant_stage.quant_modifiers.GPTQModifier.block_size: 64 vs 128").
[[nodiscard]] std::string yamlDifference(const YAML::Node &node, const nlohmann::ordered_json &doc);

} // namespace cwb
