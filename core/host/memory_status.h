// SPDX-License-Identifier: MIT
#pragma once
// What this process holds in memory, from /proc/self/status: the one parser of that file, used
// by evaluation runs (peak RSS), the benchmarks and the memory tests.

#include <cstdint>
#include <string_view>

namespace cwb::host {

// A "<Field>:  N kB" line of /proc/self/status in MiB; 0 when the field or the file is missing
// (non-Linux systems).
[[nodiscard]] double procStatusMiB(std::string_view field);

// Physical memory of this machine in bytes (sysconf); 0 when unknown.
[[nodiscard]] uint64_t physicalMemoryBytes();

// Peak resident set size of this process so far (VmHWM), MiB.
[[nodiscard]] double peakRssMiB();
// Current resident set size (VmRSS), MiB.
[[nodiscard]] double currentRssMiB();

// Lowers the peak (VmHWM) to the current RSS, so that peakRssMiB() afterwards measures one piece
// of work (a sweep point) rather than the whole process so far (Linux >= 4.0: "5" written to
// /proc/self/clear_refs). False when the system does not allow it: the peak then stays the
// process's.
bool resetPeakRss();

} // namespace cwb::host
