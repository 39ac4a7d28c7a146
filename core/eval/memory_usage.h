// SPDX-License-Identifier: MIT
#pragma once
// Memory figures of an evaluation: what the weights and the KV cache take by construction, and
// what the process actually held (its resident-set high-water mark).

#include <cstdint>
#include <string_view>

namespace cwb::eval {

// A "<Field>:  N kB" line of /proc/self/status in MiB; 0 when the field or the file is missing
// (non-Linux systems).
[[nodiscard]] double procStatusMiB(std::string_view field);

// Peak resident set size of this process so far (VmHWM), MiB.
[[nodiscard]] double peakRssMiB();
// Current resident set size (VmRSS), MiB.
[[nodiscard]] double currentRssMiB();

} // namespace cwb::eval
