// SPDX-License-Identifier: MIT
#include "util/regex_limits.h"

#include <vector>

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

namespace {

// Whether a quantifier starts at pattern[i] and, if so, where it ends (one past) and whether it
// can repeat more than once ("?" and {0,1} / {1} cannot).
struct Quantifier {
    bool found = false;
    bool repeats = false;
    size_t end = 0;
};

Quantifier quantifierAt(std::string_view p, size_t i)
{
    if (i >= p.size())
        return {};
    if (p[i] == '*' || p[i] == '+')
        return {true, true, i + 1};
    if (p[i] == '?')
        return {true, false, i + 1};
    if (p[i] != '{')
        return {};
    // {m}, {m,}, {m,n}: digits and one comma, else a literal brace.
    size_t j = i + 1, comma = 0, digitsAfterComma = 0;
    while (j < p.size() && ((p[j] >= '0' && p[j] <= '9') || (p[j] == ',' && !comma))) {
        if (p[j] == ',')
            comma = j;
        else if (comma)
            ++digitsAfterComma;
        ++j;
    }
    if (j >= p.size() || p[j] != '}' || j == i + 1)
        return {};
    const std::string_view last =
        comma ? p.substr(comma + 1, j - comma - 1) : p.substr(i + 1, j - i - 1);
    const bool open = comma && digitsAfterComma == 0;
    const bool upToOne = !open && (last == "0" || last == "1");
    return {true, !upToOne, j + 1};
}

} // namespace

std::string regexRepetitionProblem(std::string_view p)
{
    // Per open group: whether it holds a quantifier or an alternation so far.
    std::vector<bool> groupRepeats{false};
    bool lastRepeats = false; // the group just closed holds a repetition or alternation
    int afterQuantifier = 0;  // 1: right after a quantifier, 2: after its lazy '?'
    for (size_t i = 0; i < p.size();) {
        const char c = p[i];
        if (const Quantifier q = quantifierAt(p, i); q.found) {
            if (afterQuantifier == 1 && c == '?') { // "*?": lazy, not nested
                afterQuantifier = 2;
                ++i;
                continue;
            }
            if (afterQuantifier)
                return "a repetition of a repetition at offset " + std::to_string(i)
                       + " (nested repetition takes exponential time to match)";
            if (q.repeats && lastRepeats)
                return "a repeated group that itself repeats or alternates, at offset "
                       + std::to_string(i) + " (nested repetition takes exponential time to match)";
            groupRepeats.back() = true;
            afterQuantifier = 1;
            lastRepeats = false;
            i = q.end;
            continue;
        }
        afterQuantifier = 0;
        lastRepeats = false;
        if (c == '\\') {
            i += 2;
        } else if (c == '[') { // a class: quantifier characters inside are literal
            size_t j = i + 1;
            if (j < p.size() && p[j] == '^')
                ++j;
            if (j < p.size() && p[j] == ']')
                ++j;
            while (j < p.size() && p[j] != ']')
                j += p[j] == '\\' ? 2 : 1;
            i = j + 1;
        } else if (c == '(') {
            groupRepeats.push_back(false);
            ++i;
        } else if (c == ')') {
            if (groupRepeats.size() > 1) {
                lastRepeats = groupRepeats.back();
                groupRepeats.pop_back();
                if (lastRepeats)
                    groupRepeats.back() = true;
            }
            ++i;
        } else {
            if (c == '|')
                groupRepeats.back() = true;
            ++i;
        }
    }
    return {};
}

std::string regexProblem(std::string_view pattern)
{
    if (std::string problem = regexNumberProblem(pattern); !problem.empty())
        return problem;
    return regexRepetitionProblem(pattern);
}

} // namespace cwb
