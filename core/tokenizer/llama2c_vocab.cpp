// SPDX-License-Identifier: MIT
// Reads llama2.c's tokenizer.bin (layout in scored_vocab.h).
#include "tokenizer/scored_vocab.h"

#include "io/byte_reader.h"
#include "util/error.h"
#include "util/mapped_file.h"

#include <cmath>

namespace cwb {

namespace {


std::string toSentencePieceSpelling(std::string_view piece)
{
    std::string out;
    appendSpaceMarked(out, piece);
    return out;
}

} // namespace

ScoredVocab readLlama2cVocab(const std::string &path)
{
    const auto file = io::MappedFile::open(path);
    io::ByteReader r(file->bytes(), path);

    ScoredVocab v;
    v.source = path;
    const auto maxLen = r.read<int32_t>("max_token_length");
    if (maxLen <= 0)
        throwAt(path, 0, "max_token_length is " + std::to_string(maxLen) + ", expected > 0");

    while (r.remaining() > 0) {
        const uint64_t recordAt = r.offset();
        const std::string index = std::to_string(v.pieces.size());
        const auto score = r.read<float>("score of token " + index);
        if (std::isnan(score)) // merge priorities must be ordered
            throwAt(path, recordAt, "score of token " + index + " is NaN");
        const uint64_t lenAt = r.offset();
        const auto len = r.read<int32_t>("length of token " + index);
        if (len < 0)
            throwAt(path, lenAt,
                    "length of token " + index + " is negative (" + std::to_string(len) + ")");
        std::string piece = r.readString(static_cast<uint64_t>(len), "text of token " + index);
        v.pieces.push_back(toSentencePieceSpelling(piece));
        v.scores.push_back(score);
    }
    if (v.pieces.size() < 3)
        throwAt(path, r.offset(),
                "only " + std::to_string(v.pieces.size())
                    + " tokens; llama2.c vocabularies start with <unk>, BOS and EOS");

    // llama2.c fixes the special ids; its file spells BOS/EOS with newlines around them.
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    v.pieces[1] = "<s>";
    v.pieces[2] = "</s>";
    v.types.assign(v.pieces.size(), TokenType::Normal);
    v.types[0] = TokenType::Unknown;
    v.types[1] = TokenType::Control;
    v.types[2] = TokenType::Control;
    for (size_t i = 3; i < v.pieces.size(); ++i)
        if (byteTokenValue(v.pieces[i]) >= 0)
            v.types[i] = TokenType::Byte;
    return v;
}

} // namespace cwb
