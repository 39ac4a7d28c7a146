// SPDX-License-Identifier: MIT
#include "methods/stored_types.h"

#include "formats/ggml_quantize.h"
#include "jobs/job_context.h"
#include "methods/method_support.h"

#include <vector>

namespace cwb {

namespace {

bool plainFloat(DType t)
{
    return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}

} // namespace

DType keepStorageType(DType stored, int64_t rowLength)
{
    if (plainFloat(stored))
        return stored;
    const DTypeInfo &info = dtypeInfo(stored);
    if (info.quantized && ggmlCanQuantize(stored) && rowLength % info.blockElems == 0)
        return stored;
    return DType::F32;
}

int ggmlScaleBytesPerBlock(DType t)
{
    // From ggml's block structs: legacy types hold d (+ m) as fp16; k-quants hold d (+ dmin)
    // plus their packed sub-block scales.
    switch (t) {
    case DType::Q4_0: return 2;          // d
    case DType::Q4_1: return 4;          // d, m
    case DType::Q5_0: return 2;          // d
    case DType::Q5_1: return 4;          // d, m
    case DType::Q8_0: return 2;          // d
    case DType::Q2_K: return 16 + 2 + 2; // scales[16], d, dmin
    case DType::Q3_K: return 12 + 2;     // scales[12], d
    case DType::Q4_K: return 2 + 2 + 12; // d, dmin, scales[12]
    case DType::Q5_K: return 2 + 2 + 12; // d, dmin, scales[12]
    case DType::Q6_K: return 16 + 2;     // scales[16], d
    default: return 0;
    }
}

ByteEstimate typeBytes(DType t, uint64_t rows, uint64_t cols)
{
    ByteEstimate e;
    const DTypeInfo &info = dtypeInfo(t);
    if (!info.quantized) {
        e.codes = rows * cols * uint64_t(info.blockBytes) / uint64_t(info.blockElems);
        return e;
    }
    const uint64_t blocks = rows * methoddetail::ceilDiv(cols, uint64_t(info.blockElems));
    e.scales = blocks * uint64_t(ggmlScaleBytesPerBlock(t));
    e.codes = blocks * uint64_t(info.blockBytes) - e.scales;
    return e;
}

bool typeDecodesZeroExactly(DType t)
{
    switch (t) {
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
    case DType::Q3_K:
    case DType::Q6_K: return true;
    default: return false;
    }
}

StoredMatrix storeInType(DType t, const QuantizeInput &in, const float *importance)
{
    if (ggmlCanQuantize(t))
        return StoredMatrix::fromGgml(
            t, ggmlQuantizeRows(t, in.w, in.rows, in.cols, importance, *in.job), in.rows,
            in.cols);
    return StoredMatrix::fromFloats(std::vector<float>(in.w, in.w + in.rows * in.cols), in.rows,
                                    in.cols, t);
}

ExportForms typeExportForms(DType t)
{
    ExportForms f;
    f.gguf = std::string(dtypeName(t));
    f.compressedTensors = plainFloat(t) ? "dense" : "none";
    if (!plainFloat(t))
        f.note = "ggml blocks have no compressed-tensors form";
    return f;
}

} // namespace cwb
