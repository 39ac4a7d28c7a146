// SPDX-License-Identifier: MIT
#pragma once
// Small pieces every `cwb bench` engine needs: a steady clock and a scratch directory that is
// removed on every way out (success, error, cancellation).

#include <chrono>
#include <filesystem>
#include <string>

namespace cwb::bench {

using Clock = std::chrono::steady_clock;

[[nodiscard]] inline double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

class ScratchDir {
public:
    // Creates "<parent or system temp>/cwb-<tag>-XXXXXX"; throws cwb::Error naming the path.
    ScratchDir(const std::string &parent, const std::string &tag);
    ~ScratchDir();
    ScratchDir(const ScratchDir &) = delete;
    ScratchDir &operator=(const ScratchDir &) = delete;
    [[nodiscard]] const std::filesystem::path &path() const { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace cwb::bench
