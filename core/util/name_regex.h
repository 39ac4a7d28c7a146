// SPDX-License-Identifier: MIT
#pragma once
// Regular expressions over tensor and module names that come from outside: recipes' "re:"
// patterns, the targets and ignore lists of an imported compressed-tensors config, solver locks.
//
// Backed by RE2, which matches in time linear in the name's length whatever the pattern. Before,
// libstdc++'s backtracking std::regex took 17 s per dry run on a fuzzed pattern of 14 stars, ~1 s
// per name on ".*" seven times, and overflowed a signed long on a 28-digit back-reference
// (fuzz_recipe; README, Reliability). The syntax is RE2's, close to Python's `re` that
// llm-compressor's patterns are written for; what RE2 leaves out (back-references, lookahead,
// lookbehind) is refused with RE2's message. Patterns and names are read as bytes (Latin-1), as
// std::regex read them, so any byte of a name can be matched and no name is invalid UTF-8.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace cwb {

class NameRegex {
public:
    // nullopt with `error` set ("missing ): ( at offset 3") when the pattern does not compile.
    [[nodiscard]] static std::optional<NameRegex> compile(std::string_view pattern,
                                                          std::string &error);

    // The pattern matches the whole name (std::regex_match, Python re.fullmatch).
    [[nodiscard]] bool matchesWhole(std::string_view name) const;
    // The pattern matches from the name's first character on (Python re.match).
    [[nodiscard]] bool matchesPrefix(std::string_view name) const;

private:
    std::shared_ptr<const re2::RE2> re_;
};

} // namespace cwb
