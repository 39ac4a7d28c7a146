// SPDX-License-Identifier: MIT
#pragma once
// Figures read from what llama.cpp's tools print (c392e509, tools/llama.cpp), each parser
// keyed to the tool's own lines:
//
//   model load (every tool, stderr)
//     print_info: file size   = 2.89 MiB (3.49 BPW)          tensor bytes and 8 x bytes / weights
//   llama-perplexity, plain run or --kl-divergence-base (stdout)
//     Final estimate: PPL = 26.1396 +/- 3.44500
//   llama-perplexity --kl-divergence (stdout)
//     Mean PPL(Q)                   :  27.448896 ±   3.595865
//     Mean    KLD:   0.021808 ±   0.001228
//     99.0%   KLD:   0.103693
//     Same top p: 89.286 ± 1.952 %
//   llama-quantize (stdout)
//     llama_model_quantize_impl: quant size  =     2.89 MB
//     main: quantize time =   682.35 ms                      read + quantize + write
//     ... - using fallback quantization q8_0                  once per tensor that fell back
//
// A figure the log lacks is a cwb::Error naming `source` and the line it looked for.

#include <optional>
#include <string>
#include <string_view>

namespace cwb::bench {

struct LoadedSize {
    double mebibytes = 0;     // "file size = X MiB" (GiB converted), as printed (2 decimals)
    double bitsPerWeight = 0; // "(Y BPW)", as printed (2 decimals)
};
[[nodiscard]] LoadedSize parseLoadedSize(std::string_view log, const std::string &source);

struct PerplexityFigures {
    double ppl = 0;
    double pplError = 0;                // the ± llama.cpp prints
    bool hasKld = false;                // a --kl-divergence run
    double meanKld = 0;
    std::optional<double> meanKldError; // the ± of the mean, when printed
    std::optional<double> p99Kld;
    std::optional<double> sameTopPct;   // "Same top p", percent
};
// A --kl-divergence run's statistics (PPL(Q), KLD) or a plain run's final estimate.
[[nodiscard]] PerplexityFigures parsePerplexityLog(std::string_view log, const std::string &source);

struct QuantizeFigures {
    double quantMegabytes = 0; // "quant size = X MB" (llama-quantize's MB are MiB)
    int fallbacks = 0;         // tensors stored in a fallback type (rows not whole blocks)
    std::optional<double> quantizeMs; // "main: quantize time = X ms", when printed
};
[[nodiscard]] QuantizeFigures parseQuantizeLog(std::string_view log, const std::string &source);

} // namespace cwb::bench
