// SPDX-License-Identifier: MIT
#include "util/error.h"

#include <sstream>

namespace cwb {

// Built with a stream: GCC 12 reports a false -Wrestrict on chained std::string appends here.
std::string formatErrorAt(std::string_view source, uint64_t offset, std::string_view what)
{
    std::ostringstream s;
    s << source << ": offset " << offset << ": " << what;
    return s.str();
}

void throwAt(std::string_view source, uint64_t offset, std::string_view what)
{
    throw Error(formatErrorAt(source, offset, what));
}

void throwIn(std::string_view source, std::string_view what)
{
    std::ostringstream s;
    s << source << ": " << what;
    throw Error(s.str());
}

} // namespace cwb
