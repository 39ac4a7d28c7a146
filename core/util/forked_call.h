// SPDX-License-Identifier: MIT
#pragma once
// A function run in a forked child process, its text result sent back over a pipe: the guard
// for third-party library calls known to crash on hostile input (libhdf5 1.10.8 dereferences
// uninitialised table entries when an object's attribute messages are corrupt; see
// h5::Reader::attrNames). A crash then kills the child, not the workbench, and the caller turns
// it into a cwb::Error naming the file.
//
// The child is a copy of the caller at the moment of the fork: the same heap, so a call that
// would crash in the caller crashes the child the same way. Only the forking thread exists in
// the child, so `fn` must not wait on locks other threads may hold at the fork (the caller
// holds them instead: h5's callers hold the HDF5 lock); glibc's malloc is fork-safe. The child
// ends with _exit (no atexit handlers, no stdio flush, no leak check); fatal signals are reset
// to their default action there, so a sanitizer's handler cannot turn a crash into an exit code.

#include <functional>
#include <string>

namespace cwb {

struct ForkedResult {
    enum class Status {
        Completed, // fn returned; output holds its result
        Failed,    // fn threw; output holds the exception's message
        Crashed,   // the child died of a signal (signal holds it)
        TimedOut,  // killed after the time limit
        NotRun,    // fork or pipe failed (errno text in output): the caller decides
    };
    Status status = Status::NotRun;
    std::string output;
    int signal = 0;
};

// Runs fn in a child process and waits at most timeoutMs for it.
[[nodiscard]] ForkedResult runForked(const std::function<std::string()> &fn, int timeoutMs);

} // namespace cwb
