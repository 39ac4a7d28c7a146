// SPDX-License-Identifier: MIT
#include "recipe/name_match.h"

namespace cwb {

PatternKind patternKind(std::string_view pattern)
{
    if (pattern.starts_with("re:"))
        return PatternKind::Regex;
    if (pattern.find_first_of("*?") != std::string_view::npos)
        return PatternKind::Glob;
    return PatternKind::Exact;
}

bool globMatch(std::string_view pattern, std::string_view name)
{
    // Classic backtracking to the last '*': each star is retried at most once per name position.
    size_t p = 0, n = 0;
    size_t starP = std::string_view::npos, starN = 0;
    while (n < name.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
            ++p;
            ++n;
        } else if (p < pattern.size() && pattern[p] == '*') {
            starP = p++;
            starN = n;
        } else if (starP != std::string_view::npos) {
            p = starP + 1;
            n = ++starN;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

bool isMatrix(const Tensor &t)
{
    return t.shape.size() >= 2;
}

std::optional<NamePattern> NamePattern::compile(const std::string &pattern, std::string &error)
{
    NamePattern p;
    p.text_ = pattern;
    p.kind_ = patternKind(pattern);
    if (pattern.empty()) {
        error = "is empty";
        return std::nullopt;
    }
    if (p.kind_ == PatternKind::Regex) {
        const std::string body = pattern.substr(3);
        if (body.empty()) {
            error = "\"re:\" needs a regular expression after it";
            return std::nullopt;
        }
        std::string problem;
        p.regex_ = NameRegex::compile(body, problem);
        if (!p.regex_) {
            error = "invalid regular expression \"" + body + "\": " + problem;
            return std::nullopt;
        }
    }
    return p;
}

bool NamePattern::matchesName(const std::string &canonical, const std::string &original) const
{
    switch (kind_) {
    case PatternKind::Exact:
        return (!canonical.empty() && canonical == text_) || original == text_;
    case PatternKind::Glob:
        return !canonical.empty() && globMatch(text_, canonical);
    case PatternKind::Regex:
        return (!canonical.empty() && regex_->matchesWhole(canonical))
               || regex_->matchesWhole(original);
    }
    return false;
}

bool NamePattern::selects(const Tensor &t) const
{
    if (kind_ != PatternKind::Exact && !isMatrix(t))
        return false;
    return matchesName(t.canonical, t.name);
}

} // namespace cwb
