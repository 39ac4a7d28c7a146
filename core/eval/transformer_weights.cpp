// SPDX-License-Identifier: MIT
#include "eval/transformer_weights.h"

#include "eval/dense_linear.h"
#include "eval/engine.h"
#include "eval/ggml_linear.h"
#include "eval/layer_ops.h"
#include "formats/dtype.h"
#include "model/canonical_name.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

namespace cwb {
namespace {

// Context assumed for a RoPE model whose file declares none.
constexpr int64_t kDefaultContext = 2048;
constexpr int64_t kScanRowsPerTask = 64;

std::string shapeText(const std::vector<int64_t> &shape)
{
    std::string s;
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? " x " : "") + std::to_string(shape[i]);
    return s;
}

std::string describe(const Tensor &t)
{
    return t.name == t.canonical ? t.name : t.name + " (" + t.canonical + ")";
}

class Loader {
public:
    Loader(const Model &m, const EngineOptions &options, TransformerWeights &w)
        : m_(m), options_(options), w_(w),
          conv1d_(m.family == ArchFamily::Gpt2
                  && (m.format == ModelFormat::Safetensors || m.format == ModelFormat::HfDirectory))
    {
    }

    void load();

private:
    [[noreturn]] void fail(const std::string &what) const { throwIn(w_.source, what); }

    const Tensor *find(const std::string &canonical) const
    {
        for (const auto &t : m_.tensors)
            if (t.canonical == canonical)
                return &t;
        return nullptr;
    }

    const Tensor &require(const std::string &canonical, const std::vector<int64_t> &shape,
                          const char *kind) const
    {
        const Tensor *t = find(canonical);
        if (!t)
            fail("tensor '" + canonical + "' is missing (expected a " + shapeText(shape) + " "
                 + kind + ")");
        checkShape(*t, shape);
        return *t;
    }

    void checkShape(const Tensor &t, const std::vector<int64_t> &shape) const
    {
        if (t.shape != shape)
            fail("tensor " + describe(t) + " has shape " + t.shapeString() + ", expected "
                 + shapeText(shape) + (conv1dShape_ ? " (Conv1D layout: in x out)" : ""));
        if (!t.decodable())
            fail("tensor " + describe(t) + " has type " + t.typeLabel()
                 + ", which cannot be decoded");
    }

    void count(const Tensor &t)
    {
        if (counted_.insert(&t).second)
            w_.storedBytes += t.byteSize;
    }

    std::vector<float> vectorOf(const std::string &canonical, int64_t len, bool required)
    {
        const Tensor *t = find(canonical);
        if (!t) {
            if (required)
                fail("tensor '" + canonical + "' is missing (expected a vector of "
                     + std::to_string(len) + " values)");
            return {};
        }
        conv1dShape_ = false;
        checkShape(*t, {len});
        const auto replaced = options_.vectorReplacements.find(canonical);
        std::vector<float> v;
        if (replaced != options_.vectorReplacements.end()) {
            if (!replaced->second || int64_t(replaced->second->size()) != len)
                fail("replacement for tensor '" + canonical + "' holds "
                     + std::to_string(replaced->second ? replaced->second->size() : 0)
                     + " values, expected " + std::to_string(len));
            v = *replaced->second;
            replacedVectors_.insert(canonical); // counted as stored in the model, like norms
        } else {
            v = t->toFloat();
        }
        for (size_t i = 0; i < v.size(); ++i)
            if (!std::isfinite(v[i]))
                fail("tensor " + describe(*t) + " holds " + (std::isnan(v[i]) ? "NaN" : "Inf")
                     + " at index " + std::to_string(i));
        count(*t);
        return v;
    }

    std::shared_ptr<const LinearWeights> linear(const Tensor &t, bool transposed)
    {
        std::shared_ptr<const LinearWeights> lw;
        if (dtypeInfo(t.dtype).quantized) {
            if (transposed)
                fail("tensor " + describe(t) + " is stored transposed (Conv1D) in ggml blocks "
                     + t.typeLabel() + ", which cannot be transposed");
            lw = std::make_shared<GgmlLinear>(t, options_.emulateQ8Activations);
        } else {
            lw = DenseLinear::fromTensor(t, transposed);
        }
        scanFinite(*lw, describe(t));
        count(t);
        return lw;
    }

    std::shared_ptr<const LinearWeights>
    replacement(const std::string &canonical, const std::shared_ptr<const LinearWeights> &lw,
                int64_t out, int64_t in)
    {
        if (!lw)
            fail("replacement for tensor '" + canonical + "' is null");
        if (options_.emulateQ8Activations)
            if (auto integer = lw->withIntegerActivations())
                return replacement(canonical, integer, out, in);
        if (lw->outFeatures() != out || lw->inFeatures() != in)
            fail("replacement for tensor '" + canonical + "' is "
                 + std::to_string(lw->outFeatures()) + " x " + std::to_string(lw->inFeatures())
                 + " (" + lw->format() + "), expected " + std::to_string(out) + " x "
                 + std::to_string(in));
        scanFinite(*lw, "'" + canonical + "' (replacement, " + lw->format() + ")");
        w_.storedBytes += lw->storedBytes();
        replaced_.insert(canonical);
        return lw;
    }

    // The embedding or the head: the model's tensor, or its replacement.
    std::shared_ptr<const LinearWeights> matrixOrReplacement(const std::string &canonical,
                                                            int64_t out, int64_t in)
    {
        conv1dShape_ = false;
        const Tensor &t = require(canonical, {out, in}, "matrix");
        const auto replaced = options_.replacements.find(canonical);
        if (replaced == options_.replacements.end())
            return linear(t, false);
        counted_.insert(&t);
        return replacement(canonical, replaced->second, out, in);
    }

    // A [out x in] projection (Hugging Face GPT-2: stored [in x out]) and its optional bias.
    Projection projection(const std::string &canonical, int64_t out, int64_t in, bool required)
    {
        Projection p;
        conv1dShape_ = conv1d_;
        const std::vector<int64_t> shape = conv1d_ ? std::vector{in, out} : std::vector{out, in};
        if (!required && !find(canonical))
            return p;
        const Tensor &t = require(canonical, shape, "matrix");
        const auto replaced = options_.replacements.find(canonical);
        if (replaced != options_.replacements.end()) {
            p.weight = replacement(canonical, replaced->second, out, in);
            counted_.insert(&t); // its bytes are not used; the replacement's are counted
        } else {
            p.weight = linear(t, conv1d_);
        }
        p.bias = vectorOf(canonical + ".bias", out, false);
        return p;
    }

    void scanFinite(const LinearWeights &lw, const std::string &name) const;
    void checkVariant() const;
    void checkHyperParams();
    void loadLayer(int64_t l);
    int64_t layerHiddenDim(const std::string &prefix) const;

    const Model &m_;
    const EngineOptions &options_;
    TransformerWeights &w_;
    const bool conv1d_;
    bool conv1dShape_ = false; // the tensor being checked is in Conv1D layout (for messages)
    std::set<const Tensor *> counted_;
    std::set<std::string> replaced_; // replacements used
    std::set<std::string> replacedVectors_;
};

void Loader::scanFinite(const LinearWeights &lw, const std::string &name) const
{
    checkFiniteWeights(lw, w_.source, name);
}

// Llama-family relatives whose forward pass differs in ways the tensors do not show (scaled
// embeddings, other norms or activations, partial or rescaled RoPE, mixtures of experts) are
// refused rather than evaluated wrongly.
void Loader::checkVariant() const
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kDiffers{{
        {"gemma", "scaled embeddings, GELU and (1 + w) norms"},
        {"cohere", "LayerNorm and parallel attention/MLP blocks"},
        {"stablelm", "LayerNorm and partial rotary embeddings"},
        {"starcoder2", "LayerNorm with bias and a GELU MLP"},
        {"olmo", "non-parametric LayerNorm"},
        {"granite", "residual, embedding and logit multipliers"},
        {"minicpm", "scaled embeddings and residuals"},
        {"mixtral", "a mixture of experts"},
        {"deepseek2", "multi-head latent attention and experts"},
        {"exaone", "its own block layout"},
    }};
    std::string arch = m_.architecture;
    std::transform(arch.begin(), arch.end(), arch.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    for (const auto &[name, why] : kDiffers)
        if (arch.find(name) != std::string::npos)
            fail("architecture '" + m_.architecture + "' uses " + std::string(why)
                 + ", which this engine does not implement");
    for (const auto &[key, value] : m_.metadata) {
        const std::string_view k = key;
        if (k.ends_with(".rope.dimension_count") && value.asInt() != w_.hp.headDim)
            fail(key + " = " + std::to_string(value.asInt()) + ": partial rotary embeddings (of a "
                 + std::to_string(w_.hp.headDim) + "-value head) are not supported by this engine");
        if (k == "config.partial_rotary_factor" && value.asDouble() != 1.0)
            fail(key + " = " + value.toDisplay()
                 + ": partial rotary embeddings are not supported by this engine");
        const bool scalingType = k.ends_with(".rope.scaling.type")
                                 || k == "config.rope_scaling.type"
                                 || k == "config.rope_scaling.rope_type";
        if (scalingType && value.kind == MetaValue::Kind::String && !value.s.empty()
            && value.s != "none" && value.s != "default")
            fail(key + " = '" + value.s + "': RoPE scaling is not supported by this engine");
    }
}

void Loader::checkHyperParams()
{
    const HyperParams &h = w_.hp;
    const bool ok = h.dim > 0 && h.nLayers > 0 && h.nHeads > 0 && h.nKvHeads > 0
                    && h.nHeads % h.nKvHeads == 0 && h.headDim > 0 && h.hiddenDim > 0
                    && h.vocabSize > 0 && std::isfinite(h.normEps) && h.normEps >= 0
                    && (w_.rope == RopeLayout::None || (h.headDim % 2 == 0 && h.ropeTheta > 0));
    if (!ok)
        fail("hyper-parameters cannot be evaluated: dim " + std::to_string(h.dim) + ", layers "
             + std::to_string(h.nLayers) + ", heads " + std::to_string(h.nHeads) + ", kv heads "
             + std::to_string(h.nKvHeads) + " (must divide heads), head dim "
             + std::to_string(h.headDim) + " (even for RoPE), ffn "
             + std::to_string(h.hiddenDim) + ", vocab " + std::to_string(h.vocabSize)
             + ", norm eps " + std::to_string(h.normEps) + ", rope theta "
             + std::to_string(h.ropeTheta));
}

void Loader::loadLayer(int64_t l)
{
    const HyperParams &h = w_.hp;
    const std::string p = layerPrefix(l);
    const bool gpt2 = w_.family == ArchFamily::Gpt2;
    TransformerLayer layer;
    layer.attnNorm.weight = vectorOf(p + "attn_norm", h.dim, true);
    layer.mlpNorm.weight = vectorOf(p + "mlp_norm", h.dim, true);
    if (gpt2) {
        layer.attnNorm.bias = vectorOf(p + "attn_norm.bias", h.dim, true);
        layer.mlpNorm.bias = vectorOf(p + "mlp_norm.bias", h.dim, true);
    }
    if (gpt2 || (!find(p + "attn.q") && find(p + "attn.qkv"))) {
        layer.qkv = projection(p + "attn.qkv", w_.qDim + 2 * w_.kvDim, h.dim, true);
    } else {
        layer.q = projection(p + "attn.q", w_.qDim, h.dim, true);
        layer.k = projection(p + "attn.k", w_.kvDim, h.dim, true);
        layer.v = projection(p + "attn.v", w_.kvDim, h.dim, true);
    }
    layer.o = projection(p + "attn.o", h.dim, w_.qDim, true);
    const int64_t hidden = layerHiddenDim(p);
    if (gpt2) {
        layer.up = projection(p + "mlp.up", hidden, h.dim, true);
    } else if (!find(p + "mlp.gate") && find(p + "mlp.gate_up")) {
        layer.gateUp = projection(p + "mlp.gate_up", 2 * hidden, h.dim, true);
    } else {
        layer.gate = projection(p + "mlp.gate", hidden, h.dim, true);
        layer.up = projection(p + "mlp.up", hidden, h.dim, true);
    }
    layer.down = projection(p + "mlp.down", h.dim, hidden, true);
    layer.hiddenDim = hidden;
    w_.layers.push_back(std::move(layer));
}

// The FFN width of one layer: the input features of its down projection when that is a matrix
// no wider than the declared width (a structurally pruned layer), else the declared width (the
// shape check then names the tensor and the shape expected).
int64_t Loader::layerHiddenDim(const std::string &prefix) const
{
    const int64_t declared = w_.hp.hiddenDim;
    const Tensor *down = find(prefix + "mlp.down");
    if (!down || down->shape.size() != 2)
        return declared;
    const int64_t in = conv1d_ ? down->shape[0] : down->shape[1];
    return in > 0 && in <= declared ? in : declared;
}

void Loader::load()
{
    w_.source = m_.path;
    w_.family = m_.family;
    w_.hp = m_.hparams;
    const HyperParams &h = w_.hp;
    if (m_.family == ArchFamily::Llama) {
        w_.rope = m_.rope == RopeLayout::None ? RopeLayout::Interleaved : m_.rope;
    } else if (m_.family == ArchFamily::Gpt2) {
        w_.rope = RopeLayout::None;
    } else {
        fail("architecture '" + m_.architecture
             + "' cannot be evaluated: the engine runs the llama family and GPT-2");
    }
    checkHyperParams();
    checkVariant();
    w_.qDim = h.nHeads * h.headDim;
    w_.kvDim = h.nKvHeads * h.headDim;

    conv1dShape_ = false;
    w_.embed = matrixOrReplacement("embed", h.vocabSize, h.dim);
    const Tensor *head = find("head");
    if (head && options_.replacements.contains("head")) {
        w_.head = matrixOrReplacement("head", h.vocabSize, h.dim);
    } else if (!head || !head->tiedTo.empty()) {
        w_.head = w_.embed;
    } else {
        conv1dShape_ = false;
        w_.head = linear(require("head", {h.vocabSize, h.dim}, "matrix"), false);
    }
    w_.finalNorm.weight = vectorOf("final_norm", h.dim, true);
    if (w_.family == ArchFamily::Gpt2) {
        w_.finalNorm.bias = vectorOf("final_norm.bias", h.dim, true);
        const Tensor *pos = find("pos_embed");
        if (!pos)
            fail("tensor 'pos_embed' is missing (expected a positions x " + std::to_string(h.dim)
                 + " matrix)");
        if (pos->shape.size() != 2 || pos->shape[1] != h.dim || pos->shape[0] < 2)
            fail("tensor " + describe(*pos) + " has shape " + pos->shapeString()
                 + ", expected positions x " + std::to_string(h.dim));
        const int64_t positions = pos->shape[0];
        w_.contextLimit =
            h.contextLength > 0 ? std::min(h.contextLength, positions) : positions;
        if (!pos->decodable())
            fail("tensor " + describe(*pos) + " has type " + pos->typeLabel()
                 + ", which cannot be decoded");
        std::vector<float> all = pos->toFloat();
        for (size_t i = 0; i < all.size(); ++i)
            if (!std::isfinite(all[i]))
                fail("tensor " + describe(*pos) + " holds " + (std::isnan(all[i]) ? "NaN" : "Inf")
                     + " at row " + std::to_string(int64_t(i) / h.dim) + ", column "
                     + std::to_string(int64_t(i) % h.dim));
        all.resize(size_t(w_.contextLimit * h.dim));
        w_.posEmbed = std::move(all);
        count(*pos);
    } else {
        w_.contextLimit = h.contextLength > 0 ? h.contextLength : kDefaultContext;
    }
    for (int64_t l = 0; l < h.nLayers; ++l)
        loadLayer(l);
    for (const auto &[name, lw] : options_.replacements)
        if (!replaced_.contains(name))
            fail("replacement '" + name + "' names no layer projection of this model");
    for (const auto &[name, v] : options_.vectorReplacements)
        if (!replacedVectors_.contains(name))
            fail("replacement '" + name + "' names no norm weight or bias this engine reads");
}

} // namespace

void Projection::apply(const float *x, int64_t n, float *y) const
{
    weight->forward(x, n, y);
    if (!bias.empty())
        addBiasRows(y, n, weight->outFeatures(), bias.data());
}

TransformerWeights loadTransformerWeights(const Model &model, const EngineOptions &options)
{
    TransformerWeights w;
    Loader(model, options, w).load();
    return w;
}

void checkFiniteWeights(const LinearWeights &lw, const std::string &source, const std::string &name)
{
    const int64_t rows = lw.outFeatures(), cols = lw.inFeatures();
    const auto *dense = dynamic_cast<const DenseLinear *>(&lw);
    std::mutex mutex;
    int64_t badRow = std::numeric_limits<int64_t>::max(), badCol = 0;
    float badValue = 0;
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, kScanRowsPerTask),
                      [&](const tbb::blocked_range<int64_t> &r) {
                          std::vector<float> buf(dense ? 0 : size_t(cols));
                          for (int64_t row = r.begin(); row < r.end(); ++row) {
                              const float *v = dense ? dense->values().data() + row * cols
                                                     : buf.data();
                              if (!dense)
                                  lw.row(row, buf.data());
                              for (int64_t c = 0; c < cols; ++c)
                                  if (!std::isfinite(v[c])) {
                                      const std::lock_guard lock(mutex);
                                      if (row < badRow) {
                                          badRow = row;
                                          badCol = c;
                                          badValue = v[c];
                                      }
                                      return;
                                  }
                          }
                      });
    if (badRow != std::numeric_limits<int64_t>::max())
        throwIn(source, "tensor " + name + " holds " + (std::isnan(badValue) ? "NaN" : "Inf")
                            + " at row " + std::to_string(badRow) + ", column "
                            + std::to_string(badCol) + " (of the " + std::to_string(rows) + " x "
                            + std::to_string(cols) + " matrix as multiplied)");
}

std::shared_ptr<const LinearWeights> *weightSlot(TransformerWeights &w,
                                                 const std::string &canonical)
{
    if (canonical == "embed")
        return &w.embed;
    if (canonical == "head")
        return &w.head;
    for (size_t l = 0; l < w.layers.size(); ++l) {
        const std::string p = layerPrefix(int64_t(l));
        if (!canonical.starts_with(p))
            continue;
        const std::string_view part = std::string_view(canonical).substr(p.size());
        TransformerLayer &layer = w.layers[l];
        const std::pair<std::string_view, Projection *> parts[] = {
            {"attn.qkv", &layer.qkv},  {"attn.q", &layer.q},   {"attn.k", &layer.k},
            {"attn.v", &layer.v},      {"attn.o", &layer.o},   {"mlp.gate_up", &layer.gateUp},
            {"mlp.gate", &layer.gate}, {"mlp.up", &layer.up},  {"mlp.down", &layer.down},
        };
        for (const auto &[name, projection] : parts)
            if (part == name && *projection)
                return &projection->weight;
        return nullptr;
    }
    return nullptr;
}

} // namespace cwb
