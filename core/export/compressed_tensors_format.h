// SPDX-License-Identifier: MIT
#pragma once
// compressed-tensors checkpoints as vLLM loads them (../shared/FORMATS.md; facts read from
// neuralmagic/compressed-tensors pack_quantized.py and quant_args.py, vLLM's compressed_tensors
// config): the layout of the weights and the quantization_config block of config.json.
//
// pack-quantized, per Linear module prefix P (int weights, b = num_bits):
//   P.weight_packed      int32 [out, ceil(in b / 32)]: each row one LSB-first stream of 32-bit
//                        words, value k of the row in bits [k b, k b + b); a value is stored as
//                        q + 2^(b-1) (int4: -8..7 -> 0..15). For b = 4 and 8 every version packs
//                        32 / b whole values a word (older versions pack other widths 32 // b a
//                        word with padding, newer ones across words: those widths are not
//                        written here).
//   P.weight_scale       [out, in / group_size] (strategy group), [out, 1] (channel), [1]
//                        (tensor); in the model dtype (fp16 scales stay F16)
//   P.weight_zero_point  asymmetric group / channel only: int32 [ceil(out b / 32), n_groups],
//                        packed like the weights but along dim 0 (down each column), each stored
//                        as zp + 2^(b-1)
//   P.weight_shape       int64 [2] = {out, in}
//   P.weight_g_idx       int32 [in], only for actorder "group" (not written here: our groups
//                        are contiguous)
//   value = (q - zp) * scale, zp = 0 when symmetric.
// float-quantized (fp8 E4M3 weights): P.weight float8_e4m3fn [out, in], P.weight_scale F32
//   [1] (tensor) or [out, 1] (channel); value = fp8(weight) * scale.
//
// quantization_config: {quant_method "compressed-tensors", format (the groups' common format,
// or "mixed-precision" with one per group), config_groups {group_N: {targets, weights,
// input_activations null, output_activations null, format}}, ignore, quantization_status
// "compressed", version}. weights = {num_bits, type "int"|"float", symmetric, strategy,
// group_size, block_structure null, dynamic false, actorder null, observer "minmax",
// observer_kwargs {}}.
//
// Targets: vLLM takes the first group (in file order) with a target that matches, after the
// `ignore` list; compressed-tensors ranks an exact name over regexes over class names. Both
// agree when every target is "re:^<module name, escaped>$" (Python re.match, anchored at the
// start; `$` at the end): one module each, so no two targets overlap.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

// One config group's weight arguments and the format its modules are stored in.
struct CtScheme {
    std::string format;    // "pack-quantized" or "float-quantized"
    std::string type;      // "int" or "float"
    int numBits = 0;
    bool symmetric = true;
    std::string strategy;  // "group", "channel" or "tensor"
    int64_t groupSize = 0; // strategy group only

    bool operator==(const CtScheme &) const = default;
    // "pack-quantized int4 g32 sym", "float-quantized fp8 per-channel"
    [[nodiscard]] std::string label() const;
};

struct CtGroup {
    std::string name; // "group_0"
    CtScheme scheme;
    std::vector<std::string> targets;
};

struct CtQuantizationConfig {
    std::string format; // top-level: the common format or "mixed-precision"
    std::vector<CtGroup> groups; // file order
    std::vector<std::string> ignore;
};

// The block as config.json's "quantization_config".
[[nodiscard]] nlohmann::ordered_json quantizationConfigJson(const CtQuantizationConfig &c);
// Reads it back; throws cwb::Error naming `where` and the field that is missing or unexpected.
[[nodiscard]] CtQuantizationConfig parseQuantizationConfig(const nlohmann::ordered_json &qc,
                                                           const std::string &where);

// "re:^model\.layers\.3\.mlp\.down_proj$"
[[nodiscard]] std::string moduleTarget(std::string_view module);

// vLLM's resolution of a module: ignored (an exact name or "re:" entry of `ignore`) -> null;
// else the first group in file order with a target equal to the name or a "re:" target that
// matches from its start (Python re.match) -> that group; none -> null with *unmatched set.
[[nodiscard]] const CtGroup *resolveModule(const CtQuantizationConfig &c,
                                           const std::string &module, bool *unmatched = nullptr);

// Unsigned values (each < 2^bits) of a row-major [rows x cols] matrix packed into int32 words:
// along each row ([rows, words(cols)]) or down each column ([words(rows), cols]).
[[nodiscard]] int64_t packedWords(int64_t values, int bits);
[[nodiscard]] std::vector<int32_t> packAlongRows(std::span<const uint8_t> v, int64_t rows,
                                                 int64_t cols, int bits);
[[nodiscard]] std::vector<int32_t> packAlongColumns(std::span<const uint8_t> v, int64_t rows,
                                                    int64_t cols, int bits);
// The inverses: [rows x cols] unsigned values.
[[nodiscard]] std::vector<uint8_t> unpackAlongRows(std::span<const int32_t> w, int64_t rows,
                                                   int64_t cols, int bits);
[[nodiscard]] std::vector<uint8_t> unpackAlongColumns(std::span<const int32_t> w, int64_t rows,
                                                      int64_t cols, int bits);

} // namespace cwb
