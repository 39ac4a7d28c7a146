// SPDX-License-Identifier: MIT
#pragma once
// `cwb bench compress --llama-quantize PATH`: our ggml k-quant quantizer and llama.cpp's
// llama-quantize on the same tensors, in the same run, on the same thread count.
//
// A one-layer random llama GGUF in F32 (writeRandomLlamaGguf: dim 4096, 32 heads, FFN 11008, a
// vocabulary of 1024 pieces; so its matrices are the shapes of the quantizer rows above:
// 4 x 4096x4096, 3 x 11008x4096 / 4096x11008, 2 x 1024x4096) is written into a scratch
// directory. Then
//   theirs  llama-quantize --pure IN OUT TYPE THREADS: its own "quantize time" line, which covers
//           reading the F32 tensors, quantizing and writing the output file;
//   ours    for every matrix of the same file, read to float (from our memory map, into one
//           buffer reused for every matrix, as llama-quantize does) and ggmlQuantizeRows(TYPE, no
//           importance), on oneTBB's THREADS: read + quantize, no write;
// best of `repeats` for each. Their output file is then read back and every matrix's bytes are
// compared with ours (our quantizers are byte-exact ports of llama.cpp's; here that is checked on
// llama.cpp's own output, not only in the tests). The speed target of issue 10 (part 5): ours
// within 1.5x of theirs.

#include "bench/eval_bench.h"
#include "formats/dtype.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <string>

namespace cwb::bench {

// The model of the header comment (tests pass a small one).
[[nodiscard]] RandomLlamaShape quantizeSideBySideShape();

struct QuantizeSideBySideParams {
    std::string llamaQuantizePath;
    RandomLlamaShape shape = quantizeSideBySideShape();
    DType type = DType::Q4_K; // a ggml block type llama-quantize accepts by name
    int threads = 2;          // passed to llama-quantize; ours runs on oneTBB's threads
    int repeats = 1;          // best of, each side
    std::string tempParent;   // scratch directory parent; empty: the system's temporary directory
    uint64_t seed = 1;
};

struct QuantizeSideBySideResult {
    std::string type;         // "Q4_K"
    std::string command;      // llama-quantize's command line, with IN / OUT for the paths
    int64_t matrices = 0;     // quantized by both
    int64_t weights = 0;      // values in those matrices
    double inputMiB = 0;      // their F32 bytes
    double llamaSeconds = 0;  // llama-quantize's "quantize time" (best of)
    double oursSeconds = 0;   // read + ggmlQuantizeRows over every matrix (best of)
    double llamaMiB = 0;      // llama-quantize's "quant size" (every tensor of the file)
    double oursMatrixMiB = 0; // our bytes of the matrices
    int64_t identicalMatrices = 0; // matrices whose bytes equal llama-quantize's
    std::string firstDifference;   // the first matrix that differs, empty when none
};

// Throws cwb::Error (the tool missing or failing, a line it did not print) and cwb::Cancelled.
[[nodiscard]] QuantizeSideBySideResult runQuantizeSideBySide(const QuantizeSideBySideParams &p,
                                                             const JobContext &ctx = {});

} // namespace cwb::bench
