// SPDX-License-Identifier: MIT
// Acceptance test for the model readers: stories260K as a llama2.c .bin, as GGUF and as a Hugging
// Face safetensors directory opens through io::openModel with the same parameter count, the same
// hyper-parameters and, tensor by tensor under canonical names, the same values — after undoing
// the HF Q/K row permutation (rotate_half layout) with permuteRopeRows.

#include "test_support.h"

#include "io/open_model.h"
#include "model/architecture.h"
#include "model/canonical_name.h"
#include "model/model.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

namespace {

constexpr int64_t kStoriesParameters = 260032;

struct Opened {
    cwb::Model bin, gguf, hf;
};

std::set<std::string> canonicalNames(const cwb::Model &m)
{
    std::set<std::string> names;
    for (const auto &t : m.tensors)
        if (!t.canonical.empty())
            names.insert(t.canonical);
    return names;
}

bool isRopeRotated(const std::string &canonical)
{
    return canonical.ends_with(".attn.q") || canonical.ends_with(".attn.k");
}

} // namespace

class TestModelFormats : public QObject {
    Q_OBJECT

    Opened opened_;

private slots:
    void initTestCase()
    {
        CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
        CWB_SHARED_FILE(gguf, "models/stories260K/stories260K.gguf");
        CWB_SHARED_FILE(hf, "models/stories260K-hf-derived");
        QCOMPARE(cwb::io::detectFormat(bin), cwb::io::DetectedFormat::Llama2c);
        QCOMPARE(cwb::io::detectFormat(gguf), cwb::io::DetectedFormat::Gguf);
        QCOMPARE(cwb::io::detectFormat(hf), cwb::io::DetectedFormat::HfDirectory);
        opened_.bin = cwb::io::openModel(bin);
        opened_.gguf = cwb::io::openModel(gguf);
        opened_.hf = cwb::io::openModel(hf);
    }

    void formatsAndFamilies()
    {
        QCOMPARE(opened_.bin.format, cwb::ModelFormat::Llama2c);
        QCOMPARE(opened_.gguf.format, cwb::ModelFormat::Gguf);
        QCOMPARE(opened_.hf.format, cwb::ModelFormat::HfDirectory);
        for (const auto *m : {&opened_.bin, &opened_.gguf, &opened_.hf}) {
            QCOMPARE(m->family, cwb::ArchFamily::Llama);
            QCOMPARE(m->architecture, std::string("llama"));
        }
        QCOMPARE(opened_.bin.rope, cwb::RopeLayout::Interleaved);
        QCOMPARE(opened_.gguf.rope, cwb::RopeLayout::Interleaved);
        QCOMPARE(opened_.hf.rope, cwb::RopeLayout::HalfSplit);
        QCOMPARE(opened_.hf.findMeta("config.model_type")->s, std::string("llama"));
    }

    void parameterCounts_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("tensors");
        QTest::newRow("llama2c") << 0 << 47;
        QTest::newRow("gguf") << 1 << 48; // output.weight is stored as a copy of token_embd
        QTest::newRow("hf") << 2 << 47;
    }

    void parameterCounts()
    {
        QFETCH(int, which);
        QFETCH(int, tensors);
        const cwb::Model &m = which == 0 ? opened_.bin : which == 1 ? opened_.gguf : opened_.hf;
        const auto totals = m.totals();
        QCOMPARE(totals.tensors, int64_t(tensors));
        QCOMPARE(totals.parameters, kStoriesParameters);
        QCOMPARE(totals.bytes, uint64_t(kStoriesParameters) * 4);
        QCOMPARE(totals.bitsPerWeight, 32.0);
        QCOMPARE(totals.unknownTensors, int64_t(0));
        QVERIFY(m.hparams.tiedEmbeddings);
    }

    void hyperParameters()
    {
        for (const auto *m : {&opened_.bin, &opened_.gguf, &opened_.hf}) {
            const auto &h = m->hparams;
            QCOMPARE(h.dim, int64_t(64));
            QCOMPARE(h.hiddenDim, int64_t(172));
            QCOMPARE(h.nLayers, int64_t(5));
            QCOMPARE(h.nHeads, int64_t(8));
            QCOMPARE(h.nKvHeads, int64_t(4));
            QCOMPARE(h.headDim, int64_t(8));
            QCOMPARE(h.vocabSize, int64_t(512));
            QVERIFY(std::abs(h.normEps - 1e-5) < 1e-11); // GGUF stores it as f32
            QCOMPARE(h.ropeTheta, 10000.0);
        }
        QCOMPARE(opened_.bin.hparams.contextLength, int64_t(512));
        QCOMPARE(opened_.hf.hparams.contextLength, int64_t(512));
        // convert-llama2c writes its default 2048 rather than the model's 512 (see ASSETS.md).
        QCOMPARE(opened_.gguf.hparams.contextLength, int64_t(2048));
    }

    void tiedHead()
    {
        const cwb::Tensor *head = opened_.gguf.findTensor("head");
        QVERIFY(head);
        QCOMPARE(head->name, std::string("output.weight"));
        QCOMPARE(head->tiedTo, std::string("token_embd.weight"));
        QVERIFY(std::any_of(opened_.gguf.notes.begin(), opened_.gguf.notes.end(),
                            [](const std::string &n) {
                                return n.find("byte-identical copy") != std::string::npos;
                            }));
        QVERIFY(!opened_.bin.findTensor("head"));
        QVERIFY(!opened_.hf.findTensor("head"));
    }

    void tokenizers()
    {
        QCOMPARE(opened_.bin.tokenizer.kind, std::string("llama2c-bin"));
        QCOMPARE(opened_.bin.tokenizer.files.size(), size_t(1));
        QCOMPARE(std::filesystem::path(opened_.bin.tokenizer.files[0]).filename().string(),
                 std::string("tok512.bin"));
        QCOMPARE(opened_.gguf.tokenizer.kind, std::string("gguf"));
        QVERIFY(opened_.hf.tokenizer.kind.empty()); // the derived directory ships none
    }

    void sameCanonicalTensors()
    {
        const auto binNames = canonicalNames(opened_.bin);
        QCOMPARE(binNames.size(), size_t(47));
        QCOMPARE(canonicalNames(opened_.hf), binNames);
        auto ggufNames = canonicalNames(opened_.gguf);
        QVERIFY(ggufNames.erase("head") == 1);
        QCOMPARE(ggufNames, binNames);
    }

    // Every canonical tensor has identical values in the three files (bit for bit: all are F32).
    void identicalValues()
    {
        const auto &hp = opened_.bin.hparams;
        int permuted = 0;
        for (const auto &name : canonicalNames(opened_.bin)) {
            const cwb::Tensor *a = opened_.bin.findTensor(name);
            const cwb::Tensor *g = opened_.gguf.findTensor(name);
            const cwb::Tensor *h = opened_.hf.findTensor(name);
            QVERIFY2(a && g && h, name.c_str());
            QCOMPARE(g->shape, a->shape);
            QCOMPARE(h->shape, a->shape);
            const auto ref = a->toFloat();
            QVERIFY2(g->toFloat() == ref,
                     qPrintable(QString::fromStdString("gguf differs: " + name)));
            auto hv = h->toFloat();
            if (isRopeRotated(name)) {
                const int64_t heads = name.ends_with(".q") ? hp.nHeads : hp.nKvHeads;
                QVERIFY2(hv != ref, name.c_str()); // the HF copy really is permuted
                cwb::permuteRopeRows(hv, heads, hp.headDim, hp.dim, opened_.hf.rope,
                                     opened_.bin.rope);
                ++permuted;
            }
            QVERIFY2(hv == ref, qPrintable(QString::fromStdString("hf differs: " + name)));
        }
        QCOMPARE(permuted, 10);
        // The tied head holds the embedding's values too.
        QVERIFY(opened_.gguf.findTensor("head")->toFloat()
                == opened_.bin.findTensor("embed")->toFloat());
    }

    // Both names are kept: original spelling per format, canonical role shared.
    void originalNames()
    {
        QCOMPARE(opened_.bin.findTensor("layers.2.mlp.gate")->name, std::string("layers.2.w1"));
        QCOMPARE(opened_.gguf.findTensor("layers.2.mlp.gate")->name,
                 std::string("blk.2.ffn_gate.weight"));
        QCOMPARE(opened_.hf.findTensor("layers.2.mlp.gate")->name,
                 std::string("model.layers.2.mlp.gate_proj.weight"));
        QCOMPARE(opened_.hf.findTensor("embed")->name, std::string("model.embed_tokens.weight"));
        QVERIFY(std::any_of(
            opened_.bin.notes.begin(), opened_.bin.notes.end(),
            [](const std::string &n) { return n.find("RoPE tables") != std::string::npos; }));
    }

    // model/canonical_name.h builds and splits exactly what canonicalName writes.
    void canonicalLayerNames()
    {
        QCOMPARE(cwb::layerName(7), std::string("layers.7"));
        QCOMPARE(cwb::layerPrefix(7), std::string("layers.7."));
        QCOMPARE(cwb::layerTensorName(12, "attn.q.bias"), std::string("layers.12.attn.q.bias"));
        const auto parts = cwb::splitLayerTensorName("layers.12.attn.q.bias");
        QVERIFY(parts.has_value());
        QCOMPARE(parts->layer, int64_t(12));
        QCOMPARE(parts->role, std::string_view("attn.q.bias"));
        QCOMPARE(cwb::canonicalLayerIndex("layers.3"), int64_t(3)); // a layer's own group name
        QVERIFY(cwb::splitLayerTensorName("layers.3")->role.empty());
        for (const char *other : {"embed", "head", "final_norm", "layers.x.attn.q", "layers.",
                                  "layers.-1.attn.q", "layers.2x.mlp.up", "blk.2.attn_q.weight",
                                  "model.layers.2.mlp.up_proj.weight", "dense.kernel"}) {
            QCOMPARE(cwb::canonicalLayerIndex(other), int64_t(-1));
            QVERIFY(!cwb::isLayerTensorName(other));
        }
        QVERIFY(cwb::isLayerTensorName("layers.0.mlp.up"));
        QVERIFY(!cwb::isLayerTensorName("layers.0"));
        QVERIFY(!cwb::isLayerTensorName("layers.0."));
        // Every canonical name of a real model's layer tensors splits back into its parts.
        for (const auto &t : opened_.gguf.tensors) {
            const auto p = cwb::splitLayerTensorName(t.canonical);
            if (!p)
                continue;
            QCOMPARE(cwb::layerTensorName(p->layer, p->role), t.canonical);
            QVERIFY(p->layer < opened_.gguf.hparams.nLayers);
        }
    }
};

QTEST_GUILESS_MAIN(TestModelFormats)
#include "test_model_formats.moc"
