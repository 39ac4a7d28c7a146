// SPDX-License-Identifier: MIT
#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace cwb {

void AddedTokenMatcher::add(std::string text, int32_t id)
{
    if (text.empty())
        return;
    auto &list = byFirstByte_[static_cast<unsigned char>(text[0])];
    list.push_back({std::move(text), id});
    std::stable_sort(list.begin(), list.end(),
                     [](const Entry &a, const Entry &b) { return a.text.size() > b.text.size(); });
    ++count_;
}

std::vector<AddedTokenMatcher::Fragment> AddedTokenMatcher::split(std::string_view text) const
{
    std::vector<Fragment> out;
    if (empty()) {
        if (!text.empty())
            out.push_back({text, -1});
        return out;
    }
    size_t rawFrom = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const Entry *hit = nullptr;
        for (const Entry &e : byFirstByte_[static_cast<unsigned char>(text[pos])])
            if (text.compare(pos, e.text.size(), e.text) == 0) {
                hit = &e;
                break;
            }
        if (!hit) {
            ++pos;
            continue;
        }
        if (pos > rawFrom)
            out.push_back({text.substr(rawFrom, pos - rawFrom), -1});
        out.push_back({text.substr(pos, hit->text.size()), hit->id});
        pos += hit->text.size();
        rawFrom = pos;
    }
    if (rawFrom < text.size())
        out.push_back({text.substr(rawFrom), -1});
    return out;
}

} // namespace cwb
