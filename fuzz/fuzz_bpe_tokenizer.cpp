// SPDX-License-Identifier: MIT
// Byte-level / SentencePiece-style BPE vocabularies: the first byte picks the files the rest
// becomes.
//   'V': vocab.json, a NUL byte, merges.txt (GPT-2's two files);
//   anything else: tokenizer.json, and after a NUL byte (when there is one) tokenizer_config.json.
// The vocabulary is built into a tokenizer and run on a short text.
#include "fuzz_support.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/bpe_vocab.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace cwb;
    if (size == 0)
        return 0;
    const std::string_view rest = fuzz::textOf(data + 1, size - 1);
    const size_t nul = rest.find('\0');
    const std::string_view first = rest.substr(0, nul);
    const std::string_view second = nul == std::string_view::npos ? std::string_view()
                                                                  : rest.substr(nul + 1);
    fuzz::expectRefusalOrSuccess([&] {
        BpeVocab vocab;
        if (data[0] == 'V') {
            static fuzz::ScratchFile vocabJson("vocab.json");
            static fuzz::ScratchFile merges("merges.txt");
            vocab = readVocabJsonMerges(vocabJson.set(first), merges.set(second));
        } else {
            static fuzz::ScratchFile tokenizerJson("tokenizer.json");
            static fuzz::ScratchFile config("tokenizer_config.json");
            vocab = readTokenizerJson(tokenizerJson.set(first),
                                      nul == std::string_view::npos ? std::string()
                                                                    : config.set(second));
        }
        BpeTokenizer tokenizer(std::move(vocab), "bpe-fuzz");
        const auto ids = tokenizer.encode("Hello world's 123 <|endoftext|> \xc3\xa9\xf0\x9f\x98\x80 ok", true);
        (void)tokenizer.decode(ids);
        for (int32_t id = 0; id < tokenizer.vocabSize() && id < 64; ++id)
            (void)tokenizer.tokenText(id);
    });
    return 0;
}
