// SPDX-License-Identifier: MIT
#include "fuzz_support.h"

#include <oneapi/tbb/global_control.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace cwb::fuzz {
namespace {

namespace fs = std::filesystem;

// One thread: an input is small, and on a busy machine waking oneTBB's workers for every
// parallel loop costs far more wall time than the loop itself (and makes runs irreproducible).
const tbb::global_control gOneThread(tbb::global_control::max_allowed_parallelism, 1);

std::string makeScratchDirectory()
{
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm")
                                                     : fs::temp_directory_path();
    fs::path dir = base / ("cwb-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir.string();
}

void removeScratchDirectory()
{
    std::error_code ignored;
    fs::remove_all(scratchDirectory(), ignored);
}

} // namespace

const std::string &scratchDirectory()
{
    // Never destroyed: the exit handler that removes the directory runs after static
    // destructors would have run.
    static const std::string *dir = [] {
        auto *d = new std::string(makeScratchDirectory());
        std::atexit(removeScratchDirectory);
        return d;
    }();
    return *dir;
}

ScratchFile::ScratchFile(std::string name) : path_(scratchDirectory() + "/" + name)
{
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0)
        throw std::runtime_error("fuzz: cannot create " + path_);
}

ScratchFile::~ScratchFile()
{
    if (fd_ >= 0)
        ::close(fd_);
}

const std::string &ScratchFile::set(std::span<const std::byte> bytes)
{
    // Shrinking first keeps no stale tail; nothing maps the file between two inputs.
    if (::ftruncate(fd_, 0) != 0)
        throw std::runtime_error("fuzz: cannot truncate " + path_);
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t w = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                   static_cast<off_t>(done));
        if (w <= 0)
            throw std::runtime_error("fuzz: cannot write " + path_);
        done += static_cast<size_t>(w);
    }
    return path_;
}

const std::string &ScratchFile::set(std::string_view text)
{
    return set(std::span(reinterpret_cast<const std::byte *>(text.data()), text.size()));
}

} // namespace cwb::fuzz
