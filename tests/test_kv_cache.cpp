// SPDX-License-Identifier: MIT
// KV cache types (llama.cpp's -ctk / -ctv): storage rounds as ggml's cpy does, bytes per type,
// and their effect on perplexity and reported memory through the whole evaluation.

#include "eval/evaluation.h"
#include "eval/kv_cache.h"
#include "formats/float_formats.h"
#include "formats/ggml_dequant.h"
#include "formats/ggml_quantize.h"
#include "report/evaluation_report.h"
#include "test_support.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <vector>

using cwb::KvCache;
using cwb::KvCacheType;

class TestKvCache : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void names();
    void bytesPerType();
    void storeRoundsAsGgml_data();
    void storeRoundsAsGgml();
    void rowsMustBeWholeBlocks();
    void perplexityAndMemoryPerType();
    void blocksMustNotSpanHeads();
};

void TestKvCache::names()
{
    for (const char *n : {"f32", "f16", "q8_0", "q4_0"}) {
        const auto t = cwb::kvCacheTypeFromName(n);
        QVERIFY2(t.has_value(), n);
        QCOMPARE(std::string(cwb::kvCacheTypeName(*t)), std::string(n));
    }
    QCOMPARE(cwb::kvCacheTypeFromName("Q8_0"), std::optional(KvCacheType::Q8_0));
    QVERIFY(!cwb::kvCacheTypeFromName("q4_1"));
}

void TestKvCache::bytesPerType()
{
    // 2 layers x 10 positions x 64 values, K and V
    QCOMPARE(KvCache::bytesFor(2, 10, 64), uint64_t(2 * 2 * 10 * 64 * 4));
    QCOMPARE(KvCache::bytesFor(2, 10, 64, KvCacheType::F16, KvCacheType::F16),
             uint64_t(2 * 2 * 10 * 64 * 2));
    QCOMPARE(KvCache::bytesFor(2, 10, 64, KvCacheType::Q8_0, KvCacheType::Q8_0),
             uint64_t(2 * 2 * 10 * 2 * 34));
    QCOMPARE(KvCache::bytesFor(2, 10, 64, KvCacheType::Q4_0, KvCacheType::Q4_0),
             uint64_t(2 * 2 * 10 * 2 * 18));
    QCOMPARE(KvCache::bytesFor(2, 10, 64, KvCacheType::F16, KvCacheType::Q4_0),
             uint64_t(2 * 10 * 64 * 2 + 2 * 10 * 2 * 18));
}

void TestKvCache::storeRoundsAsGgml_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("f32") << int(KvCacheType::F32);
    QTest::newRow("f16") << int(KvCacheType::F16);
    QTest::newRow("q8_0") << int(KvCacheType::Q8_0);
    QTest::newRow("q4_0") << int(KvCacheType::Q4_0);
}

// What ggml's cpy into a cache tensor of the type stores, read back as floats.
std::vector<float> ggmlRoundTrip(KvCacheType t, const std::vector<float> &x, int64_t width)
{
    std::vector<float> out(x.size());
    for (size_t r = 0; r < x.size() / size_t(width); ++r) {
        const float *src = x.data() + r * size_t(width);
        float *dst = out.data() + r * size_t(width);
        if (t == KvCacheType::F32) {
            std::memcpy(dst, src, size_t(width) * sizeof(float));
        } else if (t == KvCacheType::F16) {
            for (int64_t i = 0; i < width; ++i)
                dst[i] = cwb::fp16ToFloat(cwb::floatToFp16(src[i]));
        } else {
            const cwb::DType d = t == KvCacheType::Q8_0 ? cwb::DType::Q8_0 : cwb::DType::Q4_0;
            std::vector<std::byte> block(size_t(cwb::kvCacheRowBytes(t, width)));
            cwb::ggmlQuantizeRowReference(d, src, block.data(), width, nullptr);
            cwb::ggmlDequantizeRow(d, block.data(), dst, width);
        }
    }
    return out;
}

void TestKvCache::storeRoundsAsGgml()
{
    QFETCH(int, type);
    const auto t = KvCacheType(type);
    const int64_t layers = 2, nCtx = 6, width = 64;
    KvCache cache;
    cache.reset(layers, nCtx, width, t, t);
    // Two calls per layer (a prefill of 4 rows, then one decode row), different values per layer.
    std::vector<std::vector<float>> keys(layers), values(layers);
    for (int64_t l = 0; l < layers; ++l) {
        for (const auto [pos, n] : {std::pair<int64_t, int64_t>{0, 4}, {4, 1}}) {
            float *k = cache.keyRows(l, pos, n);
            float *v = cache.valueRows(l, pos, n);
            for (int64_t i = 0; i < n * width; ++i) {
                k[i] = std::sin(float(l * 1000 + pos * width + i) * 0.37f) * 3.0f;
                v[i] = std::cos(float(l * 1000 + pos * width + i) * 0.11f) * 0.5f;
                keys[size_t(l)].push_back(k[i]);
                values[size_t(l)].push_back(v[i]);
            }
            cache.store(l, pos, n);
        }
    }
    for (int64_t l = 0; l < layers; ++l) {
        const auto wantK = ggmlRoundTrip(t, keys[size_t(l)], width);
        const auto wantV = ggmlRoundTrip(t, values[size_t(l)], width);
        const float *k = cache.keys(l, 5);
        QVERIFY(std::memcmp(k, wantK.data(), wantK.size() * sizeof(float)) == 0);
        const float *v = cache.values(l, 5);
        QVERIFY(std::memcmp(v, wantV.data(), wantV.size() * sizeof(float)) == 0);
        if (t != KvCacheType::F32) // rounded, not the staged values
            QVERIFY(std::memcmp(k, keys[size_t(l)].data(), wantK.size() * sizeof(float)) != 0);
    }
}

void TestKvCache::rowsMustBeWholeBlocks()
{
    KvCache cache;
    cache.reset(1, 4, 48, KvCacheType::F16, KvCacheType::F32); // f16 has no blocks
    const std::string e = cwbtest::errorOf([&] { cache.reset(1, 4, 48, KvCacheType::Q8_0); });
    QVERIFY2(e.find("q8_0 K cache needs rows of whole blocks of 32 values") != std::string::npos
                 && e.find("48") != std::string::npos,
             e.c_str());
}

// dev256 (head dimension 64), 6 windows of 128: a q8_0 cache changes perplexity by well under
// 1%, q4_0 by more than q8_0 does (and makes it worse); the report gives each side's bytes and
// type. For comparison, llama-perplexity -fa at n_ctx 256, 8 windows: 39.8579 (q8_0) and
// 39.8804 (q4_0) against 39.8551 (f16); ours 39.8573 and 39.8830 against 39.8551.
void TestKvCache::perplexityAndMemoryPerType()
{
    CWB_SHARED_FILE(model, "models/dev256/dev256-f32.gguf");
    CWB_SHARED_FILE(text, "data/dev256/eval.txt");
    const auto run = [&](KvCacheType k, KvCacheType v) {
        cwb::EvalParams p;
        p.modelPath = model;
        p.textPath = text;
        p.nCtx = 128;
        p.chunks = 6;
        p.threads = 2;
        p.cacheTypeK = k;
        p.cacheTypeV = v;
        return cwb::runEvaluation(p);
    };
    const cwb::EvalResult f32 = run(KvCacheType::F32, KvCacheType::F32);
    const cwb::EvalResult q8 = run(KvCacheType::Q8_0, KvCacheType::Q8_0);
    const cwb::EvalResult q4 = run(KvCacheType::Q4_0, KvCacheType::Q4_0);
    const cwb::EvalResult mixed = run(KvCacheType::F16, KvCacheType::Q8_0);
    const double d8 = std::fabs(q8.ppl / f32.ppl - 1), d4 = q4.ppl / f32.ppl - 1;
    QVERIFY2(d8 < 0.002, qPrintable(QStringLiteral("q8_0 %1 vs f32 %2").arg(q8.ppl).arg(f32.ppl)));
    QVERIFY2(d8 > 0, "a q8_0 cache rounds: the perplexity must move");
    QVERIFY2(d4 > d8, qPrintable(QStringLiteral("q4_0 %1, q8_0 %2, f32 %3")
                                     .arg(q4.ppl).arg(q8.ppl).arg(f32.ppl)));

    // dev256: 6 layers, KV width 128 (2 KV heads of 64)
    const uint64_t rows = 6 * 128;
    QCOMPARE(f32.kvCacheBytes, rows * 2 * 128 * 4);
    QCOMPARE(q8.kvCacheBytes, rows * 2 * 4 * 34);
    QCOMPARE(q4.kvCacheBytes, rows * 2 * 4 * 18);
    QCOMPARE(mixed.kvCacheKeyBytes, rows * 128 * 2);
    QCOMPARE(mixed.kvCacheValueBytes, rows * 4 * 34);
    const std::string text4 = cwb::evalResultText(q4);
    QVERIFY2(text4.find("(K q4_0 0.05 MiB, V q4_0 0.05 MiB)") != std::string::npos,
             text4.c_str());
    const std::string json = cwb::evalResultJson(mixed);
    QVERIFY2(json.find("\"kv_cache_type_k\": \"f16\"") != std::string::npos
                 && json.find("\"kv_cache_v_bytes\": 104448") != std::string::npos,
             json.c_str());
}

// llama.cpp refuses a block type whose blocks would span heads (stories260K: head dimension 8).
void TestKvCache::blocksMustNotSpanHeads()
{
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    cwb::EvalParams p;
    p.modelPath = model;
    p.textPath = text;
    p.nCtx = 64;
    p.chunks = 1;
    p.cacheTypeV = KvCacheType::Q4_0;
    const std::string e = cwbtest::errorOf([&] { (void)cwb::runEvaluation(p); });
    QVERIFY2(e.find("q4_0 KV cache needs heads of whole blocks of 32 values; this model's head "
                    "dimension is 8")
                 != std::string::npos,
             e.c_str());
    p.cacheTypeV = KvCacheType::F16; // no blocks: fine
    QVERIFY(cwb::runEvaluation(p).ppl > 1);
}

QTEST_GUILESS_MAIN(TestKvCache)
#include "test_kv_cache.moc"
