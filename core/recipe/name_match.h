// SPDX-License-Identifier: MIT
#pragma once
// The `match` patterns of recipe rules. Three kinds, told apart by spelling:
//   "re:REGEX"   regex (RE2 syntax, util/name_regex.h) that must match the WHOLE canonical or
//                the whole original name
//   glob         contains * (any run of characters, dots included) or ? (one character);
//                matched against canonical names only
//   exact        anything else: equal to the canonical or the original name
// Only an exact pattern may touch a 1-D tensor (norm, bias): patterns are meant for matrices,
// and a norm silently quantized by "layers.*" is the bug this rule prevents.

#include "model/model.h"
#include "util/name_regex.h"

#include <optional>
#include <string>
#include <string_view>

namespace cwb {

enum class PatternKind : uint8_t { Exact, Glob, Regex };

class NamePattern {
public:
    // nullopt with `error` set when the regex does not compile or the pattern is empty.
    [[nodiscard]] static std::optional<NamePattern> compile(const std::string &pattern,
                                                            std::string &error);

    [[nodiscard]] PatternKind kind() const { return kind_; }
    [[nodiscard]] const std::string &text() const { return text_; }
    // Whether the pattern selects `t`, including the 1-D rule above.
    [[nodiscard]] bool selects(const Tensor &t) const;
    // Name matching alone, without the 1-D rule.
    [[nodiscard]] bool matchesName(const std::string &canonical, const std::string &original) const;

private:
    PatternKind kind_ = PatternKind::Exact;
    std::string text_;
    std::optional<NameRegex> regex_;
};

[[nodiscard]] PatternKind patternKind(std::string_view pattern);
// Glob with * and ? over the whole name (iterative, linear in practice; no recursion).
[[nodiscard]] bool globMatch(std::string_view pattern, std::string_view name);
[[nodiscard]] bool isMatrix(const Tensor &t); // ndim >= 2

} // namespace cwb
