// SPDX-License-Identifier: MIT
#pragma once
// Parameters of the weight quantization methods, one struct per method, with the defaults that
// the method's reference implementation (llm-compressor/GPTQ, bitsandbytes, ModelOpt, the OCP MX
// spec, BitNet) uses. A QuantParams variant carries any of them; methodName() gives the stable
// string recipes use ("rtn", "nf4", "fp8_e4m3", "fp8_e5m2", "mxfp4", "nvfp4", "ternary").
// validateQuantParams() throws cwb::Error naming every bad field at once.

#include <cstdint>
#include <string>
#include <variant>

namespace cwb {

// Which weights share one scale. Weights are [rows x cols] with a row per output channel.
enum class Granularity : uint8_t {
    PerTensor,  // one scale for the whole tensor
    PerChannel, // one scale per row (output channel)
    Group,      // one scale per `groupSize` consecutive weights of a row
};

// Uniform integer round-to-nearest.
//   symmetric:  qmax = 2^(bits-1) - 1, scale = absmax / qmax, q = clamp(rne(w / scale), -qmax,
//               qmax), w' = q * scale. The grid is symmetric: 4-bit uses -7..7, not -8..7.
//   asymmetric: maxq = 2^bits - 1, the range [min(w,0), max(w,0)] (GPTQ's find_params keeps 0
//               representable), scale = (max - min) / maxq,
//               zero = clamp(rne(-min / scale), 0, maxq),
//               q = clamp(rne(w / scale) + zero, 0, maxq), w' = (q - zero) * scale:
//               llm-compressor's and GPTQ's convention.
// rne = round half to even. Codes are computed with the scale as stored (after rounding it to
// `f16Scales ? fp16 : fp32`), so dequantization reproduces exactly what was decided.
struct RtnParams {
    int bits = 4; // 2..8
    bool symmetric = true;
    Granularity granularity = Granularity::Group;
    int groupSize = 128;   // with Granularity::Group: 32, 64, 128 or 256, dividing cols
    bool f16Scales = true; // fp16 scales (GPTQ checkpoints); false: fp32
};

// QLoRA's 4-bit NormalFloat: per block of `blockSize` consecutive weights of a row, absmax scaling
// to [-1, 1] and the nearest of the 16 NF4 levels (bitsandbytes' quantize_4bit, quant_type nf4).
// Block absmax values are fp32; with doubleQuant they are themselves quantized as QLoRA does:
// minus their mean, in blocks of `dqBlockSize`, to the 8-bit dynamic map with an fp32 absmax each.
struct Nf4Params {
    int blockSize = 64; // 64, 128, ..., 4096, dividing cols
    bool doubleQuant = false;
    int dqBlockSize = 256; // 64, 128, ..., 4096
};

enum class Fp8Format : uint8_t {
    E4M3, // OCP E4M3FN, max 448: method "fp8_e4m3"
    E5M2, // max 57344: method "fp8_e5m2"
};

// FP8 weights: scale = amax / fp8 max (fp32), code = saturating RNE cast of w / scale.
// All-zero scopes store scale 1.
struct Fp8Params {
    Fp8Format format = Fp8Format::E4M3;
    Granularity granularity = Granularity::PerTensor; // PerTensor or PerChannel
};

enum class MxScaleRule : uint8_t {
    OcpFloor, // the OCP MX v1.0 conversion: X = 2^(floor(log2(amax)) - 2); beyond 6 X clips
    NoClip,   // smallest X = 2^k with amax <= 6 X: no clipping, one binade coarser sometimes
};

// OCP Microscaling MXFP4: E2M1 elements, one E8M0 shared scale per 32 consecutive weights of a
// row (the spec fixes k = 32). Elements are rounded half to even and saturate at +-6.
struct MxFp4Params {
    MxScaleRule scaleRule = MxScaleRule::OcpFloor;
};

// NVIDIA NVFP4 (ModelOpt's NVFP4QTensor): E2M1 elements, one FP8 E4M3 scale per 16 consecutive
// weights of a row, one fp32 global scale g = globalAmax / (448 * 6). Block scale
// = fp8(block amax / (6 g)), elements = e2m1(w / (block scale * g)).
struct NvFp4Params {
    // 0: the tensor's own amax. Set it to share one global scale between tensors an engine fuses
    // (q/k/v, gate/up), as ModelOpt's export does. Must be finite and >= 0.
    float globalAmax = 0.0f;
};

enum class TernaryPacking : uint8_t {
    TwoBit, // 4 weights per byte, 2 bits each (q + 1 in 0..2)
    Base3,  // 5 weights per byte: t0 + 3 t1 + 9 t2 + 27 t3 + 81 t4 (t = q + 1): 1.6 bits
};

// BitNet b1.58 absmean: s = mean(|W|) + eps over the whole tensor, q = clamp(rne(w / s), -1, 1),
// w' = q s.
struct TernaryParams {
    float eps = 1e-5f; // > 0, finite
    TernaryPacking packing = TernaryPacking::TwoBit;
};

using QuantParams =
    std::variant<RtnParams, Nf4Params, Fp8Params, MxFp4Params, NvFp4Params, TernaryParams>;

// rtn's grid as GPTQ and AWQ name it: `group` 0 = one scale per row (per channel), else the
// group length.
[[nodiscard]] RtnParams rtnGridOf(int bits, bool symmetric, int group, bool f16Scales);

[[nodiscard]] std::string methodName(const QuantParams &params);
[[nodiscard]] const char *granularityName(Granularity g); // "per-tensor", "per-channel", "group"

// Throws cwb::Error("<method>: <field> = <value> ...; <field> ...") listing every problem,
// including shape constraints (a group or block size that does not divide cols).
void validateQuantParams(const QuantParams &params, int64_t rows, int64_t cols);

} // namespace cwb
