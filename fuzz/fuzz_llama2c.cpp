// SPDX-License-Identifier: MIT
// llama2.c: the first byte picks the file the rest becomes.
//   'T': a tokenizer.bin (max token length, then score, length, bytes per token), built into the
//        SentencePiece-style tokenizer and run on a short text;
//   anything else: a legacy .bin checkpoint (7-int header, f32 tensors, exact size), opened as
//        a model, every tensor dequantized.
#include "fuzz_model.h"
#include "fuzz_support.h"
#include "io/llama2c_reader.h"
#include "io/open_model.h"
#include "tokenizer/scored_vocab.h"
#include "tokenizer/spm_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace cwb;
    if (size == 0)
        return 0;
    const auto rest = fuzz::bytesOf(data + 1, size - 1);
    if (data[0] == 'T') {
        // Not named tokenizer.bin, so that model inputs never pick it up beside them.
        static fuzz::ScratchFile vocabFile("vocab-input.bin");
        fuzz::expectRefusalOrSuccess([&] {
            SpmTokenizer tokenizer(readLlama2cVocab(vocabFile.set(rest)), "llama2c-bin");
            const auto ids = tokenizer.encode("Once upon a time, \xe2\x96\x81 a <0x0A> \n 42", true);
            (void)tokenizer.decode(ids);
            for (int32_t id = 0; id < tokenizer.vocabSize() && id < 64; ++id)
                (void)tokenizer.tokenText(id);
        });
        return 0;
    }
    static fuzz::ScratchFile file("model.bin");
    fuzz::expectRefusalOrSuccess([&] { (void)io::parseLlama2c(rest, "input.bin"); });
    fuzz::expectRefusalOrSuccess([&] { fuzz::exerciseModel(io::openModel(file.set(rest))); });
    return 0;
}
