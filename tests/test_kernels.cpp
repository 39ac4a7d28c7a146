// SPDX-License-Identifier: MIT
// Runtime dispatch and the per-instruction-set kernels: the CWB_CPU_LEVEL setting, llama.cpp's
// activation quantization (Q8_0 / Q8_1 / Q8_K) against the float rounding it replaces, every
// integer dot kernel (formats/int_dot.h) on every level this CPU supports against its scalar
// reference (bit for bit for the K-quants, whose float sums run in the reference's order; bit
// for bit for every type when all scales are powers of two so that only integer parts can
// differ; within 1e-5 of the sum of |terms| otherwise), the scalar references against a
// dequantize-then-double-dot oracle, GgmlLinear's integer path against its reference for decode
// and prefill shapes, the float GEMM of each level against matmulReference, and that the
// per-ISA object files keep their inline code to themselves (nm: no weak symbol outside their
// own namespace, so no AVX-512 copy of a shared template can reach an AVX2 caller).

#include "compress/quant_methods.h"
#include "eval/gemm_kernels.h"
#include "eval/ggml_linear.h"
#include "eval/matmul.h"
#include "eval/quantized_linear.h"
#include "formats/float_formats.h"
#include "formats/ggml_dequant.h"
#include "formats/ggml_dot.h"
#include "formats/ggml_quantize.h"
#include "formats/int_dot.h"
#include "formats/packed_dot.h"
#include "formats/q8_activations.h"
#include "formats/quant_grids.h"
#include "test_support.h"
#include "util/cpu_features.h"
#include "util/error.h"

#include <QFile>

#include <algorithm>
#include <array>
#include <functional>
#include <initializer_list>
#include <QProcess>
#include <QTest>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

Q_DECLARE_METATYPE(cwb::DType)

namespace {

using cwb::CpuLevel;
using cwb::DType;

const DType kIntTypes[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0,
                           DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};

bool isKQuant(DType t) { return cwb::activationRoundingFor(t) == cwb::ActivationRounding::Q8_K; }

std::vector<float> randomValues(int64_t n, uint32_t seed, float scale = 1.f)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (float &x : v)
        x = dist(rng);
    return v;
}

std::vector<std::byte> quantized(DType t, const std::vector<float> &w, int64_t rows, int64_t len)
{
    return cwb::ggmlQuantizeRows(t, w.data(), rows, len, nullptr);
}

// run(level, rows per call) at every level this CPU runs and every row count per call (1 to
// kIntDotMaxRows) against `ref`, within `rel` of 1 + |ref|: the first mismatch, or empty.
QString levelsMismatch(const std::function<std::vector<float>(CpuLevel, int)> &run,
                       const std::vector<float> &ref, float rel, const QString &what)
{
    for (CpuLevel level : cwb::supportedCpuLevels())
        for (int nGroup = 1; nGroup <= cwb::kIntDotMaxRows; ++nGroup) {
            const auto y = run(level, nGroup);
            for (size_t k = 0; k < y.size(); ++k)
                if (!(std::abs(y[k] - ref[k]) <= rel * (1 + std::fabs(ref[k]))))
                    return QStringLiteral("%1 %2 rows %3, %4: %5 vs %6")
                        .arg(what, QLatin1String(cwb::cpuLevelName(level)))
                        .arg(nGroup).arg(k).arg(y[k]).arg(ref[k]);
        }
    return {};
}

// nvfp4's half-block layout: every level's kernel against the scalar reference, and the
// reference against the integer forward (yInt: 4 activation rows of lin's outputs).
void checkHalfBlockKernels(const cwb::QuantizedLinear &lin, const cwb::LevelCodes &codes,
                           const cwb::Q8Activations &q, const std::vector<float> &yInt)
{
    const int64_t out = lin.outFeatures(), in = lin.inFeatures();
    const int64_t perGroup = in / 32 * cwb::kPackedHalfBlockBytes;
    std::vector<int16_t> halfSums(static_cast<size_t>(4 * in / 16));
    cwb::halfBlockSums(q.view(), 4, halfSums.data());
    cwb::LevelCodes levels = codes;
    levels.unit *= lin.tensor().tensorScale;
    const auto &bytes = lin.interleavedBytes();
    QCOMPARE(int64_t(bytes.size()), (out + 7) / 8 * perGroup);
    const auto run = [&](cwb::PackedHalfBlockLevelFn kernel, int nGroup) {
        std::vector<float> y(static_cast<size_t>(4 * out));
        for (int64_t g = 0; g < out / 8; ++g)
            for (int64_t i = 0; i < 4; i += nGroup)
                kernel(bytes.data() + g * perGroup, levels, q.view(), halfSums.data(), i,
                       int(std::min<int64_t>(nGroup, 4 - i)), y.data() + i * out + 8 * g, out);
        return y;
    };
    const auto ref = run(cwb::packedHalfBlockLevelKernel(CpuLevel::Scalar), 1);
    for (size_t k = 0; k < ref.size(); ++k)
        QVERIFY(std::abs(ref[k] - yInt[k]) <= 1e-5f * (1 + std::fabs(yInt[k])));
    const QString mismatch = levelsMismatch(
        [&](CpuLevel level, int n) { return run(cwb::packedHalfBlockLevelKernel(level), n); }, ref,
        1e-5f, QStringLiteral("nvfp4"));
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

// Every row of `a` against the same row of `b`, bit for bit: the first differing row, or -1.
int64_t firstDifferingRow(const cwb::LinearWeights &a, const cwb::LinearWeights &b)
{
    std::vector<float> got(static_cast<size_t>(a.inFeatures())), want(got.size());
    for (int64_t r = 0; r < a.outFeatures(); ++r) {
        a.row(r, got.data());
        b.row(r, want.data());
        if (got != want)
            return r;
    }
    return -1;
}

// lin.forward against lin.forwardReference on that many random input rows for each count,
// within 1e-4 relative: the first mismatch, or empty.
QString forwardMismatch(const cwb::QuantizedLinear &lin, std::initializer_list<int> rowCounts,
                        uint32_t seed)
{
    const int64_t in = lin.inFeatures(), out = lin.outFeatures();
    for (int n : rowCounts) {
        const auto x = randomValues(n * in, seed);
        std::vector<float> y(static_cast<size_t>(n * out)), want(y.size());
        lin.forward(x.data(), n, y.data());
        lin.forwardReference(x.data(), n, want.data());
        for (size_t k = 0; k < y.size(); ++k)
            if (!(std::abs(y[k] - want[k]) <= 1e-4f * (1 + std::fabs(want[k]))))
                return QStringLiteral("rows %1, %2: %3 vs %4").arg(n).arg(k).arg(y[k]).arg(want[k]);
    }
    return {};
}

// One data row per integer-kernel type that `keep` accepts (all when null), column "type".
void addTypeRows(bool (*keep)(DType) = nullptr)
{
    QTest::addColumn<DType>("type");
    for (DType t : kIntTypes)
        if (!keep || keep(t))
            QTest::newRow(std::string(cwb::dtypeName(t)).c_str()) << t;
}

// Runs `kernel` for every activation row in groups of nGroup.
std::vector<float> runKernel(cwb::IntDotFn kernel, const std::byte *w, int64_t rowBytes,
                             int64_t wRows, const cwb::Q8Activations &q, int nGroup)
{
    std::vector<float> y(static_cast<size_t>(q.rows * wRows));
    const cwb::Q8View v = q.view();
    for (int64_t r = 0; r < wRows; ++r)
        for (int64_t i = 0; i < q.rows; i += nGroup) {
            const int n = int(std::min<int64_t>(nGroup, q.rows - i));
            kernel(w + r * rowBytes, v, i, n, y.data() + i * wRows + r, wRows);
        }
    return y;
}

// Sets every fp16 block scale (and min) of a ggml row to a power of two, so that every float
// product and sum in a kernel is exact for small rows.
void powerOfTwoScales(DType t, std::byte *row, int64_t len)
{
    const auto put = [](std::byte *p, float v) {
        const uint16_t h = cwb::floatToFp16(v);
        std::memcpy(p, &h, 2);
    };
    const int64_t blockBytes = int64_t(*cwb::storageBytes(t, isKQuant(t) ? 256 : 32));
    const int64_t blocks = len / (isKQuant(t) ? 256 : 32);
    for (int64_t b = 0; b < blocks; ++b) {
        std::byte *p = row + b * blockBytes;
        switch (t) {
        case DType::Q4_1:
        case DType::Q5_1:
        case DType::Q4_K:
        case DType::Q5_K:
            put(p, 0.5f);
            put(p + 2, 0.25f);
            break;
        case DType::Q2_K:
            put(p + 80, 0.5f);
            put(p + 82, 0.25f);
            break;
        case DType::Q3_K: put(p + 108, 0.5f); break;
        case DType::Q6_K: put(p + 208, 0.5f); break;
        default: put(p, 0.5f); break;
        }
    }
}

} // namespace

class TestKernels : public QObject {
    Q_OBJECT

private slots:
    void cpuLevelSetting();
    void activeLevelIsReported();
    void everyLevelHasItsOwnKernels();
    void q8_0QuantsMatchTheRounding();
    void q8_KQuantsMatchTheRounding();
    void intDotMatchesScalarOnEveryLevel_data();
    void intDotMatchesScalarOnEveryLevel();
    void intDotIsExactWithPowerOfTwoScales_data();
    void intDotIsExactWithPowerOfTwoScales();
    void interleavedMatchesScalarOnEveryLevel_data();
    void interleavedMatchesScalarOnEveryLevel();
    void scalarIntDotMatchesDequantizedProduct_data();
    void scalarIntDotMatchesDequantizedProduct();
    void ggmlLinearIntegerMatchesReference_data();
    void ggmlLinearIntegerMatchesReference();
    void ggmlFloatDotOnEveryLevel_data();
    void ggmlFloatDotOnEveryLevel();
    void packedDotMatchesScalarOnEveryLevel();
    void quantizedLinearFusedMatchesReference_data();
    void quantizedLinearFusedMatchesReference();
    void quantizedLinearLevelCodesFusedMatchesReference();
    void levelKernelsHoldTheWidestLevels();
    void levelCodesWithAPartialRowGroup();
    void quantizedLinearTernaryRunsAsW4A8();
    void gemmEveryLevelMatchesReference();
    void perIsaObjectsKeepTheirInlineCode();
};

void TestKernels::cpuLevelSetting()
{
    using cwb::cpuLevelFromSetting;
    const std::vector<CpuLevel> avx2Only{CpuLevel::Scalar, CpuLevel::Avx2};
    const std::vector<CpuLevel> alderLake{CpuLevel::Scalar, CpuLevel::Avx2, CpuLevel::Avx2Vnni};
    // AVX-512 VNNI without AVX-VNNI (Ice Lake server): no avx2vnni level.
    const std::vector<CpuLevel> iceLake{CpuLevel::Scalar, CpuLevel::Avx2, CpuLevel::Avx512};
    QCOMPARE(cpuLevelFromSetting(nullptr, avx2Only), CpuLevel::Avx2);
    QCOMPARE(cpuLevelFromSetting("", iceLake), CpuLevel::Avx512);
    QCOMPARE(cpuLevelFromSetting(nullptr, alderLake), CpuLevel::Avx2Vnni);
    QCOMPARE(cpuLevelFromSetting("scalar", iceLake), CpuLevel::Scalar);
    QCOMPARE(cpuLevelFromSetting("avx2", iceLake), CpuLevel::Avx2);
    QCOMPARE(cpuLevelFromSetting("avx2vnni", alderLake), CpuLevel::Avx2Vnni);
    QCOMPARE(cpuLevelFromSetting("avx512", iceLake), CpuLevel::Avx512);
    QCOMPARE(cwbtest::errorOf([&] { (void)cpuLevelFromSetting("avx512", avx2Only); }),
             std::string("CWB_CPU_LEVEL=avx512: this CPU runs scalar, avx2"));
    QCOMPARE(cwbtest::errorOf([&] { (void)cpuLevelFromSetting("avx2vnni", iceLake); }),
             std::string("CWB_CPU_LEVEL=avx2vnni: this CPU runs scalar, avx2, avx512"));
    QCOMPARE(cwbtest::errorOf([&] { (void)cpuLevelFromSetting("sse9", avx2Only); }),
             std::string("CWB_CPU_LEVEL='sse9': expected one of scalar, avx2, avx2vnni, avx512"));
    const auto levels = cwb::supportedCpuLevels();
    QCOMPARE(levels.front(), CpuLevel::Scalar);
    QCOMPARE(levels.back(), cwb::supportedCpuLevel());
    QVERIFY(std::is_sorted(levels.begin(), levels.end()));
    const bool vnni = std::find(levels.begin(), levels.end(), CpuLevel::Avx2Vnni) != levels.end();
    QCOMPARE(vnni, cwb::cpuFeatures().avxvnni && levels.size() > 1);
}

void TestKernels::activeLevelIsReported()
{
    const std::string d = cwb::kernelLevelDescription();
    QVERIFY2(d.rfind(cwb::cpuLevelName(cwb::activeCpuLevel()), 0) == 0, d.c_str());
    std::printf("kernels: %s\n", d.c_str());
}

void TestKernels::everyLevelHasItsOwnKernels()
{
    // A level whose file was compiled without its instruction set falls back to the scalar
    // references; on x86-64 with the CPU for it, that would be a build mistake.
#if defined(__x86_64__)
    for (CpuLevel level : cwb::supportedCpuLevels()) {
        if (level == CpuLevel::Scalar)
            continue;
        for (DType t : kIntTypes)
            QVERIFY2(cwb::intDotKernel(t, level) != cwb::intDotKernel(t, CpuLevel::Scalar),
                     cwb::cpuLevelName(level));
        QVERIFY(cwb::packedDotKernel(level) != cwb::packedDotKernel(CpuLevel::Scalar));
        QVERIFY(cwb::gemm::tileFor(level) != cwb::gemm::tileFor(CpuLevel::Scalar));
    }
#endif
}

void TestKernels::q8_0QuantsMatchTheRounding()
{
    const int64_t len = 128;
    auto x = randomValues(3 * len, 7);
    std::fill(x.begin() + 32, x.begin() + 64, 0.f); // an all-zero block
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::ActivationRounding::Q8_0, x.data(), 3, len, q);
    auto rounded = x;
    cwb::roundActivations(cwb::ActivationRounding::Q8_0, rounded.data(), 3, len);
    for (int64_t b = 0; b < 3 * len / 32; ++b) {
        int32_t sum = 0;
        float amax = 0;
        for (int j = 0; j < 32; ++j) {
            const int64_t k = 32 * b + j;
            QCOMPARE(q.d[size_t(b)] * float(q.qs[size_t(k)]), rounded[size_t(k)]);
            QVERIFY(q.qs[size_t(k)] != -128); // int8: the symmetric range -127..127
            sum += q.qs[size_t(k)];
            amax = std::max(amax, std::fabs(x[size_t(k)]));
        }
        QCOMPARE(int32_t(q.sums[size_t(b)]), sum);
        // Q8_1's term: the unrounded scale times the sum, rounded to fp16.
        QCOMPARE(q.s[size_t(b)],
                 cwb::fp16ToFloat(cwb::floatToFp16(amax / 127.f * float(sum))));
    }
    QCOMPARE(q.d[1], 0.f);
    QCOMPARE(cwbtest::errorOf([&] {
                 cwb::quantizeActivations(cwb::ActivationRounding::Q8_0, x.data(), 1, 48, q);
             }),
             std::string("Q8_0 activations: 48 values are not a whole number of 32-value blocks"));
}

void TestKernels::q8_KQuantsMatchTheRounding()
{
    const int64_t len = 512;
    auto x = randomValues(2 * len, 8);
    std::fill(x.begin() + 256, x.begin() + 512, 0.f);
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::ActivationRounding::Q8_K, x.data(), 2, len, q);
    auto rounded = x;
    cwb::roundActivations(cwb::ActivationRounding::Q8_K, rounded.data(), 2, len);
    for (int64_t b = 0; b < 2 * len / 256; ++b)
        for (int g = 0; g < 16; ++g) {
            int32_t sum = 0;
            for (int j = 0; j < 16; ++j) {
                const int64_t k = 256 * b + 16 * g + j;
                QCOMPARE(q.d[size_t(b)] * float(q.qs[size_t(k)]), rounded[size_t(k)]);
                sum += q.qs[size_t(k)];
            }
            QCOMPARE(int32_t(q.sums[size_t(16 * b + g)]), sum);
        }
    QVERIFY(q.s.empty());
}

void TestKernels::intDotMatchesScalarOnEveryLevel_data()
{
    addTypeRows();
}

void TestKernels::intDotMatchesScalarOnEveryLevel()
{
    QFETCH(DType, type);
    // An odd number of blocks for the 32-value types (the kernels pair blocks up).
    const int64_t len = isKQuant(type) ? 1024 : 1056, wRows = 5, xRows = 7;
    const auto w = randomValues(wRows * len, 11);
    const auto bytes = quantized(type, w, wRows, len);
    const int64_t rowBytes = int64_t(*cwb::storageBytes(type, len));
    auto x = randomValues(xRows * len, 12, 3.f);
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::activationRoundingFor(type), x.data(), xRows, len, q);
    const auto ref =
        runKernel(cwb::intDotKernel(type, CpuLevel::Scalar), bytes.data(), rowBytes, wRows, q, 1);
    // The tolerance's scale: the sum of |w| |x| of each product.
    std::vector<double> scale(ref.size(), 0.0);
    std::vector<float> wr(static_cast<size_t>(len));
    for (int64_t r = 0; r < wRows; ++r) {
        cwb::ggmlDequantizeRow(type, bytes.data() + r * rowBytes, wr.data(), len);
        for (int64_t i = 0; i < xRows; ++i)
            for (int64_t k = 0; k < len; ++k)
                scale[size_t(i * wRows + r)] +=
                    std::fabs(double(wr[size_t(k)]) * x[size_t(i * len + k)]);
    }
    for (CpuLevel level : cwb::supportedCpuLevels())
        for (int group = 1; group <= cwb::kIntDotMaxRows; ++group) {
            const auto y = runKernel(cwb::intDotKernel(type, level), bytes.data(), rowBytes,
                                     wRows, q, group);
            for (size_t k = 0; k < y.size(); ++k) {
                if (isKQuant(type))
                    QVERIFY2(y[k] == ref[k], qPrintable(QStringLiteral("%1 rows %2: %3 vs %4")
                                                            .arg(QLatin1String(cwb::cpuLevelName(level)))
                                                            .arg(group)
                                                            .arg(double(y[k]))
                                                            .arg(double(ref[k]))));
                else
                    QVERIFY2(std::abs(double(y[k]) - ref[k]) <= 1e-5 * scale[k],
                             qPrintable(QStringLiteral("%1 rows %2: %3 vs %4")
                                            .arg(QLatin1String(cwb::cpuLevelName(level)))
                                            .arg(group)
                                            .arg(double(y[k]))
                                            .arg(double(ref[k]))));
            }
        }
}

void TestKernels::intDotIsExactWithPowerOfTwoScales_data() { intDotMatchesScalarOnEveryLevel_data(); }

void TestKernels::intDotIsExactWithPowerOfTwoScales()
{
    QFETCH(DType, type);
    const int64_t len = isKQuant(type) ? 256 : 288, wRows = 3, xRows = 5;
    const auto w = randomValues(wRows * len, 21);
    auto bytes = quantized(type, w, wRows, len);
    const int64_t rowBytes = int64_t(*cwb::storageBytes(type, len));
    for (int64_t r = 0; r < wRows; ++r)
        powerOfTwoScales(type, bytes.data() + r * rowBytes, len);
    // Integer activations whose largest magnitude per block is 127 (first one negative): the
    // Q8_0 and Q8_K scales are then exactly 1.
    std::mt19937 rng(22);
    std::uniform_int_distribution<int> dist(-126, 126);
    std::vector<float> x(static_cast<size_t>(xRows * len));
    for (size_t k = 0; k < x.size(); ++k)
        x[k] = k % 32 == 0 ? -127.f : float(dist(rng));
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::activationRoundingFor(type), x.data(), xRows, len, q);
    for (float d : q.d)
        QCOMPARE(d, 1.f);
    const auto ref =
        runKernel(cwb::intDotKernel(type, CpuLevel::Scalar), bytes.data(), rowBytes, wRows, q, 1);
    for (CpuLevel level : cwb::supportedCpuLevels())
        for (int group = 1; group <= cwb::kIntDotMaxRows; ++group)
            QCOMPARE(runKernel(cwb::intDotKernel(type, level), bytes.data(), rowBytes, wRows, q,
                               group),
                     ref);
}

void TestKernels::scalarIntDotMatchesDequantizedProduct_data()
{
    intDotMatchesScalarOnEveryLevel_data();
}

void TestKernels::scalarIntDotMatchesDequantizedProduct()
{
    // The scalar reference against the definition: dequantized weights times dequantized
    // activations (d * q) in double. Q4_1 / Q5_1 differ by Q8_1's fp16 sum term (relative 2^-11
    // of the min term), everything else by float rounding only.
    QFETCH(DType, type);
    const int64_t len = 512, wRows = 4, xRows = 3;
    const auto w = randomValues(wRows * len, 31);
    const auto bytes = quantized(type, w, wRows, len);
    const int64_t rowBytes = int64_t(*cwb::storageBytes(type, len));
    const auto x = randomValues(xRows * len, 32);
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::activationRoundingFor(type), x.data(), xRows, len, q);
    const int64_t block = isKQuant(type) ? 256 : 32;
    const auto y =
        runKernel(cwb::intDotKernel(type, CpuLevel::Scalar), bytes.data(), rowBytes, wRows, q, 1);
    const double tol = type == DType::Q4_1 || type == DType::Q5_1 ? 2e-3 : 1e-5;
    std::vector<float> wr(static_cast<size_t>(len));
    for (int64_t r = 0; r < wRows; ++r) {
        cwb::ggmlDequantizeRow(type, bytes.data() + r * rowBytes, wr.data(), len);
        for (int64_t i = 0; i < xRows; ++i) {
            double exact = 0, scale = 0;
            for (int64_t k = 0; k < len; ++k) {
                const double xv = double(q.d[size_t((i * len + k) / block)])
                                  * q.qs[size_t(i * len + k)];
                exact += wr[size_t(k)] * xv;
                scale += std::fabs(wr[size_t(k)] * xv);
            }
            const double got = y[size_t(i * wRows + r)];
            QVERIFY2(std::abs(got - exact) <= tol * scale,
                     qPrintable(QStringLiteral("%1 vs %2").arg(got).arg(exact)));
        }
    }
}

void TestKernels::ggmlLinearIntegerMatchesReference_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("nRows");
    for (DType t : kIntTypes)
        for (int n : {1, 3, 17}) {
            const std::string name = std::string(cwb::dtypeName(t)) + " x" + std::to_string(n);
            QTest::newRow(name.c_str()) << t << n;
        }
}

void TestKernels::ggmlLinearIntegerMatchesReference()
{
    QFETCH(DType, type);
    QFETCH(int, nRows);
    const int64_t out = 70, in = 512;
    const auto w = randomValues(out * in, 41);
    cwb::GgmlLinear lin(type, quantized(type, w, out, in), out, in, true);
    QVERIFY(lin.integerKernels());
    const auto x = randomValues(nRows * in, 42);
    std::vector<float> y(static_cast<size_t>(nRows * out)), ref(y.size());
    lin.forward(x.data(), nRows, y.data());
    lin.forwardReference(x.data(), nRows, ref.data());
    const double tol = type == DType::Q4_1 || type == DType::Q5_1 ? 2e-3 : 1e-4;
    double scale = 0;
    for (float v : ref)
        scale = std::max(scale, double(std::fabs(v)));
    for (size_t k = 0; k < y.size(); ++k)
        QVERIFY2(std::abs(double(y[k]) - ref[k]) <= tol * (1 + scale),
                 qPrintable(QStringLiteral("%1: %2 vs %3").arg(k).arg(y[k]).arg(ref[k])));
    // Rows read back as stored (Q4_0 keeps whole groups of 8 interleaved, a tail of 6 not).
    const auto bytes = quantized(type, w, out, in);
    const int64_t rowBytes = int64_t(*cwb::storageBytes(type, in));
    std::vector<float> got(static_cast<size_t>(in)), want(got.size());
    for (int64_t r = 0; r < out; ++r) {
        lin.row(r, got.data());
        cwb::ggmlDequantizeRow(type, bytes.data() + r * rowBytes, want.data(), in);
        QCOMPARE(got, want);
    }
    // Float activations: no integer kernel.
    cwb::GgmlLinear plain(type, quantized(type, w, out, in), out, in, false);
    QVERIFY(!plain.integerKernels());
}

void TestKernels::interleavedMatchesScalarOnEveryLevel_data()
{
    addTypeRows(cwb::interleavable);
}

void TestKernels::interleavedMatchesScalarOnEveryLevel()
{
    QFETCH(DType, type);
    // Eight rows interleaved (formats/int_dot.h): the layout round-trips, and every level's
    // group kernel equals the scalar row kernel within 1e-5 of the sum of |terms| (float order
    // differs), for 1..4 activation rows and an odd number of blocks.
    const int64_t len = 1056, xRows = 5;
    const int64_t rowBytes = int64_t(*cwb::storageBytes(type, len));
    const auto w = randomValues(8 * len, 91);
    const auto bytes = quantized(type, w, 8, len);
    std::vector<std::byte> group(bytes.size()), row(static_cast<size_t>(rowBytes));
    cwb::interleaveRows(type, bytes.data(), rowBytes, len, group.data());
    QVERIFY(group != bytes);
    for (int k = 0; k < 8; ++k) {
        cwb::deinterleaveRow(type, group.data(), len, k, row.data());
        QVERIFY(std::equal(row.begin(), row.end(), bytes.begin() + k * rowBytes));
    }
    const auto x = randomValues(xRows * len, 92, 3.f);
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::activationRoundingFor(type), x.data(), xRows, len, q);
    const auto ref = runKernel(cwb::intDotKernel(type, CpuLevel::Scalar), bytes.data(),
                               rowBytes, 8, q, 1);
    std::vector<double> scale(ref.size(), 0.0);
    std::vector<float> wr(static_cast<size_t>(len));
    for (int64_t r = 0; r < 8; ++r) {
        cwb::ggmlDequantizeRow(type, bytes.data() + r * rowBytes, wr.data(), len);
        for (int64_t i = 0; i < xRows; ++i)
            for (int64_t k = 0; k < len; ++k)
                scale[size_t(i * 8 + r)] += std::fabs(double(wr[size_t(k)]) * x[size_t(i * len + k)]);
    }
    const cwb::Q8View v = q.view();
    for (CpuLevel level : cwb::supportedCpuLevels()) {
        const cwb::IntDotGroupFn kernel = cwb::intDotGroupKernel(type, level);
        QVERIFY(kernel);
        for (int group1 = 1; group1 <= cwb::kIntDotMaxRows; ++group1) {
            std::vector<float> y(ref.size());
            for (int64_t i = 0; i < xRows; i += group1)
                kernel(group.data(), v, i, int(std::min<int64_t>(group1, xRows - i)),
                       y.data() + i * 8, 8);
            for (size_t k = 0; k < y.size(); ++k)
                QVERIFY2(std::abs(double(y[k]) - ref[k]) <= 1e-5 * scale[k],
                         qPrintable(QStringLiteral("%1 rows %2: %3 vs %4")
                                        .arg(QLatin1String(cwb::cpuLevelName(level)))
                                        .arg(group1)
                                        .arg(double(y[k]))
                                        .arg(double(ref[k]))));
        }
    }
    QVERIFY(!cwb::interleavable(DType::Q4_K));
    QVERIFY(!cwb::intDotGroupKernel(DType::Q4_K, CpuLevel::Scalar));
}

void TestKernels::ggmlFloatDotOnEveryLevel_data()
{
    addTypeRows(cwb::ggmlDotSupported);
}

void TestKernels::ggmlFloatDotOnEveryLevel()
{
    // The float-activation kernels (formats/ggml_dot.h) of every level against the dequantized
    // row times x in double, within 1e-5 of the sum of |terms|.
    QFETCH(DType, type);
    const int64_t len = 1024, wRows = 3;
    const auto w = randomValues(wRows * len, 81);
    const auto bytes = quantized(type, w, wRows, len);
    const int64_t rowBytes = int64_t(*cwb::storageBytes(type, len));
    const auto x = randomValues(len, 82);
    std::vector<float> wr(static_cast<size_t>(len));
    for (int64_t r = 0; r < wRows; ++r) {
        cwb::ggmlDequantizeRow(type, bytes.data() + r * rowBytes, wr.data(), len);
        double exact = 0, mag = 0;
        for (int64_t k = 0; k < len; ++k) {
            exact += double(wr[size_t(k)]) * x[size_t(k)];
            mag += std::fabs(double(wr[size_t(k)]) * x[size_t(k)]);
        }
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            const float got = cwb::ggmlDot(type, bytes.data() + r * rowBytes, x.data(), len, level);
            QVERIFY2(std::abs(got - exact) <= 1e-5 * mag,
                     qPrintable(QStringLiteral("%1: %2 vs %3")
                                    .arg(QLatin1String(cwb::cpuLevelName(level)))
                                    .arg(got)
                                    .arg(exact)));
        }
    }
}

void TestKernels::packedDotMatchesScalarOnEveryLevel()
{
    const int64_t len = 384, xRows = 4;
    std::mt19937 rng(61);
    // 4 and 8 bits affine, then 4-bit codes indexing nf4's 16 levels (variant 0; variant 2 in
    // nvfp4's groups of 16) and 8-bit codes indexing fp8 e4m3's 256 values (variant 1; 0x7f /
    // 0xff, NaN, replaced by 0).
    // Variants 3 and 5: fp8 e4m3 / e5m2 codes flagged as such (PackedRow::fp8), which the x86
    // kernels convert from their bits instead of looking up (finite codes here; NaN below).
    std::array<float, 256> fp8{}, e4m3{}, e5m2{};
    for (int u = 0; u < 256; ++u) {
        fp8[size_t(u)] = (u & 0x7f) == 0x7f ? 0.f : cwb::fp8E4M3ToFloat(uint8_t(u));
        e4m3[size_t(u)] = cwb::fp8E4M3ToFloat(uint8_t(u));
        e5m2[size_t(u)] = cwb::fp8E5M2ToFloat(uint8_t(u));
    }
    for (const int variant : {4, 8, 0, 1, 2, 3, 5}) {
        const int bits = variant == 1 || variant == 8 || variant == 3 || variant == 5 ? 8 : 4;
        const float *levels = variant == 0 || variant == 2 ? cwb::kNf4Levels.data()
                              : variant == 1               ? fp8.data()
                              : variant == 3               ? e4m3.data()
                              : variant == 5               ? e5m2.data()
                                                           : nullptr;
        const int fp8Kind = variant == 3 ? 1 : variant == 5 ? 2 : 0;
        const int64_t group = variant == 2 ? 16 : 128, groups = len / group;
        std::vector<uint8_t> codes(static_cast<size_t>(len * bits / 8));
        for (uint8_t &c : codes) {
            c = uint8_t(rng());
            if (fp8Kind == 1 && (c & 0x7f) == 0x7f) // NaN: tested apart
                c ^= 1;
            if (fp8Kind == 2 && (c & 0x7c) == 0x7c) // Inf / NaN: tested apart
                c ^= 0x40;
        }
        std::vector<float> scale(static_cast<size_t>(groups)), zero(scale.size());
        for (int64_t g = 0; g < groups; ++g) {
            scale[size_t(g)] = 0.5f - 0.37f * float(g % 5);
            zero[size_t(g)] = float(3 + (g * 5) % 9);
        }
        const auto x = randomValues(xRows * len, 62);
        std::vector<float> xsum(static_cast<size_t>(xRows * groups), 0.f);
        for (int64_t i = 0; i < xRows; ++i)
            for (int64_t j = 0; j < len; ++j)
                xsum[size_t(i * groups + j / group)] += x[size_t(i * len + j)];
        const cwb::PackedRow row{codes.data(), scale.data(), zero.data(), bits, len,
                                 group,        levels,       fp8Kind};
        std::vector<float> ref(xRows);
        cwb::packedDotKernel(CpuLevel::Scalar)(row, x.data(), len, xsum.data(), int(xRows),
                                               ref.data(), 1);
        // The oracle in double, and the scale of the tolerance.
        for (int64_t i = 0; i < xRows; ++i) {
            double exact = 0, mag = 0;
            for (int64_t j = 0; j < len; ++j) {
                const unsigned u = bits == 8 ? codes[size_t(j)]
                                             : (codes[size_t(j / 2)] >> (4 * (j & 1))) & 0xF;
                const double wv =
                    levels ? double(scale[size_t(j / group)]) * levels[u]
                           : double(scale[size_t(j / group)]) * (u - zero[size_t(j / group)]);
                exact += wv * x[size_t(i * len + j)];
                mag += std::fabs(wv * x[size_t(i * len + j)]);
            }
            QVERIFY(std::abs(ref[size_t(i)] - exact) <= 1e-5 * mag);
            for (CpuLevel level : cwb::supportedCpuLevels())
                for (int n = 1; n <= cwb::kPackedDotMaxRows && i + n <= xRows; ++n) {
                    std::vector<float> y(static_cast<size_t>(n));
                    cwb::packedDotKernel(level)(row, x.data() + i * len, len,
                                                xsum.data() + i * groups, n, y.data(), 1);
                    QVERIFY2(std::abs(y[0] - exact) <= 1e-5 * mag,
                             qPrintable(QStringLiteral("%1 variant %2 rows %3: %4 vs %5")
                                            .arg(QLatin1String(cwb::cpuLevelName(level)))
                                            .arg(variant)
                                            .arg(n)
                                            .arg(y[0])
                                            .arg(exact)));
                }
        }
    }
    // A NaN code (hostile archive) gives NaN on every level, converted or looked up.
    for (const int kind : {1, 2}) {
        std::vector<uint8_t> codes(32, uint8_t(0x38));
        codes[7] = kind == 1 ? 0x7f : 0x7e;
        const float one = 1.0f;
        const std::vector<float> x(32, 1.0f);
        const cwb::PackedRow row{codes.data(), &one, &one, 8, 32, 32,
                                 kind == 1 ? e4m3.data() : e5m2.data(), kind};
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            float y = 0;
            cwb::packedDotKernel(level)(row, x.data(), 32, &one, 1, &y, 1);
            QVERIFY2(std::isnan(y), cwb::cpuLevelName(level));
        }
    }
}

void TestKernels::quantizedLinearFusedMatchesReference_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("symmetric");
    QTest::addColumn<int>("granularity");
    QTest::addColumn<int>("groupSize");
    QTest::addColumn<bool>("f16");
    const int group = int(cwb::Granularity::Group);
    QTest::newRow("int4 sym g32") << 4 << true << group << 32 << true; // runs as Q4_0
    QTest::newRow("int4 sym g32 f32") << 4 << true << group << 32 << false;
    QTest::newRow("int4 asym g128") << 4 << false << group << 128 << true;
    QTest::newRow("int8 sym g64 f32") << 8 << true << group << 64 << false;
    QTest::newRow("int8 asym g32") << 8 << false << group << 32 << true;
    QTest::newRow("int4 per channel") << 4 << true << int(cwb::Granularity::PerChannel) << 0 << false;
    QTest::newRow("int8 per tensor asym") << 8 << false << int(cwb::Granularity::PerTensor) << 0
                                          << false;
    // Widths without a fused decode: in integer mode 2 bits in their own layout, 3 bits as
    // nibbles, 5 to 7 as int8 values.
    QTest::newRow("int2 sym g64") << 2 << true << group << 64 << true;
    QTest::newRow("int2 asym g32 f32") << 2 << false << group << 32 << false;
    QTest::newRow("int3 asym g128") << 3 << false << group << 128 << true;
    QTest::newRow("int5 sym g32") << 5 << true << group << 32 << true;
    QTest::newRow("int6 asym per channel") << 6 << false << int(cwb::Granularity::PerChannel) << 0
                                           << false;
    QTest::newRow("int7 asym g64") << 7 << false << group << 64 << true;
}

void TestKernels::quantizedLinearFusedMatchesReference()
{
    QFETCH(int, bits);
    QFETCH(bool, symmetric);
    QFETCH(int, granularity);
    QFETCH(int, groupSize);
    QFETCH(bool, f16);
    const int64_t out = 40, in = 256;
    const auto w = randomValues(out * in, 71);
    cwb::RtnParams p{.bits = bits,
                     .symmetric = symmetric,
                     .granularity = cwb::Granularity(granularity),
                     .groupSize = groupSize > 0 ? groupSize : 128,
                     .f16Scales = f16};
    const cwb::QuantizedLinear lin(cwb::quantizeRtnReference(w.data(), out, in, p));
    QCOMPARE(lin.fusedDecode(), bits == 4 || bits == 8);
    const QString floatMismatch = forwardMismatch(lin, {1, 3, 4, 9}, 72); // 9: tiles
    QVERIFY2(floatMismatch.isEmpty(), qPrintable(floatMismatch));
    QVERIFY(!lin.integerKernels());

    // Integer activations (W4A8 / W8A8): codes of 2 to 8 bits, symmetric or not, where the level
    // has a group kernel. 42 rows: five groups of 8 and a padded one of 2.
    const int64_t rows = 42;
    const int layoutBits = bits == 2 ? 2 : bits <= 4 ? 4 : 8;
    const auto w2 = randomValues(rows * in, 73);
    const cwb::QuantizedLinear plain(cwb::quantizeRtnReference(w2.data(), rows, in, p));
    const auto integer = plain.withIntegerActivations();
    if (!cwb::packedGroupKernel(layoutBits)) {
        QVERIFY(!integer);
        return;
    }
    QVERIFY(integer);
    const auto &lin4 = dynamic_cast<const cwb::QuantizedLinear &>(*integer);
    QVERIFY(lin4.integerKernels());
    QVERIFY(!lin4.withIntegerActivations());
    QCOMPARE(lin4.storedBytes(), plain.storedBytes());
    // The codes are held once (interleaved) and rows decode from there to the same values.
    QVERIFY(lin4.tensor().codes.empty());
    QCOMPARE(firstDifferingRow(lin4, plain), int64_t(-1));
    // (its reference rounds the input to Q8_0 first)
    const QString intMismatch = forwardMismatch(lin4, {1, 4, 9}, 74);
    QVERIFY2(intMismatch.isEmpty(), qPrintable(QStringLiteral("integer ") + intMismatch));
    // Symmetric 4-bit codes in groups of 32 with fp16 scales are Q4_0 blocks and run as Q4_0
    // (its kernels are tested on their own); the others run the group kernels.
    QCOMPARE(lin4.runsAsQ4_0(), bits == 4 && symmetric && groupSize == 32 && f16);
    if (lin4.runsAsQ4_0())
        return;
    // Every level's group kernel against the scalar reference on the same groups.
    const auto x = randomValues(5 * in, 75, 3.f);
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::ActivationRounding::Q8_0, x.data(), 5, in, q);
    const int64_t group = groupSize > 0 ? groupSize : in;
    const int64_t perGroup = cwb::packedGroupBytes(in, group, layoutBits);
    const auto &bytes = lin4.interleavedBytes();
    QCOMPARE(int64_t(bytes.size()), 6 * perGroup);
    const auto run = [&](cwb::PackedGroupFn kernel, int nGroup) {
        std::vector<float> y(static_cast<size_t>(5 * 48));
        for (int64_t g = 0; g < 6; ++g)
            for (int64_t i = 0; i < 5; i += nGroup)
                kernel(bytes.data() + g * perGroup, group, q.view(), i,
                       int(std::min<int64_t>(nGroup, 5 - i)), y.data() + i * 48 + 8 * g, 48);
        return y;
    };
    const auto ref = run(cwb::packedGroupKernel(layoutBits, CpuLevel::Scalar), 1);
    for (CpuLevel level : cwb::supportedCpuLevels())
        for (int nGroup = 1; nGroup <= cwb::kIntDotMaxRows; ++nGroup) {
            const auto y = run(cwb::packedGroupKernel(layoutBits, level), nGroup);
            for (size_t k = 0; k < y.size(); ++k)
                QVERIFY2(std::abs(y[k] - ref[k]) <= 1e-5f * (1 + std::fabs(ref[k])),
                         qPrintable(QStringLiteral("%1 rows %2, %3: %4 vs %5")
                                        .arg(QLatin1String(cwb::cpuLevelName(level)))
                                        .arg(nGroup).arg(k).arg(y[k]).arg(ref[k])));
        }
}

// Ternary trits (both packings) in integer mode: 2-bit codes u with the zero point 1 and the
// tensor scale, through the 2-bit group kernel; rows decode to the stored values.
void TestKernels::quantizedLinearTernaryRunsAsW4A8()
{
    for (const auto packing : {cwb::TernaryPacking::TwoBit, cwb::TernaryPacking::Base3}) {
        const int64_t out = 42, in = 320;
        const auto w = randomValues(out * in, 81);
        cwb::TernaryParams p;
        p.packing = packing;
        const cwb::QuantizedLinear lin(cwb::quantizeReference(w.data(), out, in, p));
        const auto integer = lin.withIntegerActivations();
        if (!cwb::packedGroupKernel(2)) {
            QVERIFY(!integer);
            continue;
        }
        QVERIFY(integer);
        const auto &lin4 = dynamic_cast<const cwb::QuantizedLinear &>(*integer);
        QVERIFY(lin4.integerKernels());
        QCOMPARE(lin4.storedBytes(), lin.storedBytes());
        QCOMPARE(firstDifferingRow(lin4, lin), int64_t(-1));
        const QString mismatch = forwardMismatch(lin4, {1, 4, 9}, 82);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    }
}

void TestKernels::quantizedLinearLevelCodesFusedMatchesReference()
{
    // nf4 (plain and double-quantized scales), mxfp4, fp8 (e4m3 per tensor, e5m2 per channel)
    // and nvfp4 (blocks of 16, times a tensor scale) decode through the level-table kernels.
    for (const int variant : {0, 1, 2, 3, 4, 5}) {
        const int64_t out = 24, in = 256;
        const auto w = randomValues(out * in, 76);
        cwb::Nf4Params p;
        p.doubleQuant = variant == 1;
        cwb::QuantParams params = p;
        if (variant == 2)
            params = cwb::MxFp4Params{};
        if (variant == 5)
            params = cwb::NvFp4Params{};
        if (variant == 3 || variant == 4)
            params = cwb::Fp8Params{variant == 3 ? cwb::Fp8Format::E4M3 : cwb::Fp8Format::E5M2,
                                    variant == 3 ? cwb::Granularity::PerTensor
                                                 : cwb::Granularity::PerChannel};
        const cwb::QuantizedLinear lin(cwb::quantizeReference(w.data(), out, in, params));
        QVERIFY(lin.fusedDecode());
        const QString mismatch = forwardMismatch(lin, {1, 4, 6}, 77);
        QVERIFY2(mismatch.isEmpty(), qPrintable(QStringLiteral("variant %1, ").arg(variant) + mismatch));

        // Integer activations: nf4, mxfp4 and nvfp4 (its own layout, scales per 16) through
        // integer levels; fp8 has no integer path.
        const auto integer = lin.withIntegerActivations();
        const bool nvfp4 = variant == 5;
        const bool levelCodes = variant <= 2 || nvfp4;
        if (!levelCodes || !cwb::packedLevelGroupKernel()) {
            QVERIFY(!integer);
            continue;
        }
        QVERIFY(integer);
        const auto &lin4 = dynamic_cast<const cwb::QuantizedLinear &>(*integer);
        QVERIFY(lin4.integerKernels());
        // Rows decode from the interleaved layout to the stored values.
        QCOMPARE(firstDifferingRow(lin4, lin), int64_t(-1));
        const QString intMismatch = forwardMismatch(lin4, {1, 4, 6}, 78);
        QVERIFY2(intMismatch.isEmpty(),
                 qPrintable(QStringLiteral("integer, variant %1, ").arg(variant) + intMismatch));
        // The integer product against the float one on the same Q8_0-rounded input: mxfp4's
        // levels are exact, nf4's are rounded to the integer levels' unit, so each weight moves
        // by at most half a unit of its block's absmax (at most max |w|), and an output by at
        // most half a unit times max |w| times the sum of its input's magnitudes.
        std::array<float, 16> real{};
        for (int u = 0; u < 16; ++u)
            real[size_t(u)] = variant == 2 || nvfp4 ? cwb::e2m1ToFloat(uint8_t(u))
                                                    : cwb::kNf4Levels[size_t(u)];
        const bool exact = variant == 2 || nvfp4;
        const cwb::LevelCodes codes = cwb::makeLevelCodes(real.data());
        QVERIFY(exact ? codes.unit == 0.5f : codes.unit < 1.f / 63); // nf4: 1/63.5
        auto x = randomValues(4 * in, 79, 2.f);
        cwb::roundActivations(cwb::ActivationRounding::Q8_0, x.data(), 4, in);
        std::vector<float> yInt(static_cast<size_t>(4 * out)), yFloat(yInt.size());
        lin4.forward(x.data(), 4, yInt.data());
        lin.forward(x.data(), 4, yFloat.data());
        float maxW = 0;
        for (float v : w)
            maxW = std::max(maxW, std::fabs(v));
        for (int64_t i = 0; i < 4; ++i) {
            double sumX = 0;
            for (int64_t j = 0; j < in; ++j)
                sumX += std::fabs(x[size_t(i * in + j)]);
            const double bound = (exact ? 0 : 0.5 * codes.unit * maxW * sumX)
                                 + 1e-5 * (1 + sumX * maxW);
            for (int64_t k = 0; k < out; ++k) {
                const size_t at = size_t(i * out + k);
                QVERIFY2(std::fabs(yInt[at] - yFloat[at]) <= bound,
                         qPrintable(QStringLiteral("variant %1 row %2 out %3: %4 vs %5, bound %6")
                                        .arg(variant).arg(i).arg(k).arg(yInt[at])
                                        .arg(yFloat[at]).arg(bound)));
            }
        }
        // Every level's kernel against the scalar reference on the interleaved groups.
        cwb::Q8Activations q;
        cwb::quantizeActivations(cwb::ActivationRounding::Q8_0, x.data(), 4, in, q);
        if (nvfp4) {
            checkHalfBlockKernels(lin4, codes, q, yInt);
            if (QTest::currentTestFailed())
                return;
            continue;
        }
        const int64_t group = lin.tensor().groupSize > 0 ? lin.tensor().groupSize : in;
        const int64_t perGroup = cwb::packedGroupBytes(in, group, 4);
        const auto &bytes = lin4.interleavedBytes();
        // The layout's levels as the kernel gets them (codes, rebuilt the way the matrix does).
        for (int u = 0; u < 16; ++u) // each level within half a step of its real value
            QVERIFY(std::fabs(codes.level(u) * double(codes.unit) - real[size_t(u)])
                    <= 0.5 * codes.unit + 1e-7);
        const auto run = [&](cwb::PackedLevelGroupFn kernel, int nGroup) {
            std::vector<float> y(static_cast<size_t>(4 * out));
            for (int64_t g = 0; g < out / 8; ++g)
                for (int64_t i = 0; i < 4; i += nGroup)
                    kernel(bytes.data() + g * perGroup, group, codes, q.view(), i,
                           int(std::min<int64_t>(nGroup, 4 - i)), y.data() + i * out + 8 * g,
                           out);
            return y;
        };
        const auto ref = run(cwb::packedLevelGroupKernel(CpuLevel::Scalar), 1);
        for (size_t k = 0; k < ref.size(); ++k) // the reference is the integer forward's
            QVERIFY(std::abs(ref[k] - yInt[k]) <= 1e-5f * (1 + std::fabs(yInt[k])));
        const QString levelMismatch = levelsMismatch(
            [&](CpuLevel level, int n) { return run(cwb::packedLevelGroupKernel(level), n); },
            ref, 1e-5f, QStringLiteral("variant %1").arg(variant));
        QVERIFY2(levelMismatch.isEmpty(), qPrintable(levelMismatch));
    }
}

void TestKernels::levelCodesWithAPartialRowGroup()
{
    // 13 rows: the last group of 8 interleaved rows holds 5 (zero scales pad it), for nf4's
    // groups and nvfp4's half-block layout alike.
    for (const bool nvfp4 : {false, true}) {
        const int64_t out = 13, in = 128;
        const auto w = randomValues(out * in, 84);
        const cwb::QuantParams params =
            nvfp4 ? cwb::QuantParams{cwb::NvFp4Params{}} : cwb::QuantParams{cwb::Nf4Params{}};
        const cwb::QuantizedLinear lin(cwb::quantizeReference(w.data(), out, in, params));
        const auto integer = lin.withIntegerActivations();
        // At the scalar level (CWB_CPU_LEVEL=scalar) there is no integer form: float decode.
        const bool kernels = nvfp4 ? cwb::packedHalfBlockLevelKernel() != nullptr
                                   : cwb::packedLevelGroupKernel() != nullptr;
        QCOMPARE(integer != nullptr, kernels);
        if (!integer)
            continue;
        const auto &lin4 = dynamic_cast<const cwb::QuantizedLinear &>(*integer);
        QVERIFY(lin4.integerKernels());
        QCOMPARE(firstDifferingRow(lin4, lin), int64_t(-1));
        const QString mismatch = forwardMismatch(lin4, {1, 3, 5}, 85);
        QVERIFY2(mismatch.isEmpty(), qPrintable(QLatin1String(nvfp4 ? "nvfp4: " : "nf4: ") + mismatch));
    }
}

void TestKernels::levelKernelsHoldTheWidestLevels()
{
    // Levels spanning the full 0..127: integer levels are kept exactly, real ones rounded onto
    // at most 128 values within half a unit each.
    std::array<float, 16> integers{};
    for (int u = 0; u < 16; ++u)
        integers[size_t(u)] = u == 15 ? 127.f : float(8 * u);
    const cwb::LevelCodes exact = cwb::makeLevelCodes(integers.data());
    QCOMPARE(exact.unit, 1.f);
    QCOMPARE(exact.level(15), 127);
    std::mt19937 rng(83);
    std::uniform_real_distribution<float> real(-3.f, 5.f);
    std::array<float, 16> reals{};
    for (float &v : reals)
        v = real(rng);
    const cwb::LevelCodes rounded = cwb::makeLevelCodes(reals.data());
    for (int u = 0; u < 16; ++u) {
        QVERIFY(rounded.value[u] <= 127);
        QVERIFY(std::fabs(rounded.level(u) * double(rounded.unit) - reals[size_t(u)])
                <= 0.5 * rounded.unit + 1e-6);
    }
    reals[3] = std::nanf("");
    QVERIFY_THROWS_EXCEPTION(cwb::Error, (void)cwb::makeLevelCodes(reals.data()));

    // One group of 64 for 8 rows: every code of the first block at the level 127, random ones
    // after; activations at full scale (q = 127 throughout row 0), so a pair of byte products
    // reaches 2 * 127 * 127 and must not saturate.
    const int64_t in = 64, group = 64;
    std::vector<std::byte> bytes(size_t(cwb::packedGroupBytes(in, group, 4)));
    for (auto &b : bytes)
        b = std::byte(rng());
    for (int k = 0; k < 8; ++k) {
        const float scale = 0.25f * float(k + 1);
        std::memcpy(bytes.data() + 4 * k, &scale, 4);
    }
    std::fill(bytes.begin() + cwb::kPackedGroupHeaderBytes,
              bytes.begin() + cwb::kPackedGroupHeaderBytes + 128, std::byte(0xFF));
    std::vector<float> x(size_t(4 * in), 1.f);
    for (int64_t j = in; j < 4 * in; ++j)
        x[size_t(j)] = j < 2 * in ? (j % 2 ? -1.f : 1.f) : real(rng);
    cwb::Q8Activations q;
    cwb::quantizeActivations(cwb::ActivationRounding::Q8_0, x.data(), 4, in, q);
    QCOMPARE(int(q.view().qs[0]), 127);
    const auto run = [&](cwb::PackedLevelGroupFn kernel, int nGroup) {
        std::vector<float> y(size_t(4 * 8));
        for (int64_t i = 0; i < 4; i += nGroup)
            kernel(bytes.data(), group, exact, q.view(), i, int(std::min<int64_t>(nGroup, 4 - i)),
                   y.data() + i * 8, 8);
        return y;
    };
    const auto ref = run(cwb::packedLevelGroupKernel(CpuLevel::Scalar), 1);
    const QString mismatch = levelsMismatch(
        [&](CpuLevel level, int n) { return run(cwb::packedLevelGroupKernel(level), n); }, ref,
        1e-6f, QStringLiteral("levels at 127"));
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestKernels::gemmEveryLevelMatchesReference()
{
    for (const auto &[n, rows, in] : {std::tuple<int64_t, int64_t, int64_t>{1, 33, 100},
                                      {7, 48, 256},
                                      {64, 35, 129}}) {
        const auto x = randomValues(n * in, 51);
        const auto w = randomValues(rows * in, 52);
        std::vector<float> ref(static_cast<size_t>(n * rows));
        cwb::matmulReference(x.data(), n, w.data(), rows, in, ref.data());
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            std::vector<float> y(ref.size(), -1.f);
            cwb::gemm::tileFor(level)(x.data(), n, in, w.data(), rows, y.data(), rows);
            for (size_t k = 0; k < y.size(); ++k)
                QVERIFY2(std::abs(y[k] - ref[k]) <= 1e-4f * (1 + std::fabs(ref[k])),
                         qPrintable(QStringLiteral("%1 n=%2: %3 vs %4")
                                        .arg(QLatin1String(cwb::cpuLevelName(level)))
                                        .arg(n)
                                        .arg(y[k])
                                        .arg(ref[k])));
        }
    }
}

void TestKernels::perIsaObjectsKeepTheirInlineCode()
{
    // Weak ("W"/"V") symbols are the ones the linker may take from any object: in the per-ISA
    // objects, every one must be in that object's own renamed namespace.
#ifdef CWB_SANITIZED_BUILD
    // A sanitizer build (clang, -O1, never shipped) also keeps a few of the compiler's and the
    // standard library's own helpers out of line, and -fsanitize=function emits the type_info of
    // every function type it checks (data, no code): those are allowed there. Everything of
    // ours and of Eigen is still checked.
    const auto allowedHere = [](const QString &name) {
        return ((name.startsWith(QLatin1String("typeinfo for "))
                 || name.startsWith(QLatin1String("typeinfo name for ")))
                && name.endsWith(u')'))
            || name == QLatin1String("std::bad_alloc::bad_alloc()")
            || name == QLatin1String("__clang_call_terminate");
    };
#else
    const auto allowedHere = [](const QString &) { return false; };
#endif
    const QString core = QStringLiteral(CWB_BINARY_DIR "/core/CMakeFiles");
    const struct {
        const char *object;
        const char *own;
    } objects[] = {
        {"/cwb_formats.dir/formats/kernels_avx2.cpp.o", nullptr},
        {"/cwb_formats.dir/formats/kernels_avx2vnni.cpp.o", nullptr},
        {"/cwb_formats.dir/formats/kernels_avx512.cpp.o", nullptr},
        {"/cwb_formats.dir/formats/quant_simd_avx2.cpp.o", nullptr},
        {"/cwb_formats.dir/formats/quant_simd_avx512.cpp.o", nullptr},
        {"/cwb_analysis.dir/analysis/stats_simd_avx2.cpp.o", nullptr},
        {"/cwb_analysis.dir/analysis/stats_simd_avx512.cpp.o", nullptr},
        {"/cwb_eval.dir/eval/gemm_avx2.cpp.o", "Eigen_cwb_avx2::"},
        {"/cwb_eval.dir/eval/gemm_avx512.cpp.o", "Eigen_cwb_avx512::"},
    };
    for (const auto &o : objects) {
        const QString path = core + QLatin1String(o.object);
        // The Makefile generator's object layout (scripts/setup.sh configures it).
        QVERIFY2(QFile::exists(path), qPrintable(QStringLiteral("object file not found: ") + path));
        QProcess nm;
        nm.start(QStringLiteral("nm"), {QStringLiteral("-C"), path});
        QVERIFY(nm.waitForFinished(30000));
        // binutils' nm comes with the compiler (build-essential).
        QVERIFY2(nm.exitStatus() == QProcess::NormalExit && nm.exitCode() == 0,
                 qPrintable(QStringLiteral("nm -C failed: ")
                            + QString::fromUtf8(nm.readAllStandardError())));
        int weak = 0;
        for (const QString &line : QString::fromUtf8(nm.readAllStandardOutput()).split(u'\n')) {
            const QStringList f = line.split(u' ', Qt::SkipEmptyParts);
            if (f.size() < 3 || (f[1] != QLatin1String("W") && f[1] != QLatin1String("V")))
                continue;
            const QString name = line.section(u' ', 2);
            if (name.startsWith(QLatin1String("DW.ref.__gxx_personality_v0")) || allowedHere(name))
                continue; // the exception personality pointer (data), or allowed above
            ++weak;
            QVERIFY2(o.own && name.contains(QLatin1String(o.own)),
                     qPrintable(QLatin1String(o.object) + QLatin1String(": ") + name));
        }
        std::printf("%s: %d weak symbols, all in its own namespace\n", o.object, weak);
    }
}

QTEST_GUILESS_MAIN(TestKernels)
#include "test_kernels.moc"
