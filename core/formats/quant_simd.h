// SPDX-License-Identifier: MIT
#pragma once
// The per-value work of the weight quantizers' fast paths (compress/quant_rtn.cpp,
// quant_nf4.cpp, quant_fp8.cpp: rtn and nf4 as one call per row, ranges, codes and packing) and
// of the F16 / BF16 -> float conversion every analysis and quantization of a half-precision
// model starts with (tensor/dequantize.cpp), compiled once per instruction-set level in their
// own translation units (quant_simd_<level>.cpp, flags in core/CMakeLists.txt) and picked by
// activeCpuLevel() (util/cpu_features.h). In the portable build the quantizers themselves are
// x86-64 baseline code; these loops are where the time goes, and where AVX2 / AVX-512 pay
// (intrinsics where GCC's vectorisation fell short, plain loops elsewhere).
//
// Every level computes the same codes, scales and flags, bit for bit (the float operations are
// the same ones, without contraction; where a level takes another route, as nf4's bucket lookup,
// it is exact by construction), tested on every level against the rules written out
// (tests/test_stream_kernels.cpp) and end to end against the quantizers' scalar references
// (tests/test_quant_formats.cpp).

#include <cstdint>

namespace cwb {
enum class CpuLevel; // util/cpu_features.h; not included: the per-level files see no std code
}

namespace cwb::quantsimd {

struct Table {
    // Smallest and largest of x[0..n), n >= 1, as std::min/std::max would find them; returns
    // whether every value is finite (else lo and hi mean nothing).
    bool (*minMax)(const float *x, int64_t n, float &lo, float &hi);
    // Whether every value of x[0..n) is finite (quantdetail::firstNonFinite's first pass).
    bool (*allFinite)(const float *x, int64_t n);
    // max |x[0..n)| (0 for n = 0), as quantdetail::absMax finds it for finite x; not finite
    // when x holds a NaN (NaN) or an infinity (+infinity), so callers need no separate check.
    float (*absMax)(const float *x, int64_t n);
    // One row of rtn, `groups` consecutive groups of `len` values each, in two calls around the
    // scales (compress/quant_rtn.cpp decides those from the ranges):
    // groupAbsMax: amax[g] = max |x| of group g (symmetric grids need nothing else);
    // groupMinMax: lo[g] / hi[g] as minMax finds them. Both return whether every value is finite
    // (else the outputs mean nothing).
    bool (*groupAbsMax)(const float *x, int64_t groups, int64_t len, float *amax);
    bool (*groupMinMax)(const float *x, int64_t groups, int64_t len, float *lo, float *hi);
    // The codes of the row: code = zero[g] where s[g] == 0, else
    // clamp(roundHalfEven(x / s[g]) + zero[g], qlo, qhi) (0 <= qlo <= qhi <= 255, the clamp
    // bounds minus zero[g] within +-2^22), which is rtn's rule. With bits == 4 they are written
    // packed as quantpack::packCodes packs them (two per byte, low nibble first, an odd last code
    // alone), else one byte per code (the caller packs other widths).
    void (*rtnRowCodes)(const float *x, int64_t groups, int64_t len, const float *s,
                        const int32_t *zero, int32_t qlo, int32_t qhi, int bits, uint8_t *out);
    // One row of nf4: for each of `blocks` blocks of `len` values, absmax[b] = max |x| (as
    // absMax), inv = absmax > 0 ? 1 / absmax : 0, and the codes of x * inv: how many of t[0..15)
    // (ascending) lie strictly below it, written packed as quantpack::packCodes(..., 4) packs them. Returns
    // whether every value is finite (else the outputs mean nothing).
    bool (*nf4RowCodes)(const float *x, int64_t blocks, int64_t len, const float *t,
                        float *absmax, uint8_t *out);
    // u[j] = floatToFp8E4M3(x[j] / s), or floatToFp8E5M2 (formats/float_formats.h).
    void (*fp8Codes)(const float *x, int64_t n, float s, bool e5m2, uint8_t *u);
    // h[j] = floatToFp16(x[j]), y[j] = fp16ToFloat(h[j]) (formats/float_formats.h), bit for bit:
    // a scale's round trip through its stored fp16 (rtn's fp16 scales).
    void (*f16RoundTrip)(const float *x, int64_t n, uint16_t *h, float *y);
    // y[j] = fp16ToFloat(h[j]) / bf16ToFloat(h[j]) (formats/float_formats.h), bit for bit, NaN
    // payloads included; h (n little-endian 16-bit values) need not be aligned.
    void (*f16ToFloat)(const void *h, int64_t n, float *y);
    void (*bf16ToFloat)(const void *h, int64_t n, float *y);
};

[[nodiscard]] const Table &baselineTable();
[[nodiscard]] const Table &avx2Table();
[[nodiscard]] const Table &avx512Table();
// The table of a level (tests run every supported one), and of activeCpuLevel().
[[nodiscard]] const Table &table(CpuLevel level);
[[nodiscard]] const Table &activeTable();

} // namespace cwb::quantsimd
