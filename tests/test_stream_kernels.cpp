// SPDX-License-Identifier: MIT
// The streaming kernels of statistics (analysis/stats_simd.h) and of the weight quantizers
// (formats/quant_simd.h) on every instruction-set level this CPU supports: each level gives
// bit-identical results to the baseline level (same lanes, same order, no contraction), and the
// baseline equals the scalar definition each kernel stands for (the header functions and
// formulas written out here one value at a time), on data with zeros, ties, subnormals, NaN,
// infinities and values outside the histogram's range. The end-to-end comparisons of the fast
// statistics and quantizers with their references are in test_analysis, test_histogram and
// test_quant_formats.

#include "analysis/stats_kernels.h"
#include "analysis/stats_simd.h"
#include "formats/float_formats.h"
#include "formats/quant_grids.h"
#include "formats/quant_simd.h"
#include "util/default_init_allocator.h"
#include "test_support.h"
#include "util/cpu_features.h"

#include <QTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

namespace {

using cwb::CpuLevel;

std::vector<float> randomValues(int64_t n, uint32_t seed, float scale)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (float &x : v)
        x = dist(rng);
    for (size_t i = 0; i < v.size(); i += 7)
        v[i] = 0.0f; // exact zeros
    return v;
}

bool sameBits(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }
bool sameBits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

QByteArray levelName(CpuLevel l) { return QByteArray(cwb::cpuLevelName(l)); }

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

} // namespace

class TestStreamKernels : public QObject {
    Q_OBJECT
private slots:
    void everyLevelHasItsOwnTables();
    void pieceSumsAgreeOnEveryLevel();
    void pieceSumsMatchTheDefinition();
    void pieceWithNonFiniteIsRefusedOnEveryLevel();
    void columnSumsAgreeOnEveryLevel();
    void nearZeroCountsOnEveryLevel();
    void histogramSlotsOnEveryLevel();
    void quantMinMaxAndAbsMaxOnEveryLevel();
    void rtnRowKernelsOnEveryLevel();
    void f16RoundTripOnEveryLevel();
    void nf4RowCodesOnEveryLevel();
    void fp8CodesMatchTheConversionOnEveryLevel();
    void halfConversionsOnEveryLevel();
    void largeCodeBuffersAreHugePageAligned();
};

void TestStreamKernels::everyLevelHasItsOwnTables()
{
    // A level file compiled without its instruction set would still pass every equality below;
    // distinct tables at least show that each level's file is the one linked. The avx2vnni level
    // has no statistics or quantizer kernels of its own: it runs the AVX2 ones.
    std::vector<cwb::CpuLevel> levels;
    for (cwb::CpuLevel l : cwb::supportedCpuLevels()) {
        if (l != cwb::CpuLevel::Avx2Vnni) {
            levels.push_back(l);
            continue;
        }
        QCOMPARE(&cwb::stats::simdTable(l), &cwb::stats::simdTable(cwb::CpuLevel::Avx2));
        QCOMPARE(&cwb::quantsimd::table(l), &cwb::quantsimd::table(cwb::CpuLevel::Avx2));
    }
    for (size_t i = 0; i < levels.size(); ++i)
        for (size_t j = i + 1; j < levels.size(); ++j) {
            QVERIFY(&cwb::stats::simdTable(levels[i]) != &cwb::stats::simdTable(levels[j]));
            QVERIFY(&cwb::quantsimd::table(levels[i]) != &cwb::quantsimd::table(levels[j]));
            QVERIFY(cwb::stats::simdTable(levels[i]).piece
                    != cwb::stats::simdTable(levels[j]).piece);
        }
    QCOMPARE(&cwb::stats::activeSimdTable(), &cwb::stats::simdTable(cwb::activeCpuLevel()));
    QCOMPARE(&cwb::quantsimd::activeTable(), &cwb::quantsimd::table(cwb::activeCpuLevel()));
}

void TestStreamKernels::pieceSumsAgreeOnEveryLevel()
{
    const auto &base = cwb::stats::baselineSimdTable();
    for (int64_t n : std::vector<int64_t> {1, 15, 16, 17, 31, 1000, cwb::stats::kPiece}) {
        // an offset mean, so the central sums are not just the raw ones
        auto x = randomValues(n, uint32_t(n), 0.02f);
        for (float &v : x)
            v += 0.5f;
        cwb::stats::PieceSums want;
        QVERIFY(base.piece(x.data(), n, want));
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            cwb::stats::PieceSums got;
            QVERIFY(cwb::stats::simdTable(level).piece(x.data(), n, got));
            const QByteArray what = levelName(level) + " n=" + QByteArray::number(qint64(n));
            QVERIFY2(sameBits(got.sum, want.sum) && sameBits(got.min, want.min)
                         && sameBits(got.max, want.max) && got.zeros == want.zeros
                         && sameBits(got.s1, want.s1) && sameBits(got.s2, want.s2)
                         && sameBits(got.s3, want.s3) && sameBits(got.s4, want.s4),
                     what.constData());
        }
    }
}

void TestStreamKernels::pieceSumsMatchTheDefinition()
{
    const int64_t n = 1003;
    auto x = randomValues(n, 5, 3.0f);
    x[10] = -1e-30f; // a tiny negative: the minimum is still the most negative value
    cwb::stats::PieceSums got;
    QVERIFY(cwb::stats::baselineSimdTable().piece(x.data(), n, got));
    double sum = 0;
    uint64_t zeros = 0;
    for (float v : x) {
        sum += v;
        zeros += v == 0.0f;
    }
    const double mean = sum / double(n);
    double s[5] = {};
    for (float v : x) {
        const double d = double(v) - mean;
        s[1] += d;
        s[2] += d * d;
        s[3] += d * d * d;
        s[4] += d * d * d * d;
    }
    QCOMPARE(got.min, *std::min_element(x.begin(), x.end()));
    QCOMPARE(got.max, *std::max_element(x.begin(), x.end()));
    QCOMPARE(got.zeros, zeros);
    VERIFY_NEAR(got.sum, sum, 1e-12, 1e-9);
    VERIFY_NEAR(got.s1, s[1], 1e-9, 1e-9); // a residual near zero: absolute
    for (int k = 2; k <= 4; ++k)
        VERIFY_NEAR(k == 2 ? got.s2 : k == 3 ? got.s3 : got.s4, s[k], 1e-9, 1e-9);
}

void TestStreamKernels::pieceWithNonFiniteIsRefusedOnEveryLevel()
{
    for (float bad : {kNaN, kInf, -kInf})
        for (size_t at : {0, 5, 16, 99}) {
            auto x = randomValues(100, 3, 1.0f);
            x[at] = bad;
            for (CpuLevel level : cwb::supportedCpuLevels()) {
                cwb::stats::PieceSums out;
                QVERIFY2(!cwb::stats::simdTable(level).piece(x.data(), 100, out),
                         levelName(level).constData());
            }
        }
}

void TestStreamKernels::columnSumsAgreeOnEveryLevel()
{
    const int64_t len = 37; // 4 groups of 8 and a tail of 5
    for (int nRows = 1; nRows <= cwb::stats::kColumnGroup; ++nRows) {
        const auto data = randomValues(nRows * len, uint32_t(nRows), 0.7f);
        std::vector<const float *> rows;
        for (int r = 0; r < nRows; ++r)
            rows.push_back(data.data() + r * len);
        std::vector<double> shift(static_cast<size_t>(len));
        for (int64_t j = 0; j < len; ++j)
            shift[size_t(j)] = data[size_t(j)];
        auto run = [&](const cwb::stats::SimdTable &t) {
            // accumulators that already hold something, as after an earlier group
            std::vector<double> s1(static_cast<size_t>(len), 0.25), s2(static_cast<size_t>(len), 2.0);
            std::vector<float> am(static_cast<size_t>(len), 0.5f);
            t.columns(rows.data(), nRows, len, s1.data(), s2.data(), am.data(), shift.data());
            return std::make_tuple(s1, s2, am);
        };
        const auto [w1, w2, wa] = run(cwb::stats::baselineSimdTable());
        for (int64_t j = 0; j < len; ++j) {
            double e1 = 0.25, e2 = 2.0;
            float ea = 0.5f;
            for (int r = 0; r < nRows; ++r) {
                const double y = double(rows[size_t(r)][j]) - shift[size_t(j)];
                e1 += y;
                e2 += y * y;
                ea = std::max(ea, std::abs(rows[size_t(r)][j]));
            }
            VERIFY_NEAR(w1[size_t(j)], e1, 1e-12, 1e-12);
            VERIFY_NEAR(w2[size_t(j)], e2, 1e-12, 1e-12);
            QCOMPARE(wa[size_t(j)], ea);
        }
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            const auto [g1, g2, ga] = run(cwb::stats::simdTable(level));
            for (size_t j = 0; j < size_t(len); ++j)
                QVERIFY2(sameBits(g1[j], w1[j]) && sameBits(g2[j], w2[j]) && sameBits(ga[j], wa[j]),
                         (levelName(level) + " rows " + QByteArray::number(nRows)).constData());
        }
    }
}

void TestStreamKernels::nearZeroCountsOnEveryLevel()
{
    auto x = randomValues(4101, 9, 1.0f);
    x[3] = -0.0f;
    x[4] = kNaN;
    x[5] = kInf;
    x[6] = 0.25f; // exactly at the threshold: not below it
    x[8] = -0.25f;
    const float t = 0.25f;
    uint64_t want = 0;
    for (float v : x)
        want += (std::abs(v) < t) || v == 0.0f;
    for (CpuLevel level : cwb::supportedCpuLevels())
        QVERIFY2(cwb::stats::simdTable(level).nearZero(x.data(), int64_t(x.size()), t) == want,
                 levelName(level).constData());
}

void TestStreamKernels::histogramSlotsOnEveryLevel()
{
    // 10 bins over [-1, 1): bin edges every 0.2; values on and next to the edges, out of range,
    // and non-finite.
    cwb::stats::SlotParams p;
    p.lo = -1.0f;
    p.scale = 5.0f;
    p.binsF = 10.0f;
    p.eps = 1e-5f;
    p.loF = -1.0f;
    p.hiF = 1.0f;
    p.last = 9;
    p.above = 11;
    p.dropped = 12;
    auto x = randomValues(1000, 4, 0.6f);
    const float special[] = {-1.0f, 1.0f,  -1.5f, 1.5f, kNaN, kInf, -kInf,
                             0.2f,  -0.2f, 0.6f,  std::nextafter(0.6f, 1.0f), 0.0f};
    std::copy(std::begin(special), std::end(special), x.begin() + 100);
    const int64_t n = int64_t(x.size());
    std::vector<int32_t> want(x.size());
    std::vector<uint8_t> wantUnsure(x.size());
    const bool wantAny
        = cwb::stats::baselineSimdTable().binSlots(x.data(), n, p, want.data(), wantUnsure.data());
    QVERIFY(wantAny); // the edge values
    for (size_t i = 0; i < x.size(); ++i) {
        const float v = x[i];
        int32_t e;
        if (!std::isfinite(v))
            e = p.dropped;
        else if (v < p.loF)
            e = 0;
        else if (v > p.hiF)
            e = p.above;
        else
            e = std::min(int32_t((v - p.lo) * p.scale), p.last) + 1;
        QCOMPARE(want[i], e);
    }
    for (CpuLevel level : cwb::supportedCpuLevels()) {
        std::vector<int32_t> got(x.size());
        std::vector<uint8_t> unsure(x.size());
        const bool any = cwb::stats::simdTable(level).binSlots(x.data(), n, p, got.data(), unsure.data());
        QVERIFY2(any == wantAny && got == want && unsure == wantUnsure, levelName(level).constData());
    }
}

void TestStreamKernels::quantMinMaxAndAbsMaxOnEveryLevel()
{
    for (int64_t n : std::vector<int64_t> {1, 7, 8, 9, 100}) {
        auto x = randomValues(n, uint32_t(n + 20), 2.0f);
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            const auto &t = cwb::quantsimd::table(level);
            float lo = 0, hi = 0;
            QVERIFY(t.minMax(x.data(), n, lo, hi));
            QCOMPARE(lo, *std::min_element(x.begin(), x.end()));
            QCOMPARE(hi, *std::max_element(x.begin(), x.end()));
            float am = 0;
            for (float v : x)
                am = std::max(am, std::fabs(v));
            QCOMPARE(t.absMax(x.data(), n), am);
            QVERIFY(t.allFinite(x.data(), n));
            for (float bad : {kNaN, kInf, -kInf}) {
                auto y = x;
                y[size_t(n - 1)] = bad;
                QVERIFY2(!t.minMax(y.data(), n, lo, hi), levelName(level).constData());
                QVERIFY2(!t.allFinite(y.data(), n), levelName(level).constData());
                const float a = t.absMax(y.data(), n);
                QVERIFY2(std::isnan(bad) ? std::isnan(a) : a == kInf, levelName(level).constData());
            }
        }
    }
}

void TestStreamKernels::rtnRowKernelsOnEveryLevel()
{
    // Group ranges, then the codes of a row against the rule written out: halves (ties to even),
    // clamping on both sides, -0, an all-zero group (s = 0), group lengths with and without a
    // vector tail, an odd last nibble, and 4-bit (packed by the kernel) next to 8-bit codes.
    const struct {
        int64_t groups, len;
        int bits;
        int32_t qlo, qhi;
    } shapes[] = {{4, 128, 4, 1, 15}, {3, 32, 4, 0, 15}, {1, 301, 4, 0, 15}, {2, 77, 4, 1, 15},
                  {5, 64, 8, 1, 255},  {1, 45, 8, 0, 255}, {2, 40, 3, 0, 7}};
    for (const auto &shape : shapes) {
        const int64_t n = shape.groups * shape.len;
        std::vector<float> x = randomValues(n, uint32_t(n + shape.bits), 3.0f);
        const float ties[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, -0.0f, 7.49f, 7.5f, -7.5f, -9.0f, 9.0f};
        std::copy(std::begin(ties), std::end(ties), x.begin());
        std::vector<float> s(static_cast<size_t>(shape.groups));
        std::vector<int32_t> zero(static_cast<size_t>(shape.groups));
        for (int64_t g = 0; g < shape.groups; ++g) {
            s[size_t(g)] = g == 1 ? 0.0f : 0.37f * float(g + 1);
            zero[size_t(g)] = shape.qlo == 1 ? 1 << (shape.bits - 1) : int32_t(g % (shape.qhi + 1));
        }
        std::vector<int32_t> want(static_cast<size_t>(n));
        std::vector<float> wantLo(static_cast<size_t>(shape.groups)), wantHi(wantLo), wantAbs(wantLo);
        for (int64_t g = 0; g < shape.groups; ++g) {
            const float *p = x.data() + g * shape.len;
            wantLo[size_t(g)] = *std::min_element(p, p + shape.len);
            wantHi[size_t(g)] = *std::max_element(p, p + shape.len);
            wantAbs[size_t(g)] = std::max(-wantLo[size_t(g)], wantHi[size_t(g)]);
            for (int64_t j = 0; j < shape.len; ++j) {
                const float sg = s[size_t(g)];
                const int32_t z = zero[size_t(g)];
                want[size_t(g * shape.len + j)] =
                    sg == 0.0f ? z
                               : std::clamp(int32_t(std::nearbyint(p[j] / sg)) + z, shape.qlo, shape.qhi);
            }
        }
        const int64_t bytes = shape.bits == 4 ? (n + 1) / 2 : n;
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            const auto &t = cwb::quantsimd::table(level);
            std::vector<float> lo(wantLo.size()), hi(wantLo.size()), am(wantLo.size());
            QVERIFY(t.groupMinMax(x.data(), shape.groups, shape.len, lo.data(), hi.data()));
            QVERIFY(t.groupAbsMax(x.data(), shape.groups, shape.len, am.data()));
            QVERIFY2(lo == wantLo && hi == wantHi && am == wantAbs, levelName(level).constData());
            std::vector<uint8_t> out(static_cast<size_t>(bytes), 0xa5); // the kernel overwrites every byte
            t.rtnRowCodes(x.data(), shape.groups, shape.len, s.data(), zero.data(), shape.qlo,
                          shape.qhi, shape.bits, out.data());
            for (int64_t k = 0; k < n; ++k) {
                const int got = shape.bits == 4 ? (out[size_t(k / 2)] >> (4 * (k % 2))) & 15 : out[size_t(k)];
                QVERIFY2(got == want[size_t(k)],
                         qPrintable(QStringLiteral("%1: %2 groups of %3, %4 bits, code %5: %6, want %7")
                                        .arg(QLatin1String(cwb::cpuLevelName(level)))
                                        .arg(shape.groups).arg(shape.len).arg(shape.bits).arg(k)
                                        .arg(got).arg(want[size_t(k)])));
            }
            if (shape.bits == 4 && n % 2)
                QVERIFY2((out.back() >> 4) == 0, levelName(level).constData());
            for (float bad : {kNaN, kInf, -kInf}) {
                auto y = x;
                y[size_t(n - 1)] = bad;
                QVERIFY2(!t.groupMinMax(y.data(), shape.groups, shape.len, lo.data(), hi.data()),
                         levelName(level).constData());
                QVERIFY2(!t.groupAbsMax(y.data(), shape.groups, shape.len, am.data()),
                         levelName(level).constData());
            }
        }
    }
}

void TestStreamKernels::nf4RowCodesOnEveryLevel()
{
    // Values on every threshold (counted only when strictly above), a hair either side of each
    // threshold and of every bucket edge of the fast kernels, the block's +-absmax (x
    // times the rounded inverse may pass 1), an all-zero block, block lengths with a vector tail,
    // a block of subnormals (x * inf: infinities and NaN), one of absmax ~1e-38, and the random
    // rest.
    const auto &t = cwb::nf4Thresholds();
    for (const int64_t len : {64, 128, 40}) {
        const int64_t blocks = 7, n = blocks * len;
        std::vector<float> x = randomValues(n, uint32_t(len), 0.5f);
        std::vector<float> special;
        for (float v : t)
            for (float d : {0.0f, 1e-7f, -1e-7f, 3e-5f, -3e-5f})
                special.push_back(v + d);
        for (int k = 0; k <= 16; ++k)
            for (float d : {0.0f, 1e-7f, -1e-7f})
                for (float perBucket : {8.0f, 7.99f, 3.99f}) // eighths, the kernels' bucket edges
                    special.push_back(float(k) / perBucket - 1.0f + d);
        for (size_t i = 0; i < special.size() && i < size_t(len * 3); ++i)
            x[size_t(len) + i] = special[i] * 0.8f; // blocks 1..3, absmax 0.8 set below
        for (int64_t b = 1; b < 4; ++b)
            x[size_t(b * len + len - 1)] = b % 2 ? 0.8f : -0.8f;
        std::fill(x.begin() + 4 * len, x.begin() + 5 * len, 0.0f);
        for (int64_t j = 0; j < len; ++j) // a subnormal absmax: its inverse overflows to infinity
            x[size_t(5 * len + j)] = 1e-40f * float(j % 7 - 3);
        for (int64_t j = 0; j < len; ++j) // an absmax whose inverse is finite but 8 / absmax not
            x[size_t(6 * len + j)] = 5e-39f * x[size_t(j)];
        std::vector<int> want(static_cast<size_t>(n));
        std::vector<float> wantAbs(static_cast<size_t>(blocks));
        for (int64_t b = 0; b < blocks; ++b) {
            float am = 0;
            for (int64_t j = 0; j < len; ++j)
                am = std::max(am, std::fabs(x[size_t(b * len + j)]));
            wantAbs[size_t(b)] = am;
            const float inv = am > 0 ? 1.0f / am : 0.0f;
            for (int64_t j = 0; j < len; ++j) {
                const float xn = x[size_t(b * len + j)] * inv;
                want[size_t(b * len + j)] =
                    int(std::count_if(t.begin(), t.end(), [&](float th) { return xn > th; }));
            }
        }
        for (CpuLevel level : cwb::supportedCpuLevels()) {
            std::vector<float> am(wantAbs.size());
            std::vector<uint8_t> out(static_cast<size_t>(n / 2), 0xa5);
            QVERIFY(cwb::quantsimd::table(level).nf4RowCodes(x.data(), blocks, len, t.data(),
                                                             am.data(), out.data()));
            QVERIFY2(am == wantAbs, levelName(level).constData());
            for (int64_t k = 0; k < n; ++k) {
                const int got = (out[size_t(k / 2)] >> (4 * (k % 2))) & 15;
                QVERIFY2(got == want[size_t(k)],
                         qPrintable(QStringLiteral("%1: block length %2, value %3 (%4): %5, want %6")
                                        .arg(QLatin1String(cwb::cpuLevelName(level)))
                                        .arg(len).arg(k).arg(double(x[size_t(k)]), 0, 'g', 9)
                                        .arg(got).arg(want[size_t(k)])));
            }
            for (float bad : {kNaN, kInf, -kInf}) {
                auto y = x;
                y[size_t(n - 3)] = bad;
                QVERIFY2(!cwb::quantsimd::table(level).nf4RowCodes(y.data(), blocks, len, t.data(),
                                                                   am.data(), out.data()),
                         levelName(level).constData());
            }
        }
    }
}

void TestStreamKernels::fp8CodesMatchTheConversionOnEveryLevel()
{
    // Every float class: each E4M3 / E5M2 code's value and the midpoints between neighbours
    // (ties), the subnormal range, beyond the largest value, zeros of both signs, NaN, infinities,
    // plus random values over many binades.
    std::vector<float> x;
    for (int c = 0; c < 256; ++c) {
        for (bool e5 : {false, true}) {
            const float v = e5 ? cwb::fp8E5M2ToFloat(uint8_t(c)) : cwb::fp8E4M3ToFloat(uint8_t(c));
            const float w = e5 ? cwb::fp8E5M2ToFloat(uint8_t(c + 1)) : cwb::fp8E4M3ToFloat(uint8_t(c + 1));
            x.push_back(v);
            if (std::isfinite(v) && std::isfinite(w))
                x.push_back(0.5f * (v + w));
        }
    }
    for (float v : {0.0f, -0.0f, kNaN, -kNaN, kInf, -kInf, 1e30f, -1e30f, 449.0f, 464.0f, 480.0f,
                    57344.0f, 61440.0f, 1e-45f, -1e-45f, 1e-8f})
        x.push_back(v);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> expo(-30.0f, 20.0f);
    std::uniform_int_distribution<int> sign(0, 1);
    for (int i = 0; i < 4000; ++i)
        x.push_back((sign(rng) ? -1.0f : 1.0f) * std::exp2(expo(rng)));
    const int64_t n = int64_t(x.size());
    for (float s : {1.0f, 0.0123f})
        for (bool e5 : {false, true}) {
            std::vector<uint8_t> want(x.size());
            for (size_t j = 0; j < x.size(); ++j)
                want[j] = e5 ? cwb::floatToFp8E5M2(x[j] / s) : cwb::floatToFp8E4M3(x[j] / s);
            for (CpuLevel level : cwb::supportedCpuLevels()) {
                std::vector<uint8_t> got(x.size());
                cwb::quantsimd::table(level).fp8Codes(x.data(), n, s, e5, got.data());
                for (size_t j = 0; j < x.size(); ++j)
                    QVERIFY2(got[j] == want[j],
                             qPrintable(QStringLiteral("%1 %2 x=%3 s=%4: %5, want %6")
                                            .arg(QLatin1String(cwb::cpuLevelName(level)))
                                            .arg(QLatin1String(e5 ? "e5m2" : "e4m3"))
                                            .arg(double(x[j]), 0, 'g', 9)
                                            .arg(double(s))
                                            .arg(got[j])
                                            .arg(want[j])));
            }
        }
}

void TestStreamKernels::halfConversionsOnEveryLevel()
{
    // All 65536 patterns of each half type (zeros, subnormals, infinities, NaN payloads), read
    // from an odd address: the same float bits as fp16ToFloat / bf16ToFloat.
    std::vector<unsigned char> src(2 * 65536 + 1);
    for (uint32_t v = 0; v < 65536; ++v) {
        src[1 + 2 * v] = uint8_t(v);
        src[2 + 2 * v] = uint8_t(v >> 8);
    }
    for (CpuLevel level : cwb::supportedCpuLevels()) {
        const auto &t = cwb::quantsimd::table(level);
        std::vector<float> f16(65536), bf16(65536);
        t.f16ToFloat(src.data() + 1, 65536, f16.data());
        t.bf16ToFloat(src.data() + 1, 65536, bf16.data());
        for (uint32_t v = 0; v < 65536; ++v) {
            QVERIFY2(sameBits(f16[v], cwb::fp16ToFloat(uint16_t(v))),
                     (levelName(level) + " fp16 " + QByteArray::number(v, 16)).constData());
            QVERIFY2(sameBits(bf16[v], cwb::bf16ToFloat(uint16_t(v))),
                     (levelName(level) + " bf16 " + QByteArray::number(v, 16)).constData());
        }
    }
}

void TestStreamKernels::f16RoundTripOnEveryLevel()
{
    // A million float patterns spread over all 2^32 (every sign, binade, NaN payloads), the
    // rounding boundaries of the half range (65504, 65520, the smallest normal and subnormal
    // halves) and their neighbours: the fp16 bits and the float back are floatToFp16's and
    // fp16ToFloat's, bit for bit.
    std::vector<float> x;
    for (uint64_t b = 0; b < (uint64_t(1) << 32); b += 4099)
        x.push_back(std::bit_cast<float>(uint32_t(b)));
    for (float v : {65504.0f, 65519.996f, 65520.0f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f,
                    0.0f, -0.0f, kInf, -kInf, kNaN})
        for (int d = -2; d <= 2; ++d) {
            x.push_back(std::bit_cast<float>(std::bit_cast<uint32_t>(v) + uint32_t(d)));
            x.push_back(-x.back());
        }
    for (CpuLevel level : cwb::supportedCpuLevels()) {
        std::vector<uint16_t> h(x.size());
        std::vector<float> y(x.size());
        cwb::quantsimd::table(level).f16RoundTrip(x.data(), int64_t(x.size()), h.data(), y.data());
        for (size_t j = 0; j < x.size(); ++j) {
            const uint16_t want = cwb::floatToFp16(x[j]);
            QVERIFY2(h[j] == want && sameBits(y[j], cwb::fp16ToFloat(want)),
                     (levelName(level) + " float bits "
                      + QByteArray::number(std::bit_cast<uint32_t>(x[j]), 16))
                         .constData());
        }
    }
}

void TestStreamKernels::largeCodeBuffersAreHugePageAligned()
{
    // QuantizedTensor::codes: from kLargeBufferBytes up the block starts on a 2 MiB boundary (so
    // the huge-page advice covers it), below it it is an ordinary heap block; resize() leaves
    // the bytes to the writer either way, and the buffer holds what is written.
    for (size_t bytes : {size_t {1000}, cwb::kLargeBufferBytes - 1, cwb::kLargeBufferBytes,
                         cwb::kLargeBufferBytes + 12345}) {
        cwb::ByteBuffer b;
        b.resize(bytes);
        const auto addr = reinterpret_cast<std::uintptr_t>(b.data());
        if (bytes >= cwb::kLargeBufferBytes)
            QCOMPARE(addr % cwb::kHugePageBytes, std::uintptr_t {0});
        for (size_t i = 0; i < bytes; i += 4093)
            b[i] = uint8_t(i);
        b.back() = 7;
        for (size_t i = 0; i + 1 < bytes; i += 4093)
            QCOMPARE(b[i], uint8_t(i));
        QCOMPARE(b.back(), uint8_t(7));
        cwb::ByteBuffer copy = b; // copies go through the same allocator
        QVERIFY(copy == b);
    }
}

QTEST_GUILESS_MAIN(TestStreamKernels)
#include "test_stream_kernels.moc"
