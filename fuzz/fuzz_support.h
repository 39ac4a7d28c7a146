// SPDX-License-Identifier: MIT
#pragma once
// What every fuzz target shares. The readers map the files they open (tensors are lazy views), so
// a fuzz input reaches them as a file: ScratchFile keeps one file per name in a per-process
// directory on tmpfs (/dev/shm; TMPDIR when that is missing) and rewrites it in place for every
// input, so no disk is touched and the file names are the ones the readers look for.
//
// A target returns normally when the reader throws cwb::Error (a clear refusal is the expected
// answer to a hostile file); any other exception escapes and libFuzzer reports it as a crash,
// because core promises cwb::Error for bad input and nothing else.

#include "util/error.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cwb::fuzz {

// Tensors with more elements than this are not dequantized (keeps one input well under a
// millisecond; the readers bound element counts by the file size anyway).
inline constexpr int64_t kMaxDequantElements = int64_t{1} << 20;

class ScratchFile {
public:
    explicit ScratchFile(std::string name);
    ~ScratchFile();
    ScratchFile(const ScratchFile &) = delete;
    ScratchFile &operator=(const ScratchFile &) = delete;

    // Replaces the contents; returns the path.
    const std::string &set(std::span<const std::byte> bytes);
    const std::string &set(std::string_view text);
    [[nodiscard]] const std::string &path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

// The per-process scratch directory (created on first use, removed at exit).
const std::string &scratchDirectory();

// The input as bytes / as text.
inline std::span<const std::byte> bytesOf(const uint8_t *data, size_t size)
{
    return {reinterpret_cast<const std::byte *>(data), size};
}
inline std::string_view textOf(const uint8_t *data, size_t size)
{
    return {reinterpret_cast<const char *>(data), size};
}

// Runs `f`, swallowing cwb::Error (the reader refused the input, as it should).
template <typename F>
void expectRefusalOrSuccess(F &&f)
{
    try {
        f();
    } catch (const cwb::Error &) {
    }
}

} // namespace cwb::fuzz
