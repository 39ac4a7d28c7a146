// SPDX-License-Identifier: MIT
#pragma once
// One exception type for everything core reports to a user: the message must already name the
// file, the field and the byte offset where that makes sense, because the GUI shows it verbatim.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cwb {

class Error : public std::runtime_error {
public:
    // Messages quote names read from files (tensor names, keys, attributes). A NUL in one would
    // cut what() short, losing the offset and the reason after it, and control bytes garble a
    // terminal, so such bytes are written as \xNN; tab and newline are kept.
    explicit Error(const std::string &message);
    explicit Error(const char *message);
};

// `text` with NUL, other C0 control bytes (tab and newline aside) and DEL written as \xNN.
[[nodiscard]] std::string printableMessage(std::string_view text);

// Thrown when a job's cancellation token fires; callers treat it as "stopped", not as failure.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

// "<source>: offset <off>: <what>" — the shape every format error takes.
[[nodiscard]] std::string formatErrorAt(std::string_view source, uint64_t offset, std::string_view what);
[[noreturn]] void throwAt(std::string_view source, uint64_t offset, std::string_view what);
[[noreturn]] void throwIn(std::string_view source, std::string_view what);

} // namespace cwb
