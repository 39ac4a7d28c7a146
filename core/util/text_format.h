// SPDX-License-Identifier: MIT
#pragma once
// Small text helpers the plain-text reports and the exports share.

#include <cstdint>
#include <string>
#include <string_view>

namespace cwb {

[[nodiscard]] std::string fixed(double v, int decimals);   // "%.*f"
// printf into a std::string (reports' table rows); output past 1 KiB is cut.
[[nodiscard]] std::string formatted(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
[[nodiscard]] std::string groupThousands(int64_t v);       // 1234567 -> "1,234,567"
[[nodiscard]] std::string padRight(const std::string &s, size_t width);
[[nodiscard]] std::string padLeft(const std::string &s, size_t width);
[[nodiscard]] std::string humanBytes(uint64_t bytes);             // "1.23 MiB", binary units
// `s` with the characters regular expressions treat specially escaped ("model\.layers\.3"):
// the same text in RE2 (util/name_regex.h), Python re, ECMAScript and POSIX extended syntax.
[[nodiscard]] std::string regexEscape(std::string_view s);

} // namespace cwb
