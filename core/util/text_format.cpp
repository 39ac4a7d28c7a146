// SPDX-License-Identifier: MIT
#include "util/text_format.h"

#include <cstdarg>
#include <cstdio>

namespace cwb {

std::string formatted(const char *fmt, ...)
{
    char buf[1024];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    return buf;
}

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string groupThousands(int64_t v)
{
    const std::string digits = std::to_string(v < 0 ? -v : v);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

std::string padRight(const std::string &s, size_t width)
{
    return s + std::string(width > s.size() ? width - s.size() : 0, ' ');
}

std::string padLeft(const std::string &s, size_t width)
{
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

std::string humanBytes(uint64_t bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    return u == 0 ? std::to_string(bytes) + " B" : fixed(v, 2) + " " + units[u];
}

std::string regexEscape(std::string_view s)
{
    std::string out;
    for (const char c : s) {
        if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos)
            out += '\\';
        out += c;
    }
    return out;
}

} // namespace cwb
