// SPDX-License-Identifier: MIT
#include "h5/fixed_strings.h"

namespace cwb::h5 {

std::vector<std::string> fixedLengthStrings(const char *buf, size_t count, size_t size,
                                            bool spacePadded)
{
    std::vector<std::string> out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const char *s = buf + i * size;
        size_t len = 0;
        while (len < size && s[len] != '\0')
            ++len;
        while (spacePadded && len > 0 && s[len - 1] == ' ')
            --len;
        out.emplace_back(s, len);
    }
    return out;
}

} // namespace cwb::h5
