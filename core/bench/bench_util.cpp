// SPDX-License-Identifier: MIT
#include "bench/bench_util.h"

#include "util/error.h"

#include <cerrno>
#include <cstring>
#include <stdlib.h>

namespace cwb::bench {
namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string &parent, const std::string &tag)
{
    std::error_code ec;
    const fs::path base = parent.empty() ? fs::temp_directory_path(ec) : fs::path(parent);
    std::string pattern = (base / ("cwb-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data()))
        throwIn(pattern, std::string("cannot create the benchmark directory: ") + std::strerror(errno));
    path_ = pattern;
}

ScratchDir::~ScratchDir()
{
    std::error_code ec;
    fs::remove_all(path_, ec);
}

} // namespace cwb::bench
