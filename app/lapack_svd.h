// SPDX-License-Identifier: MIT
#pragma once
// LAPACK's dgesdd as the reference for `cwb bench analyze`. Only the cwb executable links
// LAPACKE (Debian's liblapacke-dev); cwb_core never does. Built without LAPACKE, the function
// is empty and the benchmark prints no reference column.

#include "bench/analyze_bench.h"

#include <string>

// Sets `name` to a label for the printout ("LAPACKE_dgesdd") when available.
[[nodiscard]] cwb::bench::ReferenceSvd lapackReferenceSvd(std::string &name);
