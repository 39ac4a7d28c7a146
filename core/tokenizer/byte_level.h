// SPDX-License-Identifier: MIT
#pragma once
// GPT-2's byte-level alphabet: every byte gets a printable code point so that a vocabulary of
// strings can spell arbitrary bytes. Printable Latin-1 bytes ('!'..'~', 0xA1..0xAC,
// 0xAE..0xFF) stand for themselves; the other 68 bytes map, in increasing order, to U+0100,
// U+0101, ... (so a space is "Ġ" U+0120 and a newline "Ċ" U+010A).

#include <cstdint>
#include <string>
#include <string_view>

namespace cwb::bytelevel {

[[nodiscard]] char32_t toCodePoint(uint8_t byte);
// The byte a code point stands for, or -1 when it is not in the alphabet.
[[nodiscard]] int toByte(char32_t cp);
// `bytes` spelled in the alphabet (UTF-8 of the mapped code points).
[[nodiscard]] std::string encode(std::string_view bytes);
// The inverse of encode, appended to `out`: each code point of the alphabet becomes its byte;
// any other code point, and any byte that is not valid UTF-8, passes through unchanged.
void appendDecoded(std::string &out, std::string_view spelled);

} // namespace cwb::bytelevel
