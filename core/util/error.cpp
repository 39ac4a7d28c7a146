// SPDX-License-Identifier: MIT
#include "util/error.h"

namespace cwb {

std::string formatErrorAt(std::string_view source, uint64_t offset, std::string_view what)
{
    std::string s(source);
    s += ": offset ";
    s += std::to_string(offset);
    s += ": ";
    s += what;
    return s;
}

void throwAt(std::string_view source, uint64_t offset, std::string_view what)
{
    throw Error(formatErrorAt(source, offset, what));
}

void throwIn(std::string_view source, std::string_view what)
{
    std::string s(source);
    s += ": ";
    s += what;
    throw Error(s);
}

} // namespace cwb
