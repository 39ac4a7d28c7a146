// SPDX-License-Identifier: MIT
// The inference engine (core/eval). Oracles: reference/stories260K_reference.json (an independent
// float64 llama2.c forward pass) for the three forms of stories260K (llama2.c .bin, GGUF, and the
// Hugging Face layout with half-split RoPE); llama.cpp-quantized GGUF copies against F32; tiny
// random GPT-2 and Qwen2-style (biases, GQA, untied head) models written as safetensors
// directories against a naive float64 forward pass written here. Every fast kernel (dense and
// ggml-block matmul, attention) is checked against its scalar reference, and every refusal
// (missing tensor, NaN weight, bad n_ctx, cache overflow, token id, NaN logits) names its cause.

#include "eval/attention.h"
#include "eval/dense_linear.h"
#include "eval/engine.h"
#include "eval/ggml_linear.h"
#include "eval/matmul.h"
#include "eval/throughput.h"
#include "formats/fast_dequant.h"
#include "formats/float_formats.h"
#include "formats/ggml_dequant.h"
#include "formats/ggml_quantize.h"
#include "formats/q8_activations.h"
#include "io/open_model.h"
#include "io/safetensors_writer.h"
#include "test_support.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(cwb::DType)

namespace {

using Floats = std::vector<float>;

const nlohmann::json &reference()
{
    static const nlohmann::json j = [] {
        const std::string path = cwbtest::sharedPath("reference/stories260K_reference.json");
        if (path.empty())
            return nlohmann::json();
        std::ifstream in(path);
        return nlohmann::json::parse(in);
    }();
    return j;
}

std::unique_ptr<cwb::Engine> engineFor(const cwb::Model &m, cwb::EngineOptions o = {})
{
    return cwb::Engine::create(m, o);
}

int32_t argmax(const Floats &v, size_t offset = 0, size_t len = 0)
{
    if (len == 0)
        len = v.size() - offset;
    return int32_t(std::max_element(v.begin() + long(offset), v.begin() + long(offset + len))
                   - (v.begin() + long(offset)));
}

double maxAbsDiff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; ++i)
        m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
    return m;
}

Floats randomFloats(size_t n, uint64_t seed, float scale = 1.f)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> dist(0.f, scale);
    Floats v(n);
    for (auto &x : v)
        x = dist(rng);
    return v;
}

// Greedy decoding one token per eval() call, as stories260K_reference.json describes.
std::vector<int32_t> greedy(cwb::Engine &e, int steps, bool stopOnBos)
{
    e.reset(steps + 1);
    std::vector<int32_t> tokens{1};
    Floats logits;
    for (int s = 0; s < steps; ++s) {
        e.eval({&tokens.back(), 1}, logits, false);
        const int32_t next = argmax(logits);
        if (stopOnBos && next == 1)
            break;
        tokens.push_back(next);
    }
    return tokens;
}

// Replaces a tensor's bytes with an owned, modified copy.
void patchTensor(cwb::Model &m, const std::string &name,
                 const std::function<void(std::vector<std::byte> &)> &edit)
{
    for (auto &t : m.tensors)
        if (t.name == name) {
            auto bytes = std::make_shared<std::vector<std::byte>>(t.copyBytes());
            edit(*bytes);
            t.data = *bytes;
            t.keepAlive = bytes;
            t.loader = nullptr;
            return;
        }
    QFAIL(qPrintable(QString::fromStdString("no tensor " + name)));
}

void setFloat(std::vector<std::byte> &bytes, size_t index, float v)
{
    std::memcpy(bytes.data() + index * sizeof(float), &v, sizeof(float));
}

// ---- a tiny model and its naive float64 forward pass -------------------------------------------

struct RefLayer {
    Floats n1w, n1b, n2w, n2b;
    Floats q, k, v, o, gate, up, down; // Linear layout [out x in]
    Floats qb, kb, vb, ob, upb, downb; // empty: none
};

struct RefModel {
    bool gpt2 = false;
    int dim = 32, layers = 2, heads = 4, kvHeads = 2, headDim = 8, hidden = 48, vocab = 40;
    int positions = 64;
    double eps = 1e-5, theta = 10000.0;
    Floats embed, pos, head, finalW, finalB; // head empty: tied
    std::vector<RefLayer> layer;
};

RefModel makeRefModel(bool gpt2, uint64_t seed)
{
    RefModel m;
    m.gpt2 = gpt2;
    if (gpt2) {
        m.kvHeads = m.heads;
        m.hidden = 4 * m.dim;
    }
    uint64_t s = seed;
    const auto mat = [&](int out, int in) {
        return randomFloats(size_t(out) * size_t(in), ++s, 1.f / std::sqrt(float(in)));
    };
    const auto vec = [&](int n, float mean, float sd) {
        Floats v = randomFloats(size_t(n), ++s, sd);
        for (auto &x : v)
            x += mean;
        return v;
    };
    const int qDim = m.heads * m.headDim, kvDim = m.kvHeads * m.headDim;
    m.embed = mat(m.vocab, m.dim);
    for (auto &x : m.embed)
        x *= 4.f; // embeddings of O(1), like trained ones
    m.finalW = vec(m.dim, 1.f, 0.1f);
    if (gpt2) {
        m.pos = mat(m.positions, m.dim);
        m.finalB = vec(m.dim, 0.f, 0.1f);
    } else {
        m.head = mat(m.vocab, m.dim);
    }
    for (int l = 0; l < m.layers; ++l) {
        RefLayer L;
        L.n1w = vec(m.dim, 1.f, 0.1f);
        L.n2w = vec(m.dim, 1.f, 0.1f);
        L.q = mat(qDim, m.dim);
        L.k = mat(kvDim, m.dim);
        L.v = mat(kvDim, m.dim);
        L.o = mat(m.dim, qDim);
        L.up = mat(m.hidden, m.dim);
        L.down = mat(m.dim, m.hidden);
        L.qb = vec(qDim, 0.f, 0.3f);
        L.kb = vec(kvDim, 0.f, 0.3f);
        L.vb = vec(kvDim, 0.f, 0.3f);
        if (gpt2) {
            L.n1b = vec(m.dim, 0.f, 0.1f);
            L.n2b = vec(m.dim, 0.f, 0.1f);
            L.ob = vec(m.dim, 0.f, 0.1f);
            L.upb = vec(m.hidden, 0.f, 0.1f);
            L.downb = vec(m.dim, 0.f, 0.1f);
        } else {
            L.gate = mat(m.hidden, m.dim);
        }
        m.layer.push_back(std::move(L));
    }
    return m;
}

using Dvec = std::vector<double>;

Dvec refLinear(const Dvec &x, const Floats &w, const Floats &b, int out)
{
    const size_t in = x.size();
    Dvec y(static_cast<size_t>(out));
    for (int o = 0; o < out; ++o) {
        double acc = b.empty() ? 0.0 : b[size_t(o)];
        for (size_t i = 0; i < in; ++i)
            acc += x[i] * w[size_t(o) * in + i];
        y[size_t(o)] = acc;
    }
    return y;
}

Dvec refNorm(const RefModel &m, const Dvec &x, const Floats &w, const Floats &b)
{
    const double n = double(x.size());
    double mean = 0, ss = 0;
    for (double v : x)
        mean += v;
    mean = m.gpt2 ? mean / n : 0.0; // RMSNorm does not centre
    for (double v : x)
        ss += (v - mean) * (v - mean);
    const double scale = 1.0 / std::sqrt(ss / n + m.eps);
    Dvec y(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        y[i] = (x[i] - mean) * scale * w[i] + (b.empty() ? 0.0 : b[i]);
    return y;
}

// Hugging Face rotate_half RoPE on one head.
void refRope(double *h, int headDim, int pos, double theta)
{
    const int half = headDim / 2;
    for (int i = 0; i < half; ++i) {
        const double a = double(pos) * std::pow(theta, -2.0 * i / headDim);
        const double x0 = h[i], x1 = h[i + half];
        h[i] = x0 * std::cos(a) - x1 * std::sin(a);
        h[i + half] = x0 * std::sin(a) + x1 * std::cos(a);
    }
}

// Logits for every position of `tokens`, recomputed from scratch (no cache).
std::vector<Dvec> refForward(const RefModel &m, const std::vector<int32_t> &tokens)
{
    const size_t n = tokens.size();
    const int hd = m.headDim, qDim = m.heads * hd, kvDim = m.kvHeads * hd;
    std::vector<Dvec> x(n, Dvec(size_t(m.dim)));
    for (size_t t = 0; t < n; ++t)
        for (int d = 0; d < m.dim; ++d)
            x[t][size_t(d)] = m.embed[size_t(tokens[t]) * size_t(m.dim) + size_t(d)]
                              + (m.gpt2 ? m.pos[t * size_t(m.dim) + size_t(d)] : 0.0);
    for (const RefLayer &L : m.layer) {
        std::vector<Dvec> q(n), k(n), v(n);
        for (size_t t = 0; t < n; ++t) {
            const Dvec xn = refNorm(m, x[t], L.n1w, L.n1b);
            q[t] = refLinear(xn, L.q, L.qb, qDim);
            k[t] = refLinear(xn, L.k, L.kb, kvDim);
            v[t] = refLinear(xn, L.v, L.vb, kvDim);
            if (!m.gpt2) {
                for (int h = 0; h < m.heads; ++h)
                    refRope(q[t].data() + h * hd, hd, int(t), m.theta);
                for (int h = 0; h < m.kvHeads; ++h)
                    refRope(k[t].data() + h * hd, hd, int(t), m.theta);
            }
        }
        for (size_t t = 0; t < n; ++t) {
            Dvec att(static_cast<size_t>(qDim));
            for (int h = 0; h < m.heads; ++h) {
                const int kvh = h / (m.heads / m.kvHeads);
                Dvec p(t + 1);
                double max = -1e300, sum = 0;
                for (size_t j = 0; j <= t; ++j) {
                    double dot = 0;
                    for (int d = 0; d < hd; ++d)
                        dot += q[t][size_t(h * hd + d)] * k[j][size_t(kvh * hd + d)];
                    p[j] = dot / std::sqrt(double(hd));
                    max = std::max(max, p[j]);
                }
                for (auto &e : p)
                    sum += (e = std::exp(e - max));
                for (int d = 0; d < hd; ++d) {
                    double acc = 0;
                    for (size_t j = 0; j <= t; ++j)
                        acc += p[j] / sum * v[j][size_t(kvh * hd + d)];
                    att[size_t(h * hd + d)] = acc;
                }
            }
            const Dvec o = refLinear(att, L.o, L.ob, m.dim);
            for (int d = 0; d < m.dim; ++d)
                x[t][size_t(d)] += o[size_t(d)];
        }
        for (size_t t = 0; t < n; ++t) {
            const Dvec xn = refNorm(m, x[t], L.n2w, L.n2b);
            Dvec u = refLinear(xn, L.up, L.upb, m.hidden);
            if (m.gpt2) {
                for (auto &e : u)
                    e = 0.5 * e * (1 + std::tanh(std::sqrt(2 / M_PI) * (e + 0.044715 * e * e * e)));
            } else {
                const Dvec g = refLinear(xn, L.gate, {}, m.hidden);
                for (size_t i = 0; i < u.size(); ++i)
                    u[i] *= g[i] / (1 + std::exp(-g[i]));
            }
            const Dvec y = refLinear(u, L.down, L.downb, m.dim);
            for (int d = 0; d < m.dim; ++d)
                x[t][size_t(d)] += y[size_t(d)];
        }
    }
    std::vector<Dvec> logits;
    for (size_t t = 0; t < n; ++t)
        logits.push_back(refLinear(refNorm(m, x[t], m.finalW, m.finalB),
                                   m.head.empty() ? m.embed : m.head, {}, m.vocab));
    return logits;
}

Floats transposed(const Floats &w, int out, int in)
{
    Floats t(w.size());
    for (int o = 0; o < out; ++o)
        for (int i = 0; i < in; ++i)
            t[size_t(i) * size_t(out) + size_t(o)] = w[size_t(o) * size_t(in) + size_t(i)];
    return t;
}

Floats concat(std::initializer_list<const Floats *> parts)
{
    Floats all;
    for (const Floats *p : parts)
        all.insert(all.end(), p->begin(), p->end());
    return all;
}

// Writes the model as a Hugging Face directory: GPT-2 (Conv1D weights [in x out], fused c_attn)
// or Qwen2 (Linear weights, q/k/v biases, untied lm_head).
void writeHfModel(const RefModel &m, const std::string &dir)
{
    using cwb::io::tensorFromFloats;
    std::vector<cwb::io::SafetensorsTensor> ts;
    const auto add = [&](const std::string &name, std::vector<int64_t> shape, const Floats &v) {
        ts.push_back(tensorFromFloats(name, std::move(shape), v));
    };
    const int64_t D = m.dim, F = m.hidden, qDim = int64_t(m.heads) * m.headDim,
                  kvDim = int64_t(m.kvHeads) * m.headDim;
    std::ofstream config(dir + "/config.json");
    if (m.gpt2) {
        config << R"({"model_type": "gpt2", "n_embd": )" << D << R"(, "n_layer": )" << m.layers
               << R"(, "n_head": )" << m.heads << R"(, "n_positions": )" << m.positions
               << R"(, "vocab_size": )" << m.vocab << R"(, "layer_norm_epsilon": )" << m.eps
               << "}";
        add("wte.weight", {m.vocab, D}, m.embed);
        add("wpe.weight", {m.positions, D}, m.pos);
        add("ln_f.weight", {D}, m.finalW);
        add("ln_f.bias", {D}, m.finalB);
        for (int l = 0; l < m.layers; ++l) {
            const RefLayer &L = m.layer[size_t(l)];
            const std::string p = "h." + std::to_string(l) + ".";
            add(p + "ln_1.weight", {D}, L.n1w);
            add(p + "ln_1.bias", {D}, L.n1b);
            add(p + "attn.c_attn.weight", {D, 3 * D},
                transposed(concat({&L.q, &L.k, &L.v}), int(3 * D), int(D)));
            add(p + "attn.c_attn.bias", {3 * D}, concat({&L.qb, &L.kb, &L.vb}));
            add(p + "attn.c_proj.weight", {D, D}, transposed(L.o, int(D), int(D)));
            add(p + "attn.c_proj.bias", {D}, L.ob);
            add(p + "ln_2.weight", {D}, L.n2w);
            add(p + "ln_2.bias", {D}, L.n2b);
            add(p + "mlp.c_fc.weight", {D, F}, transposed(L.up, int(F), int(D)));
            add(p + "mlp.c_fc.bias", {F}, L.upb);
            add(p + "mlp.c_proj.weight", {F, D}, transposed(L.down, int(D), int(F)));
            add(p + "mlp.c_proj.bias", {D}, L.downb);
        }
    } else {
        config << R"({"model_type": "qwen2", "hidden_size": )" << D
               << R"(, "intermediate_size": )" << F << R"(, "num_hidden_layers": )" << m.layers
               << R"(, "num_attention_heads": )" << m.heads << R"(, "num_key_value_heads": )"
               << m.kvHeads << R"(, "vocab_size": )" << m.vocab
               << R"(, "max_position_embeddings": )" << m.positions << R"(, "rms_norm_eps": )"
               << m.eps << R"(, "rope_theta": )" << m.theta << R"(, "tie_word_embeddings": false})";
        add("model.embed_tokens.weight", {m.vocab, D}, m.embed);
        add("model.norm.weight", {D}, m.finalW);
        add("lm_head.weight", {m.vocab, D}, m.head);
        for (int l = 0; l < m.layers; ++l) {
            const RefLayer &L = m.layer[size_t(l)];
            const std::string p = "model.layers." + std::to_string(l) + ".";
            add(p + "input_layernorm.weight", {D}, L.n1w);
            add(p + "post_attention_layernorm.weight", {D}, L.n2w);
            add(p + "self_attn.q_proj.weight", {qDim, D}, L.q);
            add(p + "self_attn.q_proj.bias", {qDim}, L.qb);
            add(p + "self_attn.k_proj.weight", {kvDim, D}, L.k);
            add(p + "self_attn.k_proj.bias", {kvDim}, L.kb);
            add(p + "self_attn.v_proj.weight", {kvDim, D}, L.v);
            add(p + "self_attn.v_proj.bias", {kvDim}, L.vb);
            add(p + "self_attn.o_proj.weight", {D, qDim}, L.o);
            add(p + "mlp.gate_proj.weight", {F, D}, L.gate);
            add(p + "mlp.up_proj.weight", {F, D}, L.up);
            add(p + "mlp.down_proj.weight", {D, F}, L.down);
        }
    }
    config.close();
    cwb::io::writeSafetensors(dir + "/model.safetensors", ts);
}

} // namespace

class TestEngine : public QObject {
    Q_OBJECT

private slots:
    void stories260K_logits_after_BOS_data();
    void stories260K_logits_after_BOS();
    void stories260K_greedy_data();
    void stories260K_greedy();
    void prefillMatchesDecode();
    void quantizedFiles_data();
    void quantizedFiles();
    void emulatedQ8StaysClose();
    void tinyModelMatchesReference_data();
    void tinyModelMatchesReference();
    void denseMatmulMatchesReference_data();
    void denseMatmulMatchesReference();
    void denseLinearFromTensor();
    void ggmlLinearMatchesReference_data();
    void ggmlLinearMatchesReference();
    void fastDequantIsBitExact_data();
    void fastDequantIsBitExact();
    void q8ActivationRounding();
    void attentionMatchesReference_data();
    void attentionMatchesReference();
    void threadCountsAgree();
    void missingTensorIsNamed();
    void misshapenTensorIsNamed();
    void nanWeightIsNamed();
    void nanLogitsNamePosition();
    void unsupportedArchitecture();
    void unsupportedVariants_data();
    void unsupportedVariants();
    void contextAndTokenChecks();
    void cancellationLeavesCacheUnchanged();
    void throughputReportsRates();
};

void TestEngine::stories260K_logits_after_BOS_data()
{
    QTest::addColumn<std::string>("relative");
    QTest::newRow("llama2c-bin") << std::string("models/stories260K/stories260K.bin");
    QTest::newRow("gguf") << std::string("models/stories260K/stories260K.gguf");
    QTest::newRow("hf-halfsplit") << std::string("models/stories260K-hf-derived");
}

void TestEngine::stories260K_logits_after_BOS()
{
    QFETCH(std::string, relative);
    CWB_SHARED_FILE(path, relative.c_str());
    CWB_SHARED_FILE(refPath, "reference/stories260K_reference.json");
    const auto &ref = reference()["stories260K_logits_after_BOS"];
    const cwb::Model model = cwb::io::openModel(path);
    auto engine = engineFor(model);
    QCOMPARE(engine->vocabSize(), int64_t(512));
    engine->reset(8);
    const int32_t bos = 1;
    Floats logits;
    engine->eval({&bos, 1}, logits, false);
    QCOMPARE(logits.size(), size_t(512));
    QCOMPARE(engine->position(), int64_t(1));
    for (size_t i = 0; i < 8; ++i)
        QVERIFY2(std::fabs(logits[i] - ref["first8"][i].get<float>()) < 1e-4,
                 qPrintable(QStringLiteral("logit %1: %2 vs %3").arg(i).arg(logits[i])
                                .arg(ref["first8"][i].get<double>())));
    std::vector<int32_t> order(logits.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = int32_t(i);
    std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                      [&](int32_t a, int32_t b) { return logits[size_t(a)] > logits[size_t(b)]; });
    for (size_t i = 0; i < 5; ++i) {
        QCOMPARE(order[i], ref["top5_ids"][i].get<int32_t>());
        QVERIFY(std::fabs(logits[size_t(order[i])] - ref["top5_logits"][i].get<float>()) < 1e-4);
    }
}

void TestEngine::stories260K_greedy_data() { stories260K_logits_after_BOS_data(); }

void TestEngine::stories260K_greedy()
{
    QFETCH(std::string, relative);
    CWB_SHARED_FILE(path, relative.c_str());
    CWB_SHARED_FILE(refPath, "reference/stories260K_reference.json");
    const auto &ref = reference()["stories260K_greedy"];
    auto engine = engineFor(cwb::io::openModel(path));
    const auto tokens = greedy(*engine, ref["steps"].get<int>(), ref["stop_on_bos"].get<bool>());
    const auto expected = ref["tokens"].get<std::vector<int32_t>>();
    QCOMPARE(tokens.size(), expected.size());
    for (size_t i = 0; i < tokens.size(); ++i)
        QVERIFY2(tokens[i] == expected[i],
                 qPrintable(QStringLiteral("token %1: %2, expected %3")
                                .arg(i).arg(tokens[i]).arg(expected[i])));
}

// Batched prefill (one GEMM per projection, blocked attention) against one-token decode.
void TestEngine::prefillMatchesDecode()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(refPath, "reference/stories260K_reference.json");
    auto tokensAll = reference()["stories260K_greedy"]["tokens"].get<std::vector<int32_t>>();
    const std::vector<int32_t> tokens(tokensAll.begin(), tokensAll.begin() + 100);
    auto engine = engineFor(cwb::io::openModel(path));
    engine->reset(128);
    Floats batched;
    engine->eval(tokens, batched, true);
    QCOMPARE(batched.size(), size_t(100 * 512));
    QCOMPARE(engine->position(), int64_t(100));

    engine->reset(128);
    Floats step;
    double worst = 0;
    for (size_t t = 0; t < tokens.size(); ++t) {
        engine->eval({&tokens[t], 1}, step, false);
        worst = std::max(worst, maxAbsDiff(step.data(), batched.data() + t * 512, 512));
    }
    QVERIFY2(worst < 1e-4, qPrintable(QStringLiteral("max |prefill - decode| = %1").arg(worst)));

    // A prefill split over two calls (a cache with history) agrees too; last-row logits only.
    engine->reset(128);
    Floats part;
    engine->eval({tokens.data(), 37}, part, false);
    QCOMPARE(part.size(), size_t(512));
    QVERIFY(maxAbsDiff(part.data(), batched.data() + 36 * 512, 512) < 1e-4);
    engine->eval({tokens.data() + 37, 63}, part, true);
    QCOMPARE(part.size(), size_t(63 * 512));
    QVERIFY(maxAbsDiff(part.data(), batched.data() + 37 * 512, 63 * 512) < 1e-4);
}

void TestEngine::quantizedFiles_data()
{
    QTest::addColumn<std::string>("relative");
    QTest::addColumn<double>("maxMeanKld");
    QTest::addColumn<int>("minTop1");
    // llama.cpp's mean KLD against F32 on TinyStories (reference/llamacpp_figures.json) is
    // 0.00069 (Q8_0), 0.015 (Q4_K_M) and 0.075 (Q4_0); over our 64 greedy positions we allow
    // about 3x that, and top-1 agreement at least that figure's percentage minus ~10 points.
    QTest::newRow("Q8_0") << std::string("models/stories260K/stories260K-Q8_0.gguf") << 0.002 << 56;
    QTest::newRow("Q4_K_M") << std::string("models/stories260K/stories260K-Q4_K_M.gguf") << 0.05
                            << 52;
    QTest::newRow("Q4_0") << std::string("models/stories260K/stories260K-Q4_0.gguf") << 0.25 << 48;
}

// The file runs through GgmlLinear (blocks kept) and must give (a) the same logits as the same
// weights dequantized to a float32 model (1e-4: only summation order differs), and (b) logits
// close to the original F32 model in KL divergence and top-1 agreement.
void TestEngine::quantizedFiles()
{
    QFETCH(std::string, relative);
    QFETCH(double, maxMeanKld);
    QFETCH(int, minTop1);
    CWB_SHARED_FILE(path, relative.c_str());
    CWB_SHARED_FILE(f32Path, "models/stories260K/stories260K.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    uint64_t stored = 0;
    int blockTensors = 0;
    cwb::Model dequantized = model;
    for (auto &t : dequantized.tensors) {
        if (!t.canonical.empty() && t.tiedTo.empty())
            stored += t.byteSize;
        if (t.dtype == cwb::DType::F32)
            continue;
        blockTensors += cwb::dtypeInfo(t.dtype).quantized;
        const Floats values = t.toFloat();
        auto bytes = std::make_shared<std::vector<std::byte>>(values.size() * sizeof(float));
        std::memcpy(bytes->data(), values.data(), bytes->size());
        t.dtype = cwb::DType::F32;
        t.dtypeLabel.clear();
        t.byteSize = bytes->size();
        t.data = *bytes;
        t.keepAlive = bytes;
        t.loader = nullptr;
    }
    QVERIFY(blockTensors >= 30);
    auto engine = engineFor(model);
    QCOMPARE(engine->weightBytes(), stored);
    auto floatCopy = engineFor(dequantized);
    QVERIFY(floatCopy->weightBytes() > stored);

    auto f32 = engineFor(cwb::io::openModel(f32Path));
    auto tokens = greedy(*f32, 64, false);
    tokens.resize(64);
    Floats a, b, c;
    for (auto *e : {f32.get(), engine.get(), floatCopy.get()})
        e->reset(64);
    f32->eval(tokens, a, true);
    engine->eval(tokens, b, true);
    floatCopy->eval(tokens, c, true);
    const double sameWeights = maxAbsDiff(b.data(), c.data(), b.size());
    QVERIFY2(sameWeights < 1e-4,
             qPrintable(QStringLiteral("blocks vs dequantized floats: %1").arg(sameWeights)));

    double kldSum = 0;
    int agree = 0;
    for (size_t t = 0; t < 64; ++t) {
        const float *p = a.data() + t * 512, *q = b.data() + t * 512;
        const double mp = *std::max_element(p, p + 512), mq = *std::max_element(q, q + 512);
        double zp = 0, zq = 0;
        for (int j = 0; j < 512; ++j) {
            zp += std::exp(p[j] - mp);
            zq += std::exp(q[j] - mq);
        }
        for (int j = 0; j < 512; ++j) {
            const double lp = p[j] - mp - std::log(zp), lq = q[j] - mq - std::log(zq);
            kldSum += std::exp(lp) * (lp - lq);
        }
        agree += argmax(a, t * 512, 512) == argmax(b, t * 512, 512);
    }
    const double kld = kldSum / 64;
    qInfo("%s: mean KLD to F32 %.5f, top-1 agreement %d/64, blocks vs floats %.2g",
          relative.c_str(), kld, agree, sameWeights);
    QVERIFY2(kld > 0 && kld < maxMeanKld, qPrintable(QStringLiteral("mean KLD %1").arg(kld)));
    QVERIFY(agree >= minTop1);
}

// With llama.cpp's activation rounding the logits move, but only by about as much again.
void TestEngine::emulatedQ8StaysClose()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K-Q4_K_M.gguf");
    const cwb::Model model = cwb::io::openModel(path);
    auto plain = engineFor(model);
    auto emulated = engineFor(model, {.threads = 0, .emulateQ8Activations = true});
    std::vector<int32_t> tokens{1, 403, 407, 261, 378, 432, 383, 286};
    plain->reset(16);
    emulated->reset(16);
    Floats a, b;
    plain->eval(tokens, a, true);
    emulated->eval(tokens, b, true);
    const double diff = maxAbsDiff(a.data(), b.data(), a.size());
    QVERIFY2(diff > 1e-4 && diff < 0.5, qPrintable(QStringLiteral("emulation moved logits %1")
                                                       .arg(diff)));

    // Replacements (a compressed model's ggml blocks, held for float activations) take the
    // integer path too: the same bytes as replacements give the file's logits bit for bit.
    cwb::EngineOptions replaced{.threads = 0, .emulateQ8Activations = true};
    for (const auto &t : model.tensors)
        if (t.canonical.rfind("layers.", 0) == 0 && t.shape.size() == 2
            && cwb::dtypeInfo(t.dtype).quantized)
            replaced.replacements[t.canonical] = std::make_shared<cwb::GgmlLinear>(
                t.dtype, t.copyBytes(), t.shape[0], t.shape[1], false);
    QVERIFY(replaced.replacements.size() >= 30);
    auto viaReplacements = engineFor(model, replaced);
    viaReplacements->reset(16);
    Floats c;
    viaReplacements->eval(tokens, c, true);
    QCOMPARE(c, b);
}

void TestEngine::tinyModelMatchesReference_data()
{
    QTest::addColumn<bool>("gpt2");
    QTest::newRow("gpt2-conv1d") << true;
    QTest::newRow("qwen2-bias-gqa-halfsplit") << false;
}

void TestEngine::tinyModelMatchesReference()
{
    QFETCH(bool, gpt2);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const RefModel ref = makeRefModel(gpt2, gpt2 ? 100 : 200);
    const std::string dir = tmp.path().toStdString();
    writeHfModel(ref, dir);
    const cwb::Model model = cwb::io::openModel(dir);
    QCOMPARE(model.family, gpt2 ? cwb::ArchFamily::Gpt2 : cwb::ArchFamily::Llama);
    auto engine = engineFor(model);
    QCOMPARE(engine->contextLimit(), int64_t(ref.positions));
    std::vector<int32_t> tokens;
    std::mt19937 rng(7);
    for (int i = 0; i < 40; ++i)
        tokens.push_back(int32_t(rng() % uint32_t(ref.vocab)));
    const auto expected = refForward(ref, tokens);

    engine->reset(ref.positions);
    Floats batched;
    engine->eval(tokens, batched, true);
    engine->reset(ref.positions);
    Floats step;
    double worstBatched = 0, worstStep = 0;
    for (size_t t = 0; t < tokens.size(); ++t) {
        engine->eval({&tokens[t], 1}, step, false);
        for (int j = 0; j < ref.vocab; ++j) {
            const double e = expected[t][size_t(j)];
            const float b = batched[t * size_t(ref.vocab) + size_t(j)];
            worstBatched = std::max(worstBatched, std::fabs(b - e));
            worstStep = std::max(worstStep, std::fabs(step[size_t(j)] - e));
        }
    }
    QVERIFY2(worstBatched < 1e-4 && worstStep < 1e-4,
             qPrintable(QStringLiteral("max |logit - reference|: batched %1, decode %2")
                            .arg(worstBatched).arg(worstStep)));
    // Stored bytes: every tensor written, as float32.
    uint64_t bytes = 0;
    for (const auto &t : model.tensors)
        bytes += t.byteSize;
    QCOMPARE(engine->weightBytes(), bytes);
}

void TestEngine::denseMatmulMatchesReference_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("out");
    QTest::addColumn<int>("in");
    QTest::newRow("gemv-small") << 1 << 64 << 64;
    QTest::newRow("gemv-parallel") << 1 << 1000 << 384;
    QTest::newRow("gemm-odd") << 5 << 100 << 48;
    QTest::newRow("gemm-parallel") << 70 << 300 << 256;
}

// Tolerance: 1e-5 of sum |x_k w_k| per output (float accumulation vs double).
void TestEngine::denseMatmulMatchesReference()
{
    QFETCH(int, n);
    QFETCH(int, out);
    QFETCH(int, in);
    const Floats x = randomFloats(size_t(n) * size_t(in), 1);
    const Floats w = randomFloats(size_t(out) * size_t(in), 2);
    Floats fast(size_t(n) * size_t(out)), ref(fast.size());
    cwb::DenseLinear lin(w, out, in);
    lin.forward(x.data(), n, fast.data());
    cwb::matmulReference(x.data(), n, w.data(), out, in, ref.data());
    for (int i = 0; i < n; ++i)
        for (int o = 0; o < out; ++o) {
            double bound = 0;
            for (int k = 0; k < in; ++k)
                bound += std::fabs(double(x[size_t(i * in + k)]) * w[size_t(o * in + k)]);
            const size_t at = size_t(i) * size_t(out) + size_t(o);
            QVERIFY2(std::fabs(fast[at] - ref[at]) <= 1e-5 * bound,
                     qPrintable(QStringLiteral("y[%1,%2] = %3 vs %4").arg(i).arg(o)
                                    .arg(fast[at]).arg(ref[at])));
        }
}

void TestEngine::denseLinearFromTensor()
{
    // F16 stored [in x out] (Conv1D) -> float32 [out x in]; storedBytes and format as stored.
    const int out = 3, in = 5;
    Floats w(static_cast<size_t>(out * in));
    for (int i = 0; i < out * in; ++i)
        w[size_t(i)] = float(i) * 0.25f - 1.f; // exact in fp16
    const Floats wt = transposed(w, out, in);
    auto bytes = std::make_shared<std::vector<std::byte>>(wt.size() * 2);
    for (size_t i = 0; i < wt.size(); ++i) {
        const uint16_t h = cwb::floatToFp16(wt[i]);
        std::memcpy(bytes->data() + 2 * i, &h, 2);
    }
    cwb::Tensor t;
    t.name = "c_fc.weight";
    t.dtype = cwb::DType::F16;
    t.shape = {in, out};
    t.byteSize = bytes->size();
    t.data = *bytes;
    t.keepAlive = bytes;
    const auto lin = cwb::DenseLinear::fromTensor(t, true);
    QCOMPARE(lin->outFeatures(), int64_t(out));
    QCOMPARE(lin->inFeatures(), int64_t(in));
    QCOMPARE(lin->storedBytes(), uint64_t(30));
    QCOMPARE(lin->format(), std::string("F16"));
    Floats row(in);
    for (int r = 0; r < out; ++r) {
        lin->row(r, row.data());
        for (int c = 0; c < in; ++c)
            QCOMPARE(row[size_t(c)], w[size_t(r * in + c)]);
    }
    QVERIFY(!cwbtest::errorOf([&] { lin->row(out, row.data()); }).empty());
}

void TestEngine::ggmlLinearMatchesReference_data()
{
    QTest::addColumn<cwb::DType>("type");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("emulate");
    using cwb::DType;
    for (DType t : {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q2_K,
                    DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
        const std::string name(cwb::dtypeName(t));
        QTest::newRow((name + "-decode").c_str()) << t << 1 << false;
        QTest::newRow((name + "-decode-q8").c_str()) << t << 1 << true;
        QTest::newRow((name + "-prefill").c_str()) << t << 33 << false;
        QTest::newRow((name + "-prefill-q8").c_str()) << t << 33 << true;
    }
}

// Fast path (tiles of dequantized rows, Eigen, parallel) against the scalar reference; 300 rows
// of 512 make three tiles, the last one short. Tolerance: 1e-5 of sum |x_k w_k| per output
// (2e-3 for Q4_1 / Q5_1 with integer activations: Q8_1's rounded sum term).
void TestEngine::ggmlLinearMatchesReference()
{
    QFETCH(cwb::DType, type);
    QFETCH(int, n);
    QFETCH(bool, emulate);
    const int out = 300, in = 512;
    const Floats w = randomFloats(size_t(out * in), 3, 0.05f);
    cwb::GgmlLinear lin(type, cwb::ggmlQuantizeRows(type, w.data(), out, in, nullptr), out, in,
                        emulate);
    QVERIFY(lin.tileRows() < out);
    QCOMPARE(lin.storedBytes(), *cwb::storageBytes(type, uint64_t(out * in)));
    QCOMPARE(lin.format(), std::string(cwb::dtypeName(type)));
    QCOMPARE(lin.activationRounding() != cwb::ActivationRounding::None, emulate);
    const Floats x = randomFloats(size_t(n * in), 4);
    Floats fast(static_cast<size_t>(n * out)), ref(fast.size());
    lin.forward(x.data(), n, fast.data());
    lin.forwardReference(x.data(), n, ref.data());
    Floats wRow(in), xr = x;
    cwb::roundActivations(lin.activationRounding(), xr.data(), n, in);
    for (int o = 0; o < out; ++o) {
        lin.row(o, wRow.data());
        for (int i = 0; i < n; ++i) {
            double bound = 0;
            for (int k = 0; k < in; ++k)
                bound += std::fabs(double(xr[size_t(i * in + k)]) * wRow[size_t(k)]);
            const size_t at = size_t(i * out + o);
            // With integer activations Q4_1 / Q5_1 take the min term from Q8_1's fp16 sum of
            // the block (as llama.cpp does); the reference uses the exact sum: 2^-11 relative.
            const bool q8_1 = lin.integerKernels()
                              && (type == cwb::DType::Q4_1 || type == cwb::DType::Q5_1);
            QVERIFY2(std::fabs(fast[at] - ref[at]) <= (q8_1 ? 2e-3 : 1e-5) * bound,
                     qPrintable(QStringLiteral("y[%1,%2] = %3 vs %4").arg(i).arg(o)
                                    .arg(fast[at]).arg(ref[at])));
        }
    }
}

void TestEngine::fastDequantIsBitExact_data()
{
    QTest::addColumn<cwb::DType>("type");
    using cwb::DType;
    for (DType t : {DType::Q4_0, DType::Q5_1, DType::Q8_0, DType::Q3_K, DType::Q4_K, DType::Q6_K})
        QTest::newRow(std::string(cwb::dtypeName(t)).c_str()) << t;
}

// The engine's dequantizer must give the reference's exact bits (signs of zero included).
void TestEngine::fastDequantIsBitExact()
{
    QFETCH(cwb::DType, type);
    const int rows = 8, in = 1024;
    Floats w = randomFloats(size_t(rows * in), 31, 0.1f);
    for (size_t i = 0; i < w.size(); i += 7)
        w[i] = 0.f; // zeros with negative scales give -0.0 in Q6_K
    const auto bytes = cwb::ggmlQuantizeRows(type, w.data(), rows, in, nullptr);
    Floats fast(w.size()), ref(w.size());
    cwb::dequantizeRowFast(type, bytes.data(), fast.data(), rows * in);
    cwb::ggmlDequantizeRow(type, bytes.data(), ref.data(), rows * in);
    QVERIFY(std::memcmp(fast.data(), ref.data(), fast.size() * sizeof(float)) == 0);
}

void TestEngine::q8ActivationRounding()
{
    using cwb::ActivationRounding;
    QCOMPARE(cwb::activationRoundingFor(cwb::DType::Q4_0), ActivationRounding::Q8_0);
    QCOMPARE(cwb::activationRoundingFor(cwb::DType::Q5_1), ActivationRounding::Q8_0);
    QCOMPARE(cwb::activationRoundingFor(cwb::DType::Q4_K), ActivationRounding::Q8_K);
    QCOMPARE(cwb::activationRoundingFor(cwb::DType::Q6_K), ActivationRounding::Q8_K);
    QCOMPARE(cwb::activationRoundingFor(cwb::DType::F16), ActivationRounding::None);

    // Q8_0 with amax 127: the scale is exactly 1 and ties go to even (2.5 -> 2, 3.5 -> 4).
    Floats b(32, 0.f);
    b[0] = 127.f;
    b[1] = 2.5f;
    b[2] = 3.5f;
    b[3] = -2.5f;
    b[4] = 0.4f;
    cwb::roundQ8_0Blocks(b.data(), 32);
    QCOMPARE(b[0], 127.f);
    QCOMPARE(b[1], 2.f);
    QCOMPARE(b[2], 4.f);
    QCOMPARE(b[3], -2.f);
    QCOMPARE(b[4], 0.f);
    // The reconstruction uses the fp16-rounded scale: amax 1 -> d = fp16(1/127).
    Floats c(32, 0.f);
    c[0] = 1.f;
    c[1] = -0.5f;
    cwb::roundQ8_0Blocks(c.data(), 32);
    const float d = cwb::fp16ToFloat(cwb::floatToFp16(1.f / 127.f));
    QCOMPARE(c[0], 127.f * d);
    QCOMPARE(c[1], -64.f * d);

    // Against the project's Q8_0 quantizer (ggml's quantize_row_q8_0_ref, which rounds halves
    // away from zero with 1/d): equal except where x * 127 / amax is within 1e-4 of a tie.
    const Floats x = randomFloats(4096, 9);
    Floats ours = x;
    cwb::roundQ8_0Blocks(ours.data(), 4096);
    std::vector<std::byte> q(*cwb::storageBytes(cwb::DType::Q8_0, 4096));
    cwb::ggmlQuantizeRowReference(cwb::DType::Q8_0, x.data(), q.data(), 4096, nullptr);
    Floats theirs(4096);
    cwb::ggmlDequantizeRow(cwb::DType::Q8_0, q.data(), theirs.data(), 4096);
    for (size_t blk = 0; blk < 4096; blk += 32) {
        float amax = 0;
        for (size_t j = 0; j < 32; ++j)
            amax = std::max(amax, std::fabs(x[blk + j]));
        for (size_t j = blk; j < blk + 32; ++j) {
            const double scaled = double(x[j]) * 127.0 / amax;
            const bool nearTie = std::fabs(std::fabs(scaled - std::trunc(scaled)) - 0.5) < 1e-4;
            QVERIFY2(ours[j] == theirs[j] || nearTie, qPrintable(QStringLiteral("x[%1]").arg(j)));
        }
    }

    // Q8_K: the scale is -max/127 in float (no fp16), ties to even, the extreme maps to -127.
    Floats k(256, 0.f);
    k[10] = -127.f; // the largest magnitude is negative: iscale = 1, d = 1
    k[11] = 2.5f;
    k[12] = 3.5f;
    k[13] = 126.6f;
    cwb::roundQ8_KBlocks(k.data(), 256);
    QCOMPARE(k[10], -127.f);
    QCOMPARE(k[11], 2.f);
    QCOMPARE(k[12], 4.f);
    QCOMPARE(k[13], 127.f);
    Floats z(256, 0.f);
    cwb::roundQ8_KBlocks(z.data(), 256);
    QCOMPARE(z[0], 0.f);
    const Floats r = randomFloats(256, 11);
    Floats rk = r;
    cwb::roundQ8_KBlocks(rk.data(), 256);
    float m = 0;
    for (float v : r)
        m = std::max(m, std::fabs(v));
    for (size_t j = 0; j < 256; ++j)
        QVERIFY(std::fabs(rk[j] - r[j]) <= m / 127.f * 0.5001f);
    QVERIFY(!cwbtest::errorOf([&] { cwb::roundQ8_KBlocks(rk.data(), 100); }).empty());
}

void TestEngine::attentionMatchesReference_data()
{
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("firstPos");
    QTest::newRow("decode-gqa") << 8 << 4 << 8 << 1 << 40;
    QTest::newRow("prefill-gqa") << 8 << 4 << 8 << 70 << 0;
    QTest::newRow("prefill-after-history") << 6 << 2 << 16 << 45 << 13;
    QTest::newRow("mha-long-parallel") << 12 << 12 << 64 << 100 << 200;
}

void TestEngine::attentionMatchesReference()
{
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(int, headDim);
    QFETCH(int, n);
    QFETCH(int, firstPos);
    const cwb::AttentionShape s{heads, kvHeads, headDim};
    const size_t qDim = size_t(heads * headDim), kvDim = size_t(kvHeads * headDim);
    const size_t positions = size_t(firstPos + n);
    const Floats q = randomFloats(size_t(n) * qDim, 21, 1.5f);
    const Floats k = randomFloats(positions * kvDim, 22);
    const Floats v = randomFloats(positions * kvDim, 23);
    Floats fast(size_t(n) * qDim), ref(fast.size());
    cwb::attention(s, q.data(), n, firstPos, k.data(), v.data(), fast.data());
    cwb::attentionReference(s, q.data(), n, firstPos, k.data(), v.data(), ref.data());
    const double err = maxAbsDiff(fast.data(), ref.data(), fast.size());
    QVERIFY2(err < 1e-5, qPrintable(QStringLiteral("max |fast - reference| = %1").arg(err)));
}

void TestEngine::threadCountsAgree()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.bin");
    const cwb::Model model = cwb::io::openModel(path);
    auto one = engineFor(model, {.threads = 1});
    auto two = engineFor(model, {.threads = 2});
    std::vector<int32_t> tokens(200);
    for (size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = int32_t((i * 37 + 1) % 512);
    one->reset(256);
    two->reset(256);
    Floats a, b;
    one->eval(tokens, a, true);
    two->eval(tokens, b, true);
    const double diff = maxAbsDiff(a.data(), b.data(), a.size());
    // Eigen's GEMM blocking depends on the tile width, so the summation order (not the result)
    // differs between thread counts: a few float ulps of the logits.
    QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("threads 1 vs 2: %1").arg(diff)));
    QVERIFY(!cwbtest::errorOf([&] { (void)engineFor(model, {.threads = -1}); }).empty());
}

void TestEngine::missingTensorIsNamed()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    cwb::Model model = cwb::io::openModel(path);
    std::erase_if(model.tensors,
                  [](const cwb::Tensor &t) { return t.name == "blk.2.ffn_up.weight"; });
    const std::string err = cwbtest::errorOf([&] { (void)engineFor(model); });
    QVERIFY2(err.find("'layers.2.mlp.up' is missing") != std::string::npos
                 && err.find("172 x 64") != std::string::npos
                 && err.find(path) != std::string::npos,
             err.c_str());
}

void TestEngine::misshapenTensorIsNamed()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    cwb::Model model = cwb::io::openModel(path);
    for (auto &t : model.tensors)
        if (t.name == "blk.1.attn_k.weight")
            t.shape = {64, 32}; // same bytes, wrong orientation
    const std::string err = cwbtest::errorOf([&] { (void)engineFor(model); });
    QVERIFY2(err.find("blk.1.attn_k.weight (layers.1.attn.k)") != std::string::npos
                 && err.find("expected 32 x 64") != std::string::npos,
             err.c_str());
}

void TestEngine::nanWeightIsNamed()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    cwb::Model model = cwb::io::openModel(path);
    patchTensor(model, "blk.3.ffn_down.weight",
                [](auto &bytes) { setFloat(bytes, 5 * 172 + 7, std::nanf("")); });
    std::string err = cwbtest::errorOf([&] { (void)engineFor(model); });
    QVERIFY2(err.find("blk.3.ffn_down.weight") != std::string::npos
                 && err.find("NaN at row 5, column 7") != std::string::npos,
             err.c_str());

    // In ggml blocks: an Inf fp16 scale in the Q8_0 file's token embedding.
    CWB_SHARED_FILE(q8Path, "models/stories260K/stories260K-Q8_0.gguf");
    cwb::Model q8 = cwb::io::openModel(q8Path);
    patchTensor(q8, "token_embd.weight", [](auto &bytes) {
        const uint16_t inf = 0x7c00;
        std::memcpy(bytes.data() + 3 * 34, &inf, 2); // row 1 (2 blocks of 34 bytes), block 1
    });
    err = cwbtest::errorOf([&] { (void)engineFor(q8); });
    QVERIFY2(err.find("token_embd.weight") != std::string::npos
                 && err.find("row 1, column 32") != std::string::npos,
             err.c_str());
}

void TestEngine::nanLogitsNamePosition()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    cwb::Model model = cwb::io::openModel(path);
    patchTensor(model, "output_norm.weight", [](auto &bytes) {
        for (size_t i = 0; i < 64; ++i)
            setFloat(bytes, i, 3e38f); // finite weights whose products overflow
    });
    auto engine = engineFor(model);
    engine->reset(8);
    const std::vector<int32_t> tokens{1, 403, 407};
    Floats logits;
    const std::string err = cwbtest::errorOf([&] { engine->eval(tokens, logits, true); });
    QVERIFY2(err.find("at position 0") != std::string::npos, err.c_str());
    QCOMPARE(engine->position(), int64_t(0));
}

void TestEngine::unsupportedArchitecture()
{
    CWB_SHARED_FILE(path, "models/keras-mnist-mlp/mnist_mlp.h5");
    const cwb::Model model = cwb::io::openModel(path);
    const std::string err = cwbtest::errorOf([&] { (void)engineFor(model); });
    QVERIFY2(err.find("cannot be evaluated") != std::string::npos, err.c_str());
}

void TestEngine::unsupportedVariants_data()
{
    QTest::addColumn<std::string>("architecture");
    QTest::addColumn<std::string>("key");
    QTest::addColumn<std::string>("value");
    QTest::addColumn<std::string>("expected");
    QTest::newRow("gemma") << std::string("gemma") << std::string() << std::string()
                           << std::string("scaled embeddings");
    QTest::newRow("rope-scaling") << std::string("llama") << std::string("llama.rope.scaling.type")
                                  << std::string("linear") << std::string("RoPE scaling");
    QTest::newRow("hf-rope-scaling") << std::string("llama")
                                     << std::string("config.rope_scaling.rope_type")
                                     << std::string("llama3") << std::string("RoPE scaling");
}

// Relatives of llama whose math the tensors do not reveal are refused, not evaluated wrongly.
void TestEngine::unsupportedVariants()
{
    QFETCH(std::string, architecture);
    QFETCH(std::string, key);
    QFETCH(std::string, value);
    QFETCH(std::string, expected);
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.gguf");
    cwb::Model model = cwb::io::openModel(path);
    model.architecture = architecture;
    if (!key.empty())
        model.metadata.emplace_back(key, cwb::MetaValue::ofString(value));
    const std::string err = cwbtest::errorOf([&] { (void)engineFor(model); });
    QVERIFY2(err.find(expected) != std::string::npos, err.c_str());
    // A rotary dimension equal to the head size is the plain case and stays accepted.
    cwb::Model plain = cwb::io::openModel(path);
    QVERIFY(plain.findMeta("llama.rope.dimension_count") != nullptr);
    QVERIFY(cwbtest::errorOf([&] { (void)engineFor(plain); }).empty());
}

void TestEngine::contextAndTokenChecks()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.bin");
    auto engine = engineFor(cwb::io::openModel(path));
    QCOMPARE(engine->contextLimit(), int64_t(512));
    QCOMPARE(engine->kvCacheBytes(100), uint64_t(2 * 5 * 100 * 32 * 4));
    Floats logits;
    const std::vector<int32_t> three{1, 2, 3};
    QVERIFY(cwbtest::errorOf([&] { engine->eval(three, logits, false); }).find("reset")
            != std::string::npos);
    QVERIFY(cwbtest::errorOf([&] { engine->reset(1); }).find("n_ctx 1") != std::string::npos);
    QVERIFY(!cwbtest::errorOf([&] { engine->reset(513); }).empty());
    engine->reset(4);
    engine->eval(three, logits, false);
    QCOMPARE(engine->position(), int64_t(3));
    const std::vector<int32_t> two{4, 5};
    const std::string overflow = cwbtest::errorOf([&] { engine->eval(two, logits, false); });
    QVERIFY2(overflow.find("overflow") != std::string::npos, overflow.c_str());
    QCOMPARE(engine->position(), int64_t(3));
    const std::vector<int32_t> bad{512};
    const std::string range = cwbtest::errorOf([&] { engine->eval(bad, logits, false); });
    QVERIFY2(range.find("token id 512") != std::string::npos, range.c_str());
    const std::vector<int32_t> negative{-1};
    QVERIFY(!cwbtest::errorOf([&] { engine->eval(negative, logits, false); }).empty());
    QVERIFY(!cwbtest::errorOf([&] { engine->eval({}, logits, false); }).empty());
    engine->eval({two.data(), 1}, logits, false); // the cache's last slot still works
    QCOMPARE(engine->position(), int64_t(4));
}

void TestEngine::cancellationLeavesCacheUnchanged()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.bin");
    auto engine = engineFor(cwb::io::openModel(path));
    engine->reset(16);
    std::atomic<bool> cancel{true};
    cwb::JobContext ctx;
    ctx.cancelFlag = &cancel;
    Floats logits;
    const std::vector<int32_t> tokens{1, 403};
    bool cancelled = false;
    try {
        engine->eval(tokens, logits, false, ctx);
    } catch (const cwb::Cancelled &) {
        cancelled = true;
    }
    QVERIFY(cancelled);
    QCOMPARE(engine->position(), int64_t(0));
}

void TestEngine::throughputReportsRates()
{
    CWB_SHARED_FILE(path, "models/stories260K/stories260K.bin");
    auto engine = engineFor(cwb::io::openModel(path));
    const auto r = cwb::measureThroughput(*engine, {.promptTokens = 32, .genTokens = 16,
                                                    .repetitions = 2, .seed = 3});
    QVERIFY(r.prefillTokensPerSecond > 0 && r.decodeTokensPerSecond > 0);
    QVERIFY(r.prefillTokensPerSecond >= r.prefillTokensPerSecondMean);
    QVERIFY(r.decodeP95Ms >= r.decodeP50Ms && r.decodeP50Ms > 0);
    QCOMPARE(r.genTokens, int64_t(16));
    QVERIFY(!cwbtest::errorOf([&] {
                 (void)cwb::measureThroughput(*engine, {.promptTokens = 600, .genTokens = 4});
             }).empty());
}

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
