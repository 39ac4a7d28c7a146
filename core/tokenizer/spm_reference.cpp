// SPDX-License-Identifier: MIT
#include "tokenizer/spm_reference.h"

#include "tokenizer/utf8.h"
#include "util/error.h"

#include <cstdio>
#include <unordered_map>

namespace cwb {

std::vector<int32_t> encodeLlama2cStyle(const ScoredVocab &vocab, std::string_view text,
                                        bool addBos)
{
    utf8::requireValid(text, "text to encode");
    // llama2.c looks up every piece, special or not, by its text.
    std::unordered_map<std::string, int32_t> ids;
    for (size_t i = 0; i < vocab.pieces.size(); ++i)
        ids.emplace(vocab.pieces[i], static_cast<int32_t>(i));
    const auto find = [&](const std::string &s) {
        const auto it = ids.find(s);
        return it == ids.end() ? -1 : it->second;
    };
    const std::string space = "\xE2\x96\x81";

    std::vector<int32_t> tokens;
    if (addBos)
        tokens.push_back(vocab.bos);
    if (text.empty())
        return tokens;
    const size_t first = tokens.size();
    tokens.push_back(find(space));
    for (size_t pos = 0; pos < text.size();) {
        const size_t len = utf8::sequenceLength(static_cast<unsigned char>(text[pos]));
        const std::string cp = text[pos] == ' ' ? space : std::string(text.substr(pos, len));
        if (const int32_t id = find(cp); id >= 0) {
            tokens.push_back(id);
        } else {
            for (const char c : text.substr(pos, len)) {
                char name[8];
                std::snprintf(name, sizeof name, "<0x%02X>",
                              static_cast<unsigned>(static_cast<unsigned char>(c)));
                tokens.push_back(find(name));
            }
        }
        pos += len;
    }
    for (size_t i = first; i < tokens.size(); ++i)
        if (tokens[i] < 0)
            throwIn(vocab.source, "reference encoder: a space or byte token is missing");

    // Candidate merge of tokens[i] and tokens[i + 1], recomputed only next to each merge.
    const auto pairId = [&](size_t i) {
        return find(vocab.pieces[static_cast<size_t>(tokens[i])]
                    + vocab.pieces[static_cast<size_t>(tokens[i + 1])]);
    };
    std::vector<int32_t> pairs;
    for (size_t i = first; i + 1 < tokens.size(); ++i)
        pairs.push_back(pairId(i));
    while (true) {
        float bestScore = -1e10f;
        long best = -1;
        for (size_t k = 0; k < pairs.size(); ++k)
            if (pairs[k] >= 0 && vocab.scores[static_cast<size_t>(pairs[k])] > bestScore) {
                bestScore = vocab.scores[static_cast<size_t>(pairs[k])];
                best = static_cast<long>(k);
            }
        if (best < 0)
            break;
        const size_t i = first + static_cast<size_t>(best);
        tokens[i] = pairs[static_cast<size_t>(best)];
        tokens.erase(tokens.begin() + static_cast<long>(i) + 1);
        pairs.erase(pairs.begin() + best);
        if (static_cast<size_t>(best) < pairs.size())
            pairs[static_cast<size_t>(best)] = pairId(i);
        if (best > 0)
            pairs[static_cast<size_t>(best) - 1] = pairId(i - 1);
    }
    return tokens;
}

} // namespace cwb
