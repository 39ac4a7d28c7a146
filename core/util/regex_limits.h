// SPDX-License-Identifier: MIT
#pragma once
// A check for regular expressions that come from outside (recipes' "re:" patterns, the targets
// of an imported compressed-tensors config) before std::regex compiles them. GCC 12's
// libstdc++ reads the number of a back-reference (\N) or of a repetition bound ({m,n}) digit by
// digit into a long without an overflow check: twenty digits are undefined behaviour inside the
// library (found by fuzzing a recipe, fuzz_recipe). No name pattern needs such numbers.
//
// libstdc++'s matcher also backtracks: a repetition of something that itself repeats ("a**",
// "(a*)*", "(a|ab)+") takes time exponential in the name's length (fuzz_recipe, 2026-12-08: 14
// stars in a row held a dry run for 17 s, a sanitized build for 7 minutes). Name patterns do not
// need nested repetition, so it is refused before std::regex sees it. Not covered: a long
// sequence of separate repetitions (".*.*.*.*.*.*.*z") is polynomial, n^k in the name length,
// ~1 s per 40-character name at k = 7; see README, Reliability.

#include <string>
#include <string_view>

namespace cwb {

// Longest digit run accepted after a backslash or inside braces: 999999999 fits any int.
inline constexpr size_t kRegexMaxNumberDigits = 9;

// Empty when `pattern` is safe to hand to std::regex; otherwise what is wrong, for a message.
[[nodiscard]] std::string regexNumberProblem(std::string_view pattern);
// Empty unless a repetition (*, +, {m,n} with n > 1 or open) applies to something that repeats
// or alternates: a quantifier right after a quantifier (a lazy '?' aside), or a repeated group
// that holds a quantifier or a '|'. Offsets in the message count from the pattern's start.
[[nodiscard]] std::string regexRepetitionProblem(std::string_view pattern);
// Both checks: the first problem found, or empty.
[[nodiscard]] std::string regexProblem(std::string_view pattern);

} // namespace cwb
