// SPDX-License-Identifier: MIT
#include "tokenizer/sentencepiece_tokenizer.h"

#include "tokenizer/token_type.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

#include <sentencepiece_processor.h>

#include <filesystem>

namespace cwb {

namespace {

class SentencePieceTokenizer final : public Tokenizer {
public:
    explicit SentencePieceTokenizer(const std::string &path) : path_(path)
    {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
            throwIn(path, "no such file");
        const auto status = sp_.Load(path);
        if (!status.ok())
            throwIn(path, "not a SentencePiece model: " + status.ToString());
        if (sp_.GetPieceSize() <= 0)
            throwIn(path, "the SentencePiece model has no pieces");
    }

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override
    {
        utf8::requireValid(text, "text to encode");
        std::vector<int> ids;
        const auto status = sp_.Encode(text, &ids);
        if (!status.ok())
            throwIn(path_, "SentencePiece could not encode the text: " + status.ToString());
        std::vector<int32_t> out;
        out.reserve(ids.size() + 1);
        if (addBos && addsBos())
            out.push_back(bos());
        out.insert(out.end(), ids.begin(), ids.end());
        return out;
    }

    std::string decode(std::span<const int32_t> ids) const override
    {
        std::vector<int> v(ids.begin(), ids.end());
        for (size_t k = 0; k < v.size(); ++k)
            requireDecodableId(path_, v[k], k, vocabSize());
        std::string out;
        const auto status = sp_.Decode(v, &out);
        if (!status.ok())
            throwIn(path_, "SentencePiece could not decode: " + status.ToString());
        return out;
    }

    std::string tokenText(int32_t id) const override
    {
        requireTokenId(path_, id, vocabSize());
        return sp_.IdToPiece(id);
    }

    int32_t vocabSize() const override { return sp_.GetPieceSize(); }
    int32_t bos() const override { return sp_.bos_id(); }
    int32_t eos() const override { return sp_.eos_id(); }
    bool addsBos() const override { return sp_.bos_id() >= 0; }
    std::string kind() const override { return "sentencepiece"; }

private:
    std::string path_;
    sentencepiece::SentencePieceProcessor sp_;
};

} // namespace

std::unique_ptr<Tokenizer> openSentencePieceModel(const std::string &path)
{
    return std::make_unique<SentencePieceTokenizer>(path);
}

} // namespace cwb
