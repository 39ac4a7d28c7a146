// SPDX-License-Identifier: MIT
#include "util/regex_limits.h"

namespace cwb {

std::string regexNumberProblem(std::string_view pattern)
{
    bool inBraces = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        // A number starts right after a backslash (\N) or anywhere inside braces ({m,n}).
        const bool afterBackslash = c == '\\' && i + 1 < pattern.size();
        if (afterBackslash || inBraces) {
            size_t j = afterBackslash ? i + 1 : i;
            size_t digits = 0;
            while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') {
                ++digits;
                ++j;
            }
            if (digits > kRegexMaxNumberDigits)
                return "a number of " + std::to_string(digits) + " digits at offset "
                       + std::to_string(afterBackslash ? i + 1 : i)
                       + " (back-references and repetition counts are limited to "
                       + std::to_string(kRegexMaxNumberDigits) + " digits)";
        }
        if (afterBackslash) {
            ++i; // the escaped character is never a brace
            continue;
        }
        if (c == '{')
            inBraces = true;
        else if (c == '}')
            inBraces = false;
    }
    return {};
}

} // namespace cwb
