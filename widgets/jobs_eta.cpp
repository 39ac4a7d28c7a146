// SPDX-License-Identifier: MIT
#include "jobs_eta.h"

#include <cmath>

namespace cwb::gui {

std::optional<double> estimateRemainingSeconds(double elapsedSeconds, double fraction)
{
    if (!std::isfinite(elapsedSeconds) || !std::isfinite(fraction))
        return std::nullopt;
    if (fraction <= kEtaMinFraction || elapsedSeconds < kEtaMinElapsedSeconds)
        return std::nullopt;
    if (fraction >= 1.0)
        return 0.0;
    return elapsedSeconds * (1.0 - fraction) / fraction;
}

} // namespace cwb::gui
