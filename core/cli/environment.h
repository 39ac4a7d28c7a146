// SPDX-License-Identifier: MIT
#pragma once
// What a `cwb` command runs with: where it writes, what cancels it, and the parts only the
// executable has (the version it was built as, LAPACK for `cwb bench analyze`).

#include "bench/analyze_bench.h"
#include "jobs/job_context.h"

#include <atomic>
#include <functional>
#include <iostream>
#include <string>

namespace cwb::cli {

struct Environment {
    std::ostream *out = &std::cout; // results: tables, JSON, generated text
    std::ostream *err = &std::cerr; // progress, warnings, errors
    const std::atomic<bool> *cancel = nullptr; // set by the executable's SIGINT handler
    std::string version;                       // `cwb --version` prints "cwb <version>"
    // This program's path, for the scripts that run it again (cwb sweep --emit-slurm); empty:
    // they call "cwb" from PATH.
    std::string executable;
    // The reference SVD of `cwb bench analyze`, and its label in `name`; empty or returning an
    // empty function: none in this build.
    std::function<bench::ReferenceSvd(std::string &name)> referenceSvd;

    // `err` is a terminal: progress redraws one line. Otherwise (a log file, a pipe) it writes a
    // line per tenth of the job, so logs stay readable.
    bool errIsTerminal = true;

    // Polls `cancel`; with `progress`, redraws "\r 42% what" on `err` whenever the percentage
    // changes, or writes " 40% what" lines when `err` is not a terminal (one context per job:
    // each starts from scratch).
    [[nodiscard]] JobContext job(bool progress = true) const;
};

} // namespace cwb::cli
