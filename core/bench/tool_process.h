// SPDX-License-Identifier: MIT
#pragma once
// Runs an outside command-line tool (llama.cpp's reference tools: llama-bench, llama-perplexity,
// llama-quantize, llama-imatrix; named by the user, never shipped or linked) as a child process:
// stdin from /dev/null, stdout and stderr captured into files of a work directory, polled for
// cancellation (the child is terminated and reaped, then cwb::Cancelled is thrown). A tool that
// cannot start, exits non-zero or dies from a signal is a cwb::Error naming the tool and ending
// with the tail of what it printed, so the user sees its own reason.

#include "jobs/job_context.h"

#include <string>
#include <vector>

namespace cwb::bench {

struct ToolRun {
    std::vector<std::string> argv; // argv[0] is the executable's path
    std::string workDir;           // stdout / stderr go to <workDir>/<logStem>.out / .err
    std::string logStem;           // e.g. "quantize-Q4_K_M"
};

struct ToolOutput {
    std::string out; // everything the tool wrote to stdout
    std::string err; // and to stderr
    // Both, stderr first: llama.cpp tools log the model load on stderr and their results on
    // stdout, and the parsers read either.
    [[nodiscard]] std::string log() const { return err + "\n" + out; }
};

// The last `n` characters of `text`, from a line start where there is one.
[[nodiscard]] std::string textTail(const std::string &text, size_t n);

// The command line as one shell-quoted string, for reports.
[[nodiscard]] std::string commandLine(const std::vector<std::string> &argv);

// Throws cwb::Error (not executable, cannot start, non-zero exit or signal: with the tail of its
// stderr, or of its stdout when stderr is empty) or cwb::Cancelled.
ToolOutput runTool(const ToolRun &run, const JobContext &ctx = {});

} // namespace cwb::bench
