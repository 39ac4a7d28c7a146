// SPDX-License-Identifier: MIT
#pragma once
// UTF-8 helpers for the tokenizers. Encoding (RFC 3629): U+0000..U+007F in 1 byte (0xxxxxxx),
// ..U+07FF in 2 (110xxxxx 10xxxxxx), ..U+FFFF in 3 (1110xxxx + 2 continuation bytes, no
// surrogates D800..DFFF), ..U+10FFFF in 4 (11110xxx + 3). Overlong forms are invalid.

#include <cstddef>
#include <string>
#include <string_view>

namespace cwb::utf8 {

// Byte length of the sequence a lead byte starts (1 for continuation or invalid bytes, so a
// caller walking possibly-broken text always advances).
[[nodiscard]] size_t sequenceLength(unsigned char lead);

// Decodes the code point at `pos`; returns its byte length, or 0 when the bytes there are not
// valid UTF-8 (truncated, overlong, surrogate, beyond U+10FFFF, stray continuation byte).
[[nodiscard]] size_t decode(std::string_view text, size_t pos, char32_t &cp);

// Offset of the first invalid byte, or std::string_view::npos when `text` is valid UTF-8.
[[nodiscard]] size_t firstInvalid(std::string_view text);

// Throws cwb::Error "<source>: offset N: invalid UTF-8 byte 0xXX" for the first invalid byte.
void requireValid(std::string_view text, std::string_view source);

void append(std::string &out, char32_t cp);

} // namespace cwb::utf8
