// SPDX-License-Identifier: MIT
#include "test_support.h"

#include "util/error.h"

#include <cstdlib>
#include <filesystem>

namespace cwbtest {

std::string sharedDir()
{
    if (const char *env = std::getenv("CWB_SHARED"); env && *env)
        return env;
    return CWB_DEFAULT_SHARED;
}

std::string sharedPath(const char *relative)
{
    const std::filesystem::path p = std::filesystem::path(sharedDir()) / relative;
    std::error_code ec;
    if (!std::filesystem::exists(p, ec))
        return {};
    return std::filesystem::absolute(p).lexically_normal().string();
}

std::string errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const cwb::Error &e) {
        return e.what();
    }
    return {};
}

} // namespace cwbtest
