// SPDX-License-Identifier: MIT
// Weight quantization formats (core/compress/quant_methods.h), ggml test-quantize-fns style:
// every fast path against its scalar reference (bitwise: codes, scales, zeros, second-level
// scales, tensor scale, and the dequantized floats), round-trip error bounds per method, exact
// stored sizes, special values, the published grids, and the parameter errors.
//
// Round-trip error: relative RMS sqrt(sum (w - w')^2 / sum w^2) on 256 x 1024 weights, "gauss"
// N(0, 0.02^2) and "heavy" 0.02 x Student-t with 3 degrees of freedom (rare large outliers).
// Measured on this implementation (deterministic data); the bounds in roundTripError_data are
// these plus ~10%, and each test also requires the error to stay above 80% of its bound so that
// a loose bound cannot hide a regression.
//   method                    gauss    heavy
//   rtn w8 sym g128           0.0064   0.0140
//   rtn w4 sym g128           0.1167   0.2220
//   rtn w4 asym g128          0.1001   0.1624
//   rtn w4 sym per-channel    0.1412   0.3899
//   rtn w3 sym g64            0.2505   0.3633
//   rtn w2 asym g32           0.4058   0.4265
//   nf4 b64                   0.0920   0.1214
//   nf4 b64 double-quant      0.0921   0.1218
//   fp8_e4m3 per-tensor       0.0264   0.0260
//   fp8_e5m2 per-channel      0.0527   0.0484
//   mxfp4 (OCP floor)         0.1139   0.1441
//   nvfp4                     0.0952   0.0897
//   ternary (absmean)         0.5123   0.7199

#include "bench/compress_bench.h"
#include "bench/quantize_side_by_side.h"
#include "compress/quant_methods.h"
#include "formats/float_formats.h"
#include "formats/quant_grids.h"
#include "formats/quantized_tensor.h"
#include "jobs/job_context.h"
#include "util/error.h"
#include "util/round_even.h"

#include "test_support.h"

#include <QFile>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(cwb::QuantParams)

namespace {

using cwb::QuantParams;
using cwb::QuantizedTensor;

enum class Data { Gauss, Heavy, Special };

std::vector<float> gaussian(int64_t rows, int64_t cols, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (float &v : w)
        v = normal(rng);
    return w;
}

std::vector<float> heavyTailed(int64_t rows, int64_t cols, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::student_t_distribution<float> t(3.0f);
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (float &v : w)
        v = 0.02f * t(rng);
    return w;
}

// Gaussian rows with the cases that break naive quantizers, spread over several parallel
// row blocks: zero rows, signed zeros, constants, outliers, subnormals, a huge dynamic range.
std::vector<float> special(int64_t rows, int64_t cols, uint64_t seed)
{
    std::vector<float> w = gaussian(rows, cols, seed);
    auto row = [&](int64_t r) { return w.data() + r * cols; };
    for (int64_t c = 0; c < cols; ++c) {
        row(0)[c] = 0.0f;
        row(1)[c] = (c % 3 == 0) ? -0.0f : 0.0f;
        row(2)[c] = 0.5f;
        row(3)[c] = -0.125f;
        row(5)[c] = 1e-40f * float(c % 7 - 3);
        row(rows - 2)[c] = std::ldexp(1.0f, int(c % 30) - 20) * ((c & 1) ? -1.0f : 1.0f);
    }
    row(4)[7] = 80.0f;
    row(4)[cols - 1] = -150.0f;
    row(rows / 2)[0] = 1e4f;
    return w;
}

std::vector<float> makeData(Data d, int64_t rows, int64_t cols)
{
    switch (d) {
    case Data::Gauss: return gaussian(rows, cols, 7);
    case Data::Heavy: return heavyTailed(rows, cols, 11);
    case Data::Special: return special(rows, cols, 13);
    }
    return {};
}

double relRms(const std::vector<float> &w, const std::vector<float> &r)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        num += (double(w[i]) - r[i]) * (double(w[i]) - r[i]);
        den += double(w[i]) * w[i];
    }
    return std::sqrt(num / den);
}

bool sameBits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

bool sameFloats(const std::vector<float> &a, const std::vector<float> &b)
{
    // (empty vectors may hold null data, which memcmp must not get even for 0 bytes)
    return a.size() == b.size()
        && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// Names the first difference between two packed tensors, empty when bitwise equal.
std::string packedDifference(const QuantizedTensor &a, const QuantizedTensor &b)
{
    if (a.method != b.method || a.rows != b.rows || a.cols != b.cols || a.codeBits != b.codeBits
        || a.groupSize != b.groupSize || a.scaleType != b.scaleType || a.packing != b.packing)
        return "metadata";
    auto bytes = [](const char *name, std::span<const uint8_t> x,
                    std::span<const uint8_t> y) -> std::string {
        if (x.size() != y.size())
            return std::string(name) + " sizes differ";
        for (size_t i = 0; i < x.size(); ++i)
            if (x[i] != y[i])
                return std::string(name) + " byte " + std::to_string(i) + ": "
                    + std::to_string(x[i]) + " vs " + std::to_string(y[i]);
        return {};
    };
    for (const std::string &d : {bytes("codes", a.codes, b.codes),
                                 bytes("scales", a.scales, b.scales),
                                 bytes("zeros", a.zeros, b.zeros)})
        if (!d.empty())
            return d;
    if (!sameFloats(a.secondScales, b.secondScales))
        return "secondScales";
    if (!sameBits(a.scaleOffset, b.scaleOffset))
        return "scaleOffset";
    if (a.hasTensorScale != b.hasTensorScale || !sameBits(a.tensorScale, b.tensorScale))
        return "tensorScale";
    return {};
}

QuantParams rtn(int bits, bool sym, cwb::Granularity g, int group = 128, bool f16 = true)
{
    return cwb::RtnParams{.bits = bits, .symmetric = sym, .granularity = g, .groupSize = group,
                          .f16Scales = f16};
}

std::string errorOf(const std::function<void()> &f) { return cwbtest::errorOf(f); }

} // namespace

class TestQuantFormats : public QObject {
    Q_OBJECT

private slots:
    void fastMatchesReference_data();
    void fastMatchesReference();
    void roundTripError_data();
    void roundTripError();
    void storedBytesExact_data();
    void storedBytesExact();
    void zerosAndConstants();
    void outlierStaysInItsGroup();
    void nonFiniteInputNamesRowAndCol_data();
    void nonFiniteInputNamesRowAndCol();
    void fp16ScaleOverflowIsAnError();
    void nf4LevelsArePublished();
    void dynamicMapStructure();
    void e2m1Grid();
    void fp4GridRoundTripsExactly();
    void fp8EncodersSaturateAndRoundToEven();
    void fp8QuantizerSaturatesAtFormatMax();
    void dequantizeRowsSubRange();
    void packingLayout();
    void roundHalfEvenIsNearbyint();
    void roundsHalfToEven();
    void invalidParams_data();
    void invalidParams();
    void inconsistentLayoutIsRejected();
    void cancellation();
    void compressBenchSmoke();
    void llamaQuantizeSideBySideGivesItsBytes();
};

// Every main parameter combination, on Gaussian, heavy-tailed and special data; 260 rows
// so the fast paths split into several parallel row blocks.
void TestQuantFormats::fastMatchesReference_data()
{
    QTest::addColumn<QuantParams>("params");
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<qint64>("cols");
    using G = cwb::Granularity;
    for (int bits = 2; bits <= 8; ++bits) {
        for (const bool sym : {true, false}) {
            const char *s = sym ? "sym" : "asym";
            QTest::addRow("rtn w%d %s per-tensor", bits, s)
                << rtn(bits, sym, G::PerTensor) << qint64(260) << qint64(512);
            QTest::addRow("rtn w%d %s per-channel", bits, s)
                << rtn(bits, sym, G::PerChannel) << qint64(260) << qint64(512);
            QTest::addRow("rtn w%d %s per-channel odd cols", bits, s)
                << rtn(bits, sym, G::PerChannel) << qint64(70) << qint64(37);
            for (const int g : {32, 64, 128, 256})
                QTest::addRow("rtn w%d %s g%d", bits, s, g)
                    << rtn(bits, sym, G::Group, g) << qint64(260) << qint64(512);
        }
    }
    QTest::newRow("rtn w4 sym g128 f32 scales")
        << rtn(4, true, G::Group, 128, false) << qint64(260) << qint64(512);
    QTest::newRow("rtn w3 asym per-tensor f32 scales")
        << rtn(3, false, G::PerTensor, 128, false) << qint64(260) << qint64(512);
    for (const int block : {64, 128, 256}) {
        QTest::addRow("nf4 b%d", block)
            << QuantParams(cwb::Nf4Params{.blockSize = block}) << qint64(260) << qint64(512);
        QTest::addRow("nf4 b%d dq256", block)
            << QuantParams(cwb::Nf4Params{.blockSize = block, .doubleQuant = true})
            << qint64(260) << qint64(512);
    }
    QTest::newRow("nf4 b64 dq64") << QuantParams(cwb::Nf4Params{.doubleQuant = true,
                                                                .dqBlockSize = 64})
                                  << qint64(260) << qint64(512);
    QTest::newRow("nf4 b4096 dq256")
        << QuantParams(cwb::Nf4Params{.blockSize = 4096, .doubleQuant = true}) << qint64(20)
        << qint64(4096);
    for (const auto f : {cwb::Fp8Format::E4M3, cwb::Fp8Format::E5M2})
        for (const auto g : {G::PerTensor, G::PerChannel})
            QTest::addRow("fp8 %s %s", f == cwb::Fp8Format::E4M3 ? "e4m3" : "e5m2",
                          cwb::granularityName(g))
                << QuantParams(cwb::Fp8Params{.format = f, .granularity = g}) << qint64(260)
                << qint64(512);
    QTest::newRow("mxfp4 ocp floor") << QuantParams(cwb::MxFp4Params{}) << qint64(260)
                                     << qint64(512);
    QTest::newRow("mxfp4 no-clip")
        << QuantParams(cwb::MxFp4Params{.scaleRule = cwb::MxScaleRule::NoClip}) << qint64(260)
        << qint64(512);
    QTest::newRow("nvfp4") << QuantParams(cwb::NvFp4Params{}) << qint64(260) << qint64(512);
    QTest::newRow("nvfp4 shared global amax")
        << QuantParams(cwb::NvFp4Params{.globalAmax = 2.0e4f}) << qint64(260) << qint64(512);
    QTest::newRow("ternary 2-bit") << QuantParams(cwb::TernaryParams{}) << qint64(260)
                                   << qint64(517);
    QTest::newRow("ternary base-3")
        << QuantParams(cwb::TernaryParams{.packing = cwb::TernaryPacking::Base3}) << qint64(260)
        << qint64(517);
}

void TestQuantFormats::fastMatchesReference()
{
    QFETCH(QuantParams, params);
    QFETCH(qint64, rows);
    QFETCH(qint64, cols);
    for (const Data d : {Data::Gauss, Data::Heavy, Data::Special}) {
        const std::vector<float> w = makeData(d, rows, cols);
        const QuantizedTensor ref = cwb::quantizeReference(w.data(), rows, cols, params);
        const QuantizedTensor fast = cwb::quantize(w.data(), rows, cols, params, {});
        const std::string diff = packedDifference(ref, fast);
        QVERIFY2(diff.empty(), ("data kind " + std::to_string(int(d)) + ": " + diff).c_str());
        QCOMPARE(fast.storedBytes(), cwb::quantizedStoredBytes(params, rows, cols));

        std::vector<float> refOut(w.size()), fastOut(w.size());
        ref.dequantizeRowsReference(0, rows, refOut.data());
        fast.dequantizeRows(0, rows, fastOut.data());
        QVERIFY2(sameFloats(refOut, fastOut), "dequantizeRows differs from the reference");
        QVERIFY(sameFloats(fast.dequantize(), refOut));
        for (const float v : fastOut)
            QVERIFY(std::isfinite(v));
    }
}

void TestQuantFormats::roundTripError_data()
{
    QTest::addColumn<QuantParams>("params");
    QTest::addColumn<double>("gaussBound");
    QTest::addColumn<double>("heavyBound");
    using G = cwb::Granularity;
    QTest::newRow("rtn w8 sym g128") << rtn(8, true, G::Group) << 0.0070 << 0.0155;
    QTest::newRow("rtn w4 sym g128") << rtn(4, true, G::Group) << 0.128 << 0.245;
    QTest::newRow("rtn w4 asym g128") << rtn(4, false, G::Group) << 0.110 << 0.179;
    QTest::newRow("rtn w4 sym per-channel") << rtn(4, true, G::PerChannel) << 0.156 << 0.43;
    QTest::newRow("rtn w3 sym g64") << rtn(3, true, G::Group, 64) << 0.276 << 0.40;
    QTest::newRow("rtn w2 asym g32") << rtn(2, false, G::Group, 32) << 0.447 << 0.47;
    QTest::newRow("nf4 b64") << QuantParams(cwb::Nf4Params{}) << 0.101 << 0.134;
    QTest::newRow("nf4 b64 double-quant")
        << QuantParams(cwb::Nf4Params{.doubleQuant = true}) << 0.102 << 0.134;
    QTest::newRow("fp8_e4m3 per-tensor") << QuantParams(cwb::Fp8Params{}) << 0.029 << 0.0286;
    QTest::newRow("fp8_e5m2 per-channel")
        << QuantParams(cwb::Fp8Params{.format = cwb::Fp8Format::E5M2,
                                      .granularity = G::PerChannel})
        << 0.058 << 0.0533;
    QTest::newRow("mxfp4 ocp floor") << QuantParams(cwb::MxFp4Params{}) << 0.125 << 0.159;
    QTest::newRow("nvfp4") << QuantParams(cwb::NvFp4Params{}) << 0.105 << 0.099;
    QTest::newRow("ternary") << QuantParams(cwb::TernaryParams{}) << 0.564 << 0.792;
}

void TestQuantFormats::roundTripError()
{
    QFETCH(QuantParams, params);
    QFETCH(double, gaussBound);
    QFETCH(double, heavyBound);
    const int64_t rows = 256, cols = 1024;
    double err[2];
    for (const Data d : {Data::Gauss, Data::Heavy}) {
        const std::vector<float> w = makeData(d, rows, cols);
        err[int(d)] = relRms(w, cwb::quantize(w.data(), rows, cols, params, {}).dequantize());
    }
    qInfo("relative RMS error: gauss %.4f (bound %.4f), heavy %.4f (bound %.4f)", err[0],
          gaussBound, err[1], heavyBound);
    QVERIFY(err[0] <= gaussBound);
    QVERIFY(err[1] <= heavyBound);
    // A bound far above the error would not catch a regression either.
    QVERIFY(err[0] > 0.8 * gaussBound);
    QVERIFY(err[1] > 0.8 * heavyBound);
}

void TestQuantFormats::storedBytesExact_data()
{
    QTest::addColumn<QuantParams>("params");
    QTest::addColumn<quint64>("bytes");
    using G = cwb::Granularity;
    constexpr quint64 mib = 1 << 20;
    // 4096 x 4096: codes 8 MiB at 4 bits; 4096 rows x 32 groups of fp16 scales = 256 KiB.
    QTest::newRow("rtn w4 sym g128 fp16") << rtn(4, true, G::Group) << 8 * mib + 262144;
    // + 4-bit zero points, 131072 of them.
    QTest::newRow("rtn w4 asym g128 fp16") << rtn(4, false, G::Group) << 8 * mib + 262144 + 65536;
    QTest::newRow("rtn w3 sym per-channel fp32")
        << rtn(3, true, G::PerChannel, 128, false) << quint64(4096) * 1536 + 4096 * 4;
    QTest::newRow("rtn w8 asym per-tensor fp16") << rtn(8, false, G::PerTensor) << 16 * mib + 2 + 1;
    QTest::newRow("rtn w2 sym g32 fp16") << rtn(2, true, G::Group, 32) << 4 * mib + 4096 * 128 * 2;
    // bitsandbytes: fp32 absmax per 64 = 0.5 bit/weight.
    QTest::newRow("nf4 b64") << QuantParams(cwb::Nf4Params{}) << 8 * mib + 4096 * 64 * 4;
    // QLoRA's double quantization: 8-bit absmax + fp32 per 256 of them + the fp32 mean.
    QTest::newRow("nf4 b64 dq256") << QuantParams(cwb::Nf4Params{.doubleQuant = true})
                                   << 8 * mib + 262144 + 1024 * 4 + 4;
    QTest::newRow("fp8_e4m3 per-tensor") << QuantParams(cwb::Fp8Params{}) << 16 * mib + 4;
    QTest::newRow("fp8_e5m2 per-channel")
        << QuantParams(cwb::Fp8Params{.format = cwb::Fp8Format::E5M2,
                                      .granularity = G::PerChannel})
        << 16 * mib + 4096 * 4;
    QTest::newRow("mxfp4") << QuantParams(cwb::MxFp4Params{}) << 8 * mib + 4096 * 128;
    QTest::newRow("nvfp4") << QuantParams(cwb::NvFp4Params{}) << 8 * mib + 4096 * 256 + 4;
    QTest::newRow("ternary 2-bit") << QuantParams(cwb::TernaryParams{}) << 4 * mib + 4;
    QTest::newRow("ternary base-3")
        << QuantParams(cwb::TernaryParams{.packing = cwb::TernaryPacking::Base3})
        << quint64(4096) * 820 + 4;
}

void TestQuantFormats::storedBytesExact()
{
    QFETCH(QuantParams, params);
    QFETCH(quint64, bytes);
    QCOMPARE(cwb::quantizedStoredBytes(params, 4096, 4096), bytes);
    // The real thing at a quarter of the rows stores exactly a quarter (all layouts are per row,
    // bar the tensor-level scalars).
    const std::vector<float> w = gaussian(1024, 4096, 3);
    const QuantizedTensor q = cwb::quantize(w.data(), 1024, 4096, params, {});
    QCOMPARE(q.storedBytes(), cwb::quantizedStoredBytes(params, 1024, 4096));
    QCOMPARE(q.bitsPerWeight(), double(q.storedBytes()) * 8.0 / (1024.0 * 4096.0));
}

void TestQuantFormats::zerosAndConstants()
{
    const int64_t rows = 8, cols = 256;
    const std::vector<QuantParams> all{
        rtn(4, true, cwb::Granularity::Group),
        rtn(4, false, cwb::Granularity::Group),
        rtn(3, false, cwb::Granularity::PerTensor),
        QuantParams(cwb::Nf4Params{.doubleQuant = true}),
        QuantParams(cwb::Fp8Params{}),
        QuantParams(cwb::MxFp4Params{}),
        QuantParams(cwb::NvFp4Params{}),
        QuantParams(cwb::TernaryParams{}),
    };
    // All zeros: every method gives exact zeros and finite scales.
    const std::vector<float> zeros(size_t(rows * cols), 0.0f);
    for (const QuantParams &p : all) {
        const QuantizedTensor q = cwb::quantize(zeros.data(), rows, cols, p, {});
        for (const float v : q.dequantize())
            QVERIFY2(v == 0.0f, q.method.c_str());
        for (int64_t i = 0; i < q.scaleCount(); ++i)
            QVERIFY(std::isfinite(q.scaleAt(i)));
    }
    // Documented scale conventions for empty scopes.
    QCOMPARE(cwb::quantize(zeros.data(), rows, cols, cwb::Fp8Params{}, {}).scaleAt(0), 1.0f);
    QCOMPARE(int(cwb::quantize(zeros.data(), rows, cols, cwb::MxFp4Params{}, {}).scales[0]), 0);
    const QuantizedTensor nv = cwb::quantize(zeros.data(), rows, cols, cwb::NvFp4Params{}, {});
    QCOMPARE(nv.tensorScale, 1.0f);
    QCOMPARE(nv.scaleAt(0), 1.0f);

    // A constant block is exact where the format can say so: nf4 (absmax maps to level 1.0),
    // mxfp4 (0.75 = 6 * 2^-3), nvfp4 (the block scale 1/6 of it), fp8 (amax maps to 448).
    std::vector<float> constant(size_t(rows * cols), 0.75f);
    for (const QuantParams &p :
         {QuantParams(cwb::Nf4Params{}), QuantParams(cwb::Nf4Params{.doubleQuant = true}),
          QuantParams(cwb::MxFp4Params{}), QuantParams(cwb::NvFp4Params{}),
          QuantParams(cwb::Fp8Params{})}) {
        const QuantizedTensor q = cwb::quantize(constant.data(), rows, cols, p, {});
        for (const float v : q.dequantize())
            QVERIFY2(v == 0.75f, (q.method + ": " + std::to_string(v)).c_str());
    }
    // Asymmetric rtn keeps 0 exactly representable (GPTQ's find_params includes it in the range).
    std::vector<float> w = gaussian(rows, cols, 5);
    for (size_t i = 0; i < w.size(); i += 3)
        w[i] = 0.0f;
    for (const int bits : {2, 3, 4, 8}) {
        const auto out =
            cwb::quantize(w.data(), rows, cols, rtn(bits, false, cwb::Granularity::Group, 32), {})
                .dequantize();
        for (size_t i = 0; i < w.size(); i += 3)
            QCOMPARE(out[i], 0.0f);
    }
}

// One huge weight only coarsens its own group: every other group decodes exactly as without it.
void TestQuantFormats::outlierStaysInItsGroup()
{
    const int64_t rows = 16, cols = 512;
    const std::vector<float> w = gaussian(rows, cols, 9);
    std::vector<float> spiked = w;
    spiked[3 * cols + 70] = 5.0f; // row 3, group 70 / g
    struct Case {
        QuantParams p;
        int64_t group;
    };
    for (const Case &c : {Case{rtn(4, true, cwb::Granularity::Group, 64), 64},
                          Case{rtn(4, false, cwb::Granularity::Group, 32), 32},
                          Case{QuantParams(cwb::Nf4Params{}), 64},
                          Case{QuantParams(cwb::MxFp4Params{}), 32}}) {
        const auto a = cwb::quantize(w.data(), rows, cols, c.p, {}).dequantize();
        const auto b = cwb::quantize(spiked.data(), rows, cols, c.p, {}).dequantize();
        const int64_t spikedGroup = (3 * cols + 70) / c.group;
        int64_t changed = 0;
        for (int64_t i = 0; i < rows * cols; ++i) {
            if (i / c.group == spikedGroup)
                changed += a[size_t(i)] != b[size_t(i)];
            else
                QVERIFY2(sameBits(a[size_t(i)], b[size_t(i)]), cwb::methodName(c.p).c_str());
        }
        QVERIFY(changed > 0);
    }
}

void TestQuantFormats::nonFiniteInputNamesRowAndCol_data()
{
    QTest::addColumn<QuantParams>("params");
    QTest::newRow("rtn per-tensor") << rtn(4, true, cwb::Granularity::PerTensor);
    QTest::newRow("rtn group") << rtn(4, false, cwb::Granularity::Group);
    QTest::newRow("nf4") << QuantParams(cwb::Nf4Params{.doubleQuant = true});
    QTest::newRow("fp8 per-tensor") << QuantParams(cwb::Fp8Params{});
    QTest::newRow("fp8 per-channel")
        << QuantParams(cwb::Fp8Params{.granularity = cwb::Granularity::PerChannel});
    QTest::newRow("mxfp4") << QuantParams(cwb::MxFp4Params{});
    QTest::newRow("nvfp4") << QuantParams(cwb::NvFp4Params{});
    QTest::newRow("nvfp4 given amax") << QuantParams(cwb::NvFp4Params{.globalAmax = 1.0f});
    QTest::newRow("ternary") << QuantParams(cwb::TernaryParams{});
}

void TestQuantFormats::nonFiniteInputNamesRowAndCol()
{
    QFETCH(QuantParams, params);
    const int64_t rows = 600, cols = 256; // several parallel row blocks
    std::vector<float> w = gaussian(rows, cols, 17);
    w[size_t(451 * cols + 3)] = std::numeric_limits<float>::infinity(); // a later block
    w[size_t(130 * cols + 17)] = std::numeric_limits<float>::quiet_NaN();
    for (const bool reference : {true, false}) {
        const std::string msg = errorOf([&] {
            if (reference)
                (void)cwb::quantizeReference(w.data(), rows, cols, params);
            else
                (void)cwb::quantize(w.data(), rows, cols, params, {});
        });
        QVERIFY2(msg.find("row 130, col 17") != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("not finite") != std::string::npos, msg.c_str());
        QVERIFY2(msg.starts_with(cwb::methodName(params)), msg.c_str());
    }
}

// A scale beyond fp16's range would decode as infinity: refuse and say where and what to do.
void TestQuantFormats::fp16ScaleOverflowIsAnError()
{
    std::vector<float> w = gaussian(300, 256, 3);
    w[size_t(200 * 256 + 77)] = 1e6f; // row 200, group 0 of 2 (g128)
    for (const bool reference : {true, false}) {
        const std::string msg = errorOf([&] {
            const QuantParams p = rtn(4, true, cwb::Granularity::Group);
            if (reference)
                (void)cwb::quantizeReference(w.data(), 300, 256, p);
            else
                (void)cwb::quantize(w.data(), 300, 256, p, {});
        });
        QVERIFY2(msg.find("rtn: the scale of the group starting at row 200, col 0") == 0,
                 msg.c_str());
        QVERIFY2(msg.find("set f16Scales = false") != std::string::npos, msg.c_str());
    }
    const QuantizedTensor q =
        cwb::quantize(w.data(), 300, 256, rtn(4, true, cwb::Granularity::Group, 128, false), {});
    QCOMPARE(q.dequantize()[size_t(200 * 256 + 77)], 1e6f);
}

void TestQuantFormats::nf4LevelsArePublished()
{
    // QLoRA appendix E / bitsandbytes get_4bit_type("nf4"), typed in independently.
    const double published[16] = {-1.0,
                                  -0.6961928009986877,
                                  -0.5250730514526367,
                                  -0.39491748809814453,
                                  -0.28444138169288635,
                                  -0.18477343022823334,
                                  -0.09105003625154495,
                                  0.0,
                                  0.07958029955625534,
                                  0.16093020141124725,
                                  0.24611230194568634,
                                  0.33791524171829224,
                                  0.44070982933044434,
                                  0.5626170039176941,
                                  0.7229568362236023,
                                  1.0};
    for (int i = 0; i < 16; ++i)
        QCOMPARE(cwb::kNf4Levels[size_t(i)], float(published[i]));
    // Each level is the nearest level of itself; a midpoint goes to the lower level.
    const auto &t = cwb::nf4Thresholds();
    for (int i = 0; i < 16; ++i) {
        const std::vector<float> w(64, cwb::kNf4Levels[size_t(i)]);
        std::vector<float> block(64, 1.0f); // absmax 1 so the levels are the normalized values
        for (int j = 0; j < 63; ++j)
            block[size_t(j)] = w[size_t(j)];
        const QuantizedTensor q = cwb::quantizeReference(block.data(), 1, 64, cwb::Nf4Params{});
        QCOMPARE(int(q.codeAt(0, 0)), i);
        if (i < 15)
            QCOMPARE(t[size_t(i)], float((published[i] + published[i + 1]) / 2));
    }
    std::vector<float> tie(64, 1.0f);
    tie[0] = t[7]; // midpoint of 0 and 0.0796: bitsandbytes' `x > threshold` keeps the lower
    QCOMPARE(int(cwb::quantizeReference(tie.data(), 1, 64, cwb::Nf4Params{}).codeAt(0, 0)), 7);
}

void TestQuantFormats::dynamicMapStructure()
{
    const auto &map = cwb::dynamicMap8();
    for (size_t i = 1; i < map.size(); ++i)
        QVERIFY(map[i - 1] < map[i]);
    QCOMPARE(cwb::dynamicMap8ZeroIndex(), 127);
    QCOMPARE(map[127], 0.0f);
    QCOMPARE(map[255], 1.0f);
    // The negative half mirrors the positive one below 1: 10^(i-6) x linspace midpoints.
    for (int k = 1; k <= 127; ++k)
        QCOMPARE(map[size_t(127 - k)], -map[size_t(127 + k)]);
    QCOMPARE(map[128], 1e-6f * 0.55f);                  // i = 0: one midpoint of [0.1, 1]
    QVERIFY(std::fabs(map[254] - (1.0f - 0.45f / 64.0f)) < 1e-6f); // i = 6: last of 64
    QVERIFY(std::fabs(map[0] + (1.0f - 0.45f / 64.0f)) < 1e-6f);
}

void TestQuantFormats::e2m1Grid()
{
    for (uint8_t c = 0; c < 16; ++c)
        QCOMPARE(int(cwb::floatToE2M1(cwb::e2m1ToFloat(c))), int(c));
    // Ties go to the even code (the mantissa bit clear); beyond 6 saturates.
    const struct {
        float x;
        int code;
    } cases[] = {{0.25f, 0}, {0.2500001f, 1}, {0.75f, 2}, {1.25f, 2}, {1.75f, 4}, {2.5f, 4},
                 {3.5f, 6},  {5.0f, 6},       {5.01f, 7}, {7.0f, 7},  {1e30f, 7}, {-0.75f, 10},
                 {-5.5f, 15}, {-0.1f, 8}};
    for (const auto &c : cases)
        QCOMPARE(int(cwb::floatToE2M1(c.x)), c.code);
}

// Values on the element grid (times the block scale) come back bit for bit.
void TestQuantFormats::fp4GridRoundTripsExactly()
{
    // mxfp4: block k holds every signed grid value times 2^e_k (amax 6 * 2^e_k), shuffled.
    const int64_t rows = 4, cols = 320; // 40 blocks of 32
    std::vector<float> w(size_t(rows * cols));
    std::mt19937 rng(1);
    for (int64_t b = 0; b < rows * cols / 32; ++b) {
        const int e = int(b % 41) - 20;
        for (int j = 0; j < 32; ++j)
            w[size_t(b * 32 + j)] = std::ldexp(cwb::e2m1ToFloat(uint8_t(j % 16)), e);
        std::shuffle(w.begin() + b * 32, w.begin() + b * 32 + 32, rng);
    }
    for (const auto rule : {cwb::MxScaleRule::OcpFloor, cwb::MxScaleRule::NoClip}) {
        const QuantizedTensor q = cwb::quantize(w.data(), rows, cols, cwb::MxFp4Params{rule}, {});
        QVERIFY(sameFloats(q.dequantize(), w));
    }
    // nvfp4: tensor amax 2688 makes the global scale exactly 1; a block's scale s is an fp8
    // value, its amax 6 s, so every element is a grid value times s.
    const float blockScales[] = {448.0f, 1.0f, 0.5f, 3.5f, 0.125f, 0.015625f, 240.0f, 0.0078125f};
    std::vector<float> v(size_t(2 * 64));
    for (size_t b = 0; b < v.size() / 16; ++b)
        for (int j = 0; j < 16; ++j)
            v[b * 16 + size_t(j)] = cwb::e2m1ToFloat(uint8_t(j)) * blockScales[b];
    const QuantizedTensor q = cwb::quantize(v.data(), 2, 64, cwb::NvFp4Params{}, {});
    QCOMPARE(q.tensorScale, 1.0f);
    QVERIFY(sameFloats(q.dequantize(), v));
}

void TestQuantFormats::fp8EncodersSaturateAndRoundToEven()
{
    // Every finite code decodes and re-encodes to itself.
    for (int b = 0; b < 256; ++b) {
        const float e4 = cwb::fp8E4M3ToFloat(uint8_t(b));
        if (!std::isnan(e4))
            QCOMPARE(int(cwb::floatToFp8E4M3(e4)), b);
        const float e5 = cwb::fp8E5M2ToFloat(uint8_t(b));
        if (std::isfinite(e5))
            QCOMPARE(int(cwb::floatToFp8E5M2(e5)), b);
    }
    // Midpoints between neighbours round to the even code.
    for (int b = 0; b < 0x7e; ++b) {
        const float mid =
            (cwb::fp8E4M3ToFloat(uint8_t(b)) + cwb::fp8E4M3ToFloat(uint8_t(b + 1))) / 2;
        QCOMPARE(int(cwb::floatToFp8E4M3(mid)), (b % 2 == 0) ? b : b + 1);
    }
    for (int b = 0; b < 0x7b; ++b) {
        const float mid =
            (cwb::fp8E5M2ToFloat(uint8_t(b)) + cwb::fp8E5M2ToFloat(uint8_t(b + 1))) / 2;
        QCOMPARE(int(cwb::floatToFp8E5M2(mid)), (b % 2 == 0) ? b : b + 1);
    }
    const float inf = std::numeric_limits<float>::infinity();
    QCOMPARE(int(cwb::floatToFp8E4M3(448.0f)), 0x7e);
    QCOMPARE(int(cwb::floatToFp8E4M3(470.0f)), 0x7e);
    QCOMPARE(int(cwb::floatToFp8E4M3(1e6f)), 0x7e);
    QCOMPARE(int(cwb::floatToFp8E4M3(inf)), 0x7e);
    QCOMPARE(int(cwb::floatToFp8E4M3(-inf)), 0xfe);
    QCOMPARE(int(cwb::floatToFp8E4M3(std::nanf(""))), 0x7f);
    QCOMPARE(int(cwb::floatToFp8E4M3(0x1p-10f)), 0x00); // half the smallest subnormal: even
    QCOMPARE(int(cwb::floatToFp8E4M3(0x1.8p-9f)), 0x02); // 1.5 subnormal ulps: to 2
    QCOMPARE(int(cwb::floatToFp8E5M2(57344.0f)), 0x7b);
    QCOMPARE(int(cwb::floatToFp8E5M2(61440.0f)), 0x7b); // would round to 65536: saturates
    QCOMPARE(int(cwb::floatToFp8E5M2(-1e9f)), 0xfb);
    QCOMPARE(int(cwb::floatToFp8E5M2(inf)), 0x7b);
    QVERIFY(std::isnan(cwb::fp8E5M2ToFloat(cwb::floatToFp8E5M2(std::nanf("")))));
}

void TestQuantFormats::fp8QuantizerSaturatesAtFormatMax()
{
    // The amax weight lands exactly on the format's largest value; its row's decode is exact
    // there, and nothing exceeds the amax.
    std::vector<float> w = gaussian(4, 64, 21);
    w[70] = 3.0f;
    for (const auto f : {cwb::Fp8Format::E4M3, cwb::Fp8Format::E5M2}) {
        const QuantizedTensor q = cwb::quantize(w.data(), 4, 64, cwb::Fp8Params{.format = f}, {});
        QCOMPARE(int(q.codes[70]), f == cwb::Fp8Format::E4M3 ? 0x7e : 0x7b);
        QCOMPARE(q.scaleAt(0), 3.0f / (f == cwb::Fp8Format::E4M3 ? 448.0f : 57344.0f));
        for (const float v : q.dequantize())
            QVERIFY(std::fabs(v) <= 3.0f * (1 + 1e-6f));
    }
}

void TestQuantFormats::dequantizeRowsSubRange()
{
    const int64_t rows = 300, cols = 256;
    const std::vector<float> w = heavyTailed(rows, cols, 23);
    for (const QuantParams &p :
         {rtn(3, false, cwb::Granularity::Group, 64), rtn(5, true, cwb::Granularity::PerTensor),
          QuantParams(cwb::Nf4Params{.doubleQuant = true}), // dq blocks of 256 span 64 rows
          QuantParams(cwb::Fp8Params{.granularity = cwb::Granularity::PerChannel}),
          QuantParams(cwb::MxFp4Params{}), QuantParams(cwb::NvFp4Params{}),
          QuantParams(cwb::TernaryParams{.packing = cwb::TernaryPacking::Base3})}) {
        const QuantizedTensor q = cwb::quantize(w.data(), rows, cols, p, {});
        const std::vector<float> full = q.dequantize();
        const std::vector<std::pair<int64_t, int64_t>> ranges{{0, 1},    {63, 2},  {64, 65},
                                                              {131, 100}, {299, 1}, {17, 0}};
        for (const auto &[first, n] : ranges) {
            std::vector<float> part(size_t(n * cols), -1.0f);
            q.dequantizeRows(first, n, part.data());
            QVERIFY(part.empty() // (no null pointer into memcmp)
                    || std::memcmp(part.data(), full.data() + first * cols,
                                   part.size() * sizeof(float)) == 0);
        }
        std::vector<float> sink(size_t(2 * cols));
        const std::string msg = errorOf([&] { q.dequantizeRows(299, 2, sink.data()); });
        QVERIFY2(msg.find("outside the tensor's 300 rows") != std::string::npos, msg.c_str());
        QVERIFY(!errorOf([&] { q.dequantizeRows(-1, 1, sink.data()); }).empty());
    }
}

// The byte layout promised in quantized_tensor.h, on hand-picked codes.
void TestQuantFormats::packingLayout()
{
    // 4-bit: weight 2k in the low nibble. Symmetric rtn 4-bit stores q + 8; per-tensor
    // scale = 7 / 7 = 1, so the weights are their own q.
    std::vector<float> w{1, -2, 3, 7, -7, 0, 5, -1};
    const QuantizedTensor q4 =
        cwb::quantize(w.data(), 1, 8, rtn(4, true, cwb::Granularity::PerTensor), {});
    QCOMPARE(q4.scaleAt(0), 1.0f);
    const std::vector<uint8_t> want4{uint8_t(9 | (6 << 4)), uint8_t(11 | (15 << 4)),
                                     uint8_t(1 | (8 << 4)), uint8_t(13 | (7 << 4))};
    QVERIFY(std::ranges::equal(q4.codes, want4));
    // 3-bit: an LSB-first stream, codes straddle bytes: q + 4 = 5,2,7,7,1,4,7,3.
    std::vector<float> w3{1, -2, 3, 3, -3, 0, 3, -1};
    const QuantizedTensor q3 =
        cwb::quantize(w3.data(), 1, 8, rtn(3, true, cwb::Granularity::PerTensor), {});
    uint32_t stream = 0;
    const int codes3[] = {5, 2, 7, 7, 1, 4, 7, 3};
    for (int j = 0; j < 8; ++j)
        stream |= uint32_t(codes3[j]) << (3 * j);
    QCOMPARE(q3.codes.size(), size_t(3));
    for (int b = 0; b < 3; ++b)
        QCOMPARE(int(q3.codes[size_t(b)]), int((stream >> (8 * b)) & 0xff));
    // Ternary base-3: t = q + 1, byte = t0 + 3 t1 + 9 t2 + 27 t3 + 81 t4; scale = mean|w| + eps.
    std::vector<float> t{1, -1, 0, 1, 1, -1};
    const QuantizedTensor qt = cwb::quantize(
        t.data(), 1, 6, cwb::TernaryParams{.packing = cwb::TernaryPacking::Base3}, {});
    QCOMPARE(qt.codes.size(), size_t(2));
    QCOMPARE(int(qt.codes[0]), 2 + 3 * 0 + 9 * 1 + 27 * 2 + 81 * 2);
    QCOMPARE(int(qt.codes[1]), 0);
    QCOMPARE(qt.tensorScale, float(5.0 / 6.0) + 1e-5f);
}

// util/round_even.h is std::nearbyint (default environment) bit for bit below 2^22: every
// quarter step (ties, signed zeros) and random values of every magnitude.
void TestQuantFormats::roundHalfEvenIsNearbyint()
{
    const auto same = [](float v) {
        return std::bit_cast<uint32_t>(cwb::roundHalfEven(v))
               == std::bit_cast<uint32_t>(std::nearbyint(v));
    };
    for (int k = -40000; k <= 40000; ++k)
        QVERIFY2(same(float(k) / 4), qPrintable(QString::number(double(k) / 4)));
    QVERIFY(same(-0.0f) && same(-0.3f) && same(0x1p-140f) && same(-0x1p-140f));
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> unit(-1.f, 1.f);
    std::uniform_int_distribution<int> exponent(-30, 21);
    for (int i = 0; i < 200000; ++i) {
        const float v = std::ldexp(unit(rng), exponent(rng));
        QVERIFY2(same(v), qPrintable(QString::number(double(v), 'g', 9)));
    }
}

// Exact half steps round to the even integer (torch.round, GPTQ), in both paths.
void TestQuantFormats::roundsHalfToEven()
{
    // Symmetric 4-bit per tensor: absmax 7 gives scale 1, so w / s is w itself.
    const std::vector<float> w{7, 0.5f, 1.5f, 2.5f, 3.5f, -0.5f, -1.5f, -2.5f};
    const int expected[] = {7, 0, 2, 2, 4, 0, -2, -2};
    const QuantParams p = rtn(4, true, cwb::Granularity::PerTensor);
    for (const QuantizedTensor &q :
         {cwb::quantize(w.data(), 1, 8, p, {}), cwb::quantizeReference(w.data(), 1, 8, p)}) {
        QCOMPARE(q.scaleAt(0), 1.0f);
        for (int j = 0; j < 8; ++j)
            QCOMPARE(int(q.codeAt(0, j)) - 8, expected[j]);
    }
    // Asymmetric 2-bit per tensor: range [0, 3] gives scale 1 and zero point 0.
    const std::vector<float> a{0, 3, 1.5f, 2.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    const QuantParams pa = rtn(2, false, cwb::Granularity::PerTensor);
    for (const QuantizedTensor &q :
         {cwb::quantize(a.data(), 1, 8, pa, {}), cwb::quantizeReference(a.data(), 1, 8, pa)}) {
        QCOMPARE(q.scaleAt(0), 1.0f);
        QCOMPARE(int(q.zeroAt(0)), 0);
        const int want[] = {0, 3, 2, 2, 0, 0, 0, 0};
        for (int j = 0; j < 8; ++j)
            QCOMPARE(int(q.codeAt(0, j)), want[j]);
    }
}

void TestQuantFormats::invalidParams_data()
{
    QTest::addColumn<QuantParams>("params");
    QTest::addColumn<qint64>("cols");
    QTest::addColumn<QString>("expected");
    using G = cwb::Granularity;
    QTest::newRow("bits 9") << rtn(9, true, G::Group) << qint64(256)
                            << QStringLiteral("rtn: bits = 9 is out of range (2..8)");
    QTest::newRow("bits 1") << rtn(1, false, G::PerChannel) << qint64(256)
                            << QStringLiteral("bits = 1 is out of range");
    QTest::newRow("group 100") << rtn(4, true, G::Group, 100) << qint64(400)
                               << QStringLiteral("groupSize = 100 is not 32, 64, 128 or 256");
    QTest::newRow("group does not divide")
        << rtn(4, true, G::Group, 256) << qint64(384)
        << QStringLiteral("groupSize = 256 does not divide cols = 384");
    QTest::newRow("unknown granularity")
        << rtn(4, true, static_cast<G>(7)) << qint64(256)
        << QStringLiteral("granularity = 7 is unknown");
    QTest::newRow("two problems at once")
        << rtn(12, true, G::Group, 48) << qint64(256)
        << QStringLiteral("rtn: bits = 12 is out of range (2..8); groupSize = 48 is not");
    QTest::newRow("nf4 block 32") << QuantParams(cwb::Nf4Params{.blockSize = 32}) << qint64(256)
                                  << QStringLiteral("nf4: blockSize = 32 is not a power of two");
    QTest::newRow("nf4 block does not divide")
        << QuantParams(cwb::Nf4Params{.blockSize = 128}) << qint64(192)
        << QStringLiteral("blockSize = 128 does not divide cols = 192");
    QTest::newRow("nf4 dq block")
        << QuantParams(cwb::Nf4Params{.doubleQuant = true, .dqBlockSize = 100}) << qint64(256)
        << QStringLiteral("dqBlockSize = 100");
    QTest::newRow("fp8 group") << QuantParams(cwb::Fp8Params{.granularity = G::Group})
                               << qint64(256)
                               << QStringLiteral("fp8_e4m3: granularity = group is not supported");
    QTest::newRow("fp8 format") << QuantParams(cwb::Fp8Params{.format = cwb::Fp8Format(5)})
                                << qint64(256) << QStringLiteral("format = 5 is unknown");
    QTest::newRow("mxfp4 cols 48") << QuantParams(cwb::MxFp4Params{}) << qint64(48)
                                   << QStringLiteral("mxfp4: block size (32, fixed by OCP MX) = 32 "
                                                     "does not divide cols = 48");
    QTest::newRow("mxfp4 rule") << QuantParams(cwb::MxFp4Params{cwb::MxScaleRule(9)})
                                << qint64(64) << QStringLiteral("scaleRule = 9 is unknown");
    QTest::newRow("nvfp4 cols 24") << QuantParams(cwb::NvFp4Params{}) << qint64(24)
                                   << QStringLiteral("does not divide cols = 24");
    QTest::newRow("nvfp4 negative amax") << QuantParams(cwb::NvFp4Params{.globalAmax = -1.0f})
                                         << qint64(64) << QStringLiteral("globalAmax = -1");
    QTest::newRow("nvfp4 nan amax") << QuantParams(cwb::NvFp4Params{.globalAmax = std::nanf("")})
                                    << qint64(64) << QStringLiteral("globalAmax = nan");
    QTest::newRow("ternary eps") << QuantParams(cwb::TernaryParams{.eps = 0.0f}) << qint64(64)
                                 << QStringLiteral("ternary: eps = 0");
    QTest::newRow("empty shape") << QuantParams(cwb::TernaryParams{}) << qint64(0)
                                 << QStringLiteral("shape 4 x 0 is empty");
}

void TestQuantFormats::invalidParams()
{
    QFETCH(QuantParams, params);
    QFETCH(qint64, cols);
    QFETCH(QString, expected);
    const std::vector<float> w(size_t(4 * std::max<qint64>(cols, 1)), 0.5f);
    for (int path = 0; path < 3; ++path) {
        const std::string msg = errorOf([&] {
            if (path == 0)
                (void)cwb::quantize(w.data(), 4, cols, params, {});
            else if (path == 1)
                (void)cwb::quantizeReference(w.data(), 4, cols, params);
            else
                (void)cwb::quantizedStoredBytes(params, 4, cols);
        });
        QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, msg.c_str());
    }
    QVERIFY(!errorOf([&] { (void)cwb::quantize(nullptr, 4, 64, cwb::TernaryParams{}, {}); })
                 .empty());
}

void TestQuantFormats::inconsistentLayoutIsRejected()
{
    const std::vector<float> w = gaussian(8, 128, 2);
    const QuantizedTensor good = cwb::quantize(w.data(), 8, 128, cwb::Nf4Params{}, {});
    std::vector<float> out(w.size());
    auto failure = [&](QuantizedTensor q) {
        return errorOf([&] { q.dequantizeRows(0, 8, out.data()); });
    };
    QuantizedTensor a = good;
    a.codes.pop_back();
    QVERIFY2(failure(a).find("codes bytes = 511, the layout needs 512") != std::string::npos,
             failure(a).c_str());
    QuantizedTensor b = good;
    b.method = "rtn";
    QVERIFY2(failure(b).find("does not match its parameters") != std::string::npos,
             failure(b).c_str());
    QuantizedTensor c = good;
    c.groupSize = 32;
    QVERIFY2(failure(c).find("groupSize = 32, the layout needs 64") != std::string::npos,
             failure(c).c_str());
    QuantizedTensor d = good;
    d.scaleType = cwb::ScaleType::F16;
    QVERIFY2(failure(d).find("scaleType = f16, the layout needs f32") != std::string::npos,
             failure(d).c_str());
    QVERIFY(failure(good).empty());
}

void TestQuantFormats::cancellation()
{
    const std::vector<float> w = gaussian(512, 256, 4);
    std::atomic<bool> stop{true};
    cwb::JobContext job;
    job.cancelFlag = &stop;
    const std::vector<QuantParams> methods{rtn(4, true, cwb::Granularity::Group),
                                           QuantParams(cwb::Nf4Params{}),
                                           QuantParams(cwb::TernaryParams{})};
    for (const QuantParams &p : methods) {
        bool cancelled = false;
        try {
            (void)cwb::quantize(w.data(), 512, 256, p, job);
        } catch (const cwb::Cancelled &) {
            cancelled = true;
        }
        QVERIFY(cancelled);
    }
}

// The bench engine on a small shape: every default case runs, its reference agrees on the size,
// and the figures are consistent with the quantizers' own.
void TestQuantFormats::compressBenchSmoke()
{
    cwb::bench::CompressBenchParams p;
    p.shapes = {{64, 512}};
    p.repeats = 1;
    p.triadBytes = 3 << 20;
    p.triadRepeats = 1;
    // The Hessian section at a small shape too (its default, 4096 x 4096 GPTQ / SparseGPT and a
    // 2048 GEMM, made this smoke test ~70 s of the suite and 25 min under the sanitizers).
    p.hessianShapes = {{32, 256}};
    p.tokens = 512;
    p.gemmSize = 256;
    p.gemmRepeats = 1;
    const auto r = cwb::bench::runCompressBench(p);
    QCOMPARE(r.rows.size(), p.cases.size());
    QCOMPARE(r.rows[0].name, std::string("rtn w4 g128"));
    QCOMPARE(r.rows[0].storedBytes, cwb::quantizedStoredBytes(cwb::RtnParams{}, 64, 512));
    QCOMPARE(r.rows[3].name, std::string("fp8_e4m3 channel"));
    QCOMPARE(r.rows[3].storedBytes, quint64(64 * 512 + 64 * 4)); // a code a weight, a scale a row
    QCOMPARE(r.rows[4].name, std::string("q4_k (ggml)"));
    QCOMPARE(r.rows[4].storedBytes, quint64(64 * 2 * 144)); // two 256-weight Q4_K blocks a row
    for (const auto &row : r.rows) {
        QVERIFY(row.seconds > 0 && row.inputGBps > 0 && row.referenceSeconds > 0);
        QVERIFY2(row.relRmsError > 0 && row.relRmsError < 0.15, row.name.c_str());
    }
    QVERIFY(r.triadGBps > 0);
    QCOMPARE(r.hessian.size(), size_t(1));
    QVERIFY(r.gemmSize == 256 && r.gemmGflops > 0);
}

void TestQuantFormats::llamaQuantizeSideBySideGivesItsBytes()
{
    // `cwb bench compress --llama-quantize` on a small one-layer model: llama-quantize --pure
    // and our quantizers on the same tensors give the same bytes, type by type.
    const std::string tool = cwbtest::sharedDir() + "/tools/llama.cpp/llama-quantize";
    if (!QFile::exists(QString::fromStdString(tool))) // a broken checkout of shared/, not a pass
        QFAIL(qPrintable(QStringLiteral("llama-quantize not found at %1 (CWB_SHARED)")
                             .arg(QString::fromStdString(tool))));
    cwb::bench::QuantizeSideBySideParams p;
    p.llamaQuantizePath = tool;
    p.shape.dim = 256;
    p.shape.heads = 4;
    p.shape.kvHeads = 4;
    p.shape.hidden = 512;
    p.shape.vocab = 256;
    p.shape.context = 256;
    for (const cwb::DType t : {cwb::DType::Q4_0, cwb::DType::Q8_0, cwb::DType::Q2_K,
                               cwb::DType::Q3_K, cwb::DType::Q4_K, cwb::DType::Q6_K}) {
        p.type = t;
        const auto r = cwb::bench::runQuantizeSideBySide(p);
        QCOMPARE(r.matrices, qint64(9)); // 7 projections, token_embd, output
        QVERIFY2(r.identicalMatrices == r.matrices, r.firstDifference.c_str());
        QVERIFY(r.llamaSeconds > 0 && r.oursSeconds > 0);
        QCOMPARE(r.weights, qint64(4 * 256 * 256 + 3 * 512 * 256 + 2 * 256 * 256));
    }
    p.type = cwb::DType::F16;
    QVERIFY(cwbtest::errorOf([&] { (void)cwb::bench::runQuantizeSideBySide(p); })
                .find("not a ggml block type")
            != std::string::npos);
}

QTEST_GUILESS_MAIN(TestQuantFormats)
#include "test_quant_formats.moc"
