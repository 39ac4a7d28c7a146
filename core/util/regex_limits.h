// SPDX-License-Identifier: MIT
#pragma once
// A check for regular expressions that come from outside (recipes' "re:" patterns, the targets
// of an imported compressed-tensors config) before std::regex compiles them. GCC 12's
// libstdc++ reads the number of a back-reference (\N) or of a repetition bound ({m,n}) digit by
// digit into a long without an overflow check: twenty digits are undefined behaviour inside the
// library (found by fuzzing a recipe, fuzz_recipe). No name pattern needs such numbers.

#include <string>
#include <string_view>

namespace cwb {

// Longest digit run accepted after a backslash or inside braces: 999999999 fits any int.
inline constexpr size_t kRegexMaxNumberDigits = 9;

// Empty when `pattern` is safe to hand to std::regex; otherwise what is wrong, for a message.
[[nodiscard]] std::string regexNumberProblem(std::string_view pattern);

} // namespace cwb
