// SPDX-License-Identifier: MIT
#pragma once
// The time left of a running job, estimated from its progress rate so far. A pure function, so
// the Jobs panel's estimate is tested with fixed numbers instead of a clock.

#include <optional>

namespace cwb::gui {

// Below this fraction done, or before this much time has passed, the rate says too little.
inline constexpr double kEtaMinFraction = 0.02;
inline constexpr double kEtaMinElapsedSeconds = 1.0;

// Seconds left at a constant rate: elapsed * (1 - f) / f. Empty while f <= kEtaMinFraction or
// elapsed < kEtaMinElapsedSeconds, and for non-finite input; 0 once f >= 1.
[[nodiscard]] std::optional<double> estimateRemainingSeconds(double elapsedSeconds,
                                                             double fraction);

} // namespace cwb::gui
