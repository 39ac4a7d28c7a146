// SPDX-License-Identifier: MIT
#include "util/name_regex.h"

#include <re2/re2.h>

namespace cwb {

namespace {

// Compiled programs beyond this are refused ("pattern too large"): name patterns are tens of
// bytes, and a hostile "((a{100}){100}){100}" must not take RE2's memory or time.
constexpr int64_t kMaxProgramBytes = int64_t(2) << 20;

bool match(const re2::RE2 &re, std::string_view name, re2::RE2::Anchor anchor)
{
    return re.Match(re2::StringPiece(name.data(), name.size()), 0, name.size(), anchor, nullptr,
                    0);
}

} // namespace

std::optional<NameRegex> NameRegex::compile(std::string_view pattern, std::string &error)
{
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingLatin1);
    options.set_log_errors(false);
    options.set_never_capture(true);
    options.set_max_mem(kMaxProgramBytes);
    auto re = std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()),
                                               options);
    if (!re->ok()) {
        error = re->error();
        // RE2's message ends with the offending fragment; its first place is where to look.
        const std::string &fragment = re->error_arg();
        if (const size_t at = fragment.empty() ? std::string::npos : pattern.find(fragment);
            at != std::string::npos)
            error += " at offset " + std::to_string(at);
        return std::nullopt;
    }
    NameRegex regex;
    regex.re_ = std::move(re);
    return regex;
}

bool NameRegex::matchesWhole(std::string_view name) const
{
    return match(*re_, name, re2::RE2::ANCHOR_BOTH);
}

bool NameRegex::matchesPrefix(std::string_view name) const
{
    return match(*re_, name, re2::RE2::ANCHOR_START);
}

} // namespace cwb
