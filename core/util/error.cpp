// SPDX-License-Identifier: MIT
#include "util/error.h"

#include <sstream>

namespace cwb {

std::string printableMessage(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

Error::Error(const std::string &message) : std::runtime_error(printableMessage(message)) {}

Error::Error(const char *message) : Error(std::string(message)) {}

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
