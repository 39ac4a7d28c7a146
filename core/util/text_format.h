// SPDX-License-Identifier: MIT
#pragma once
// Small text helpers the plain-text reports share (inspect, plan, compression).

#include <cstdint>
#include <string>

namespace cwb {

[[nodiscard]] std::string fixed(double v, int decimals);   // "%.*f"
[[nodiscard]] std::string groupThousands(int64_t v);       // 1234567 -> "1,234,567"
[[nodiscard]] std::string padRight(const std::string &s, size_t width);
[[nodiscard]] std::string padLeft(const std::string &s, size_t width);
[[nodiscard]] std::string humanBytes(uint64_t bytes);             // "1.23 MiB", binary units

} // namespace cwb
