// SPDX-License-Identifier: MIT
// ggml block quantizers: argument checks, per-type dispatch and the oneTBB row loop. The block
// encoders live in ggml_quant_legacy.cpp and ggml_quant_kquants.cpp (their headers say which
// llama.cpp c392e509 routine each reproduces); the scale searches in ggml_quant_search.cpp.
// Without importance each type runs quantize_row_<type>_ref; with it, quantize_row_<type>_impl,
// which is what ggml_quantize_chunk(type, ..., imatrix) calls (Q8_0 ignores the importance).

#include "formats/ggml_quantize.h"

#include "formats/ggml_quant_blocks.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace cwb {
namespace {

using namespace ggmlq;

using PlainBlockFn = void (*)(const float *x, uint8_t *y);
// Legacy weighted blocks also take sigma2 (mean x^2 of the whole row).
using LegacyWeightedFn = void (*)(const float *x, uint8_t *y, const float *imp, float sigma2);
using SuperWeightedFn = void (*)(const float *x, uint8_t *y, const float *imp);

struct Quantizer {
    DType type;
    PlainBlockFn plain;
    LegacyWeightedFn legacyWeighted; // null for K-quants and for Q8_0
    SuperWeightedFn superWeighted;   // null for legacy types
    std::array<int, 2> fp16Fields;   // byte offsets of the block's fp16 scales (-1: none)
};

constexpr std::array<Quantizer, 10> kQuantizers{{
    {DType::Q4_0, q4_0Plain, q4_0Weighted, nullptr, {0, -1}},
    {DType::Q4_1, q4_1Plain, q4_1Weighted, nullptr, {0, 2}},
    {DType::Q5_0, q5_0Plain, q5_0Weighted, nullptr, {0, -1}},
    {DType::Q5_1, q5_1Plain, q5_1Weighted, nullptr, {0, 2}},
    {DType::Q8_0, q8_0Plain, nullptr, nullptr, {0, -1}}, // quantize_q8_0 ignores the imatrix
    {DType::Q2_K, q2KPlain, nullptr, q2KWeighted, {80, 82}},
    {DType::Q3_K, q3KPlain, nullptr, q3KWeighted, {108, -1}},
    {DType::Q4_K, q4KPlain, nullptr, q4KWeighted, {0, 2}},
    {DType::Q5_K, q5KPlain, nullptr, q5KWeighted, {0, 2}},
    {DType::Q6_K, q6KPlain, nullptr, q6KWeighted, {208, -1}},
}};

const Quantizer *findQuantizer(DType t)
{
    for (const auto &q : kQuantizers)
        if (q.type == t)
            return &q;
    return nullptr;
}

constexpr std::string_view kSource = "ggml quantizer";

const Quantizer &requireQuantizer(DType t)
{
    const Quantizer *q = findQuantizer(t);
    if (!q)
        throwIn(kSource, "type " + std::string(dtypeName(t))
                             + " is not supported (supported: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K "
                               "Q3_K Q4_K Q5_K Q6_K)");
    return *q;
}

// Checks the row length against the block size; returns the stored bytes of one row.
uint64_t requireRowBytes(DType t, int64_t n)
{
    const DTypeInfo &info = dtypeInfo(t);
    if (n <= 0 || n % info.blockElems != 0)
        throwIn(kSource, "row length " + std::to_string(n) + " is not a positive multiple of the "
                             + std::string(info.name) + " block size "
                             + std::to_string(info.blockElems));
    const auto bytes = storageBytes(t, static_cast<uint64_t>(n));
    if (!bytes)
        throwIn(kSource, "row length " + std::to_string(n) + " overflows the storage size");
    return *bytes;
}

// Non-finite inputs have no meaningful quantization (ggml would write garbage scales).
void requireFinite(const float *v, int64_t n, std::string_view what, int64_t row)
{
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(v[i])) {
            std::string msg = std::string(what) + " value " + std::to_string(i);
            if (row >= 0)
                msg += " of row " + std::to_string(row);
            msg += " is not finite (" + std::to_string(v[i]) + ")";
            throwIn(kSource, msg);
        }
    }
}

// A scale that overflowed fp16 (values beyond ~65504 times the level range) or became NaN
// (make_qp_quants divides 0/0 when the importance is zero over a whole super-block) makes the
// block meaningless. llama.cpp c392e509 writes such blocks and llama-quantize then rejects the
// row (ggml_validate_row_data); we refuse at once and say where.
void requireFiniteScales(const Quantizer &q, const uint8_t *y, int64_t blocks, int64_t row)
{
    const int blockBytes = dtypeInfo(q.type).blockBytes;
    for (int64_t b = 0; b < blocks; ++b) {
        for (const int field : q.fp16Fields) {
            if (field < 0)
                continue;
            const uint8_t *p = y + b * blockBytes + field;
            const auto h = static_cast<uint16_t>(p[0] | (p[1] << 8));
            if ((h & 0x7c00u) != 0x7c00u)
                continue;
            std::string msg = "block " + std::to_string(b);
            if (row >= 0)
                msg += " of row " + std::to_string(row);
            msg += ": the " + std::string(dtypeName(q.type)) + " scale is not finite in fp16 ("
                + (h & 0x3ffu ? std::string("NaN, e.g. from importance zero over the whole block")
                              : std::string("values too large for this type"))
                + ")";
            throwIn(kSource, msg);
        }
    }
}

// One row, arguments already validated.
void quantizeRow(const Quantizer &q, const float *x, uint8_t *y, int64_t n, const float *imp,
                 int64_t row)
{
    const int blockElems = dtypeInfo(q.type).blockElems;
    const int blockBytes = dtypeInfo(q.type).blockBytes;
    const int64_t blocks = n / blockElems;
    if (imp && q.legacyWeighted) {
        const float sigma2 = sumOfSquares(x, n) / float(n);
        for (int64_t b = 0; b < blocks; ++b)
            q.legacyWeighted(x + b * blockElems, y + b * blockBytes, imp + b * blockElems, sigma2);
    } else if (imp && q.superWeighted) {
        for (int64_t b = 0; b < blocks; ++b)
            q.superWeighted(x + b * blockElems, y + b * blockBytes, imp + b * blockElems);
    } else {
        for (int64_t b = 0; b < blocks; ++b)
            q.plain(x + b * blockElems, y + b * blockBytes);
    }
    requireFiniteScales(q, y, blocks, row);
}

} // namespace

bool ggmlCanQuantize(DType t) { return findQuantizer(t) != nullptr; }

void ggmlQuantizeRowReference(DType t, const float *x, std::byte *out, int64_t n,
                              const float *importance)
{
    const Quantizer &q = requireQuantizer(t);
    requireRowBytes(t, n);
    if (!x || !out)
        throwIn(kSource, "null input or output buffer");
    requireFinite(x, n, "input", -1);
    if (importance)
        requireFinite(importance, n, "importance", -1);
    quantizeRow(q, x, reinterpret_cast<uint8_t *>(out), n, importance, -1);
}

std::vector<std::byte> ggmlQuantizeRows(DType t, const float *x, int64_t rows, int64_t rowLength,
                                        const float *importance)
{
    return ggmlQuantizeRows(t, x, rows, rowLength, importance, JobContext{});
}

std::vector<std::byte> ggmlQuantizeRows(DType t, const float *x, int64_t rows, int64_t rowLength,
                                        const float *importance, const JobContext &job)
{
    const Quantizer &q = requireQuantizer(t);
    const uint64_t rowBytes = requireRowBytes(t, rowLength);
    if (rows < 0)
        throwIn(kSource, "negative row count " + std::to_string(rows));
    if (rows > 0 && !x)
        throwIn(kSource, "null input buffer");
    // Both the float input and the output must be addressable: reject absurd shapes up front.
    const uint64_t maxRows = (uint64_t(1) << 60) / uint64_t(rowLength);
    if (uint64_t(rows) > maxRows)
        throwIn(kSource, std::to_string(rows) + " rows of " + std::to_string(rowLength)
                             + " values overflow the addressable size");
    if (importance)
        requireFinite(importance, rowLength, "importance", -1);

    std::vector<std::byte> out(static_cast<size_t>(uint64_t(rows) * rowBytes));
    auto *y = reinterpret_cast<uint8_t *>(out.data());
    // Rows are independent (each row's sigma2 uses only that row), so any partition gives the
    // same bytes as the reference loop. Aim for chunks of ~64k values to amortise scheduling.
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / rowLength);
    tbb::task_group_context group;
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(0, rows, grain),
        [&](const tbb::blocked_range<int64_t> &range) {
            if (job.cancelled()) {
                group.cancel_group_execution();
                return;
            }
            for (int64_t r = range.begin(); r != range.end(); ++r) {
                const float *xr = x + r * rowLength;
                requireFinite(xr, rowLength, "input", r);
                quantizeRow(q, xr, y + uint64_t(r) * rowBytes, rowLength, importance, r);
            }
        },
        group);
    job.checkCancelled();
    return out;
}

} // namespace cwb
