// SPDX-License-Identifier: MIT
#pragma once
// The three character classes the BPE pre-tokenizer regexes need (\p{L}, \p{N}, \s), from a
// range table generated from the Unicode Character Database (version in unicode_class.cpp).
// Limits: no other properties (marks \p{M} read as "neither", which is what those regexes
// expect); characters assigned in later Unicode versions read as neither letter nor number.

namespace cwb::unicode {

[[nodiscard]] bool isLetter(char32_t cp); // general category L*
[[nodiscard]] bool isNumber(char32_t cp); // general category N* (Nd, Nl, No)
[[nodiscard]] bool isWhitespace(char32_t cp); // White_Space property

} // namespace cwb::unicode
