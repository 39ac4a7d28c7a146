// SPDX-License-Identifier: MIT
// The base-run logits file of `cwb eval --save-logits` / `--kld-base`: header, label, tokens and
// every window's rows read back, then checked against a run that does not match it.
#include "eval/logits_file.h"
#include "fuzz_support.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace cwb;
    static fuzz::ScratchFile file("base.logits");
    fuzz::expectRefusalOrSuccess([&] {
        const eval::LogitsFileReader reader(file.set(fuzz::bytesOf(data, size)));
        eval::EncodedWindow window;
        for (int64_t w = 0; w < std::min<int64_t>(reader.header().chunks, 16); ++w)
            reader.readWindow(w, window);
        eval::LogitsFileHeader other = reader.header();
        other.nCtx += 1;
        const std::vector<int32_t> tokens(16, 1);
        eval::checkBaseMatches(reader, other, tokens);
    });
    return 0;
}
