// SPDX-License-Identifier: MIT
#pragma once
// The machine's memory bandwidth, measured: a STREAM-style triad a[i] = b[i] + s*c[i] over three
// double arrays far larger than cache, oneTBB-parallel with a static partition (first touch by the
// same threads), best of `repeats`, counting 3 arrays * 8 bytes per element. Bandwidth-bound
// passes (tensor conversion, statistics, quantizers) and device profiles are judged against it.

#include <cstdint>

namespace cwb::host {

// STREAM triad on three arrays of `elements` doubles; returns the best pass's GB/s and, when
// asked, that pass's seconds. Throws cwb::Error if the arrays cannot be allocated.
[[nodiscard]] double measureTriadGBps(uint64_t elements, int repeats,
                                      double *bestSeconds = nullptr);

} // namespace cwb::host
