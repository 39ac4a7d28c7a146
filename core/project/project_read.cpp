// SPDX-License-Identifier: MIT
// Reads a Project back from the layout project_write.cpp produces, checking that arrays agree
// with each other (a histogram's edges and counts, a channel array and the view) so a damaged
// file gives an error naming the object rather than inconsistent data.
#include "project/project_codec.h"

#include "util/error.h"

#include <charconv>
#include <limits>
#include <map>

namespace cwb::projectio {
namespace {

using h5::Node;
using h5::Reader;

SvdMethod svdMethod(const Reader &r, const Node &g)
{
    const std::string name = r.attrString(g, "method");
    if (name == "gram")
        return SvdMethod::Gram;
    if (name == "bdc")
        return SvdMethod::Bdc;
    if (name == "auto")
        return SvdMethod::Auto;
    r.fail(g.path, "unknown @method '" + name + "'");
}

uint64_t parseHash(const Reader &r, const Node &g)
{
    const std::string hex = r.attrString(g, "content_hash");
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
    if (hex.size() != 16 || ec != std::errc() || end != hex.data() + hex.size())
        r.fail(g.path, "@content_hash is not 16 hex digits: '" + hex + "'");
    return v;
}

void expectSize(const Reader &r, const Node &g, const char *what, size_t got, uint64_t want)
{
    if (got != want)
        r.fail(g.path, std::string(what) + " has " + std::to_string(got) + " values, expected "
                           + std::to_string(want));
}

// A count read from the file used as an index bound: must be a sane non-negative int64.
size_t checkedCount(const Reader &r, const Node &g, const char *name, int64_t v)
{
    if (v < 0 || v > (int64_t{1} << 40))
        r.fail(g.path, std::string("@") + name + " = " + std::to_string(v) + " is out of range");
    return static_cast<size_t>(v);
}

MatrixView readView(const Reader &r, const Node &parent)
{
    const Node g = r.openGroup(parent, "view");
    MatrixView v;
    v.rows = r.attrInt(g, "rows");
    v.cols = r.attrInt(g, "cols");
    v.transposed = r.attrBool(g, "transposed");
    v.storedRows = r.attrInt(g, "stored_rows");
    v.storedCols = r.attrInt(g, "stored_cols");
    v.perChannel = r.attrBool(g, "per_channel");
    v.reshape = r.attrString(g, "reshape");
    if (v.rows < 0 || v.cols < 0)
        r.fail(g.path, "negative view dimensions");
    return v;
}

void readStats(const Reader &r, const Node &parent, TensorStats &s)
{
    const Node g = r.openGroup(parent, "stats");
    s.count = r.attrUInt(g, "count");
    s.finite = r.attrUInt(g, "finite");
    s.nan = r.attrUInt(g, "nan");
    s.posInf = r.attrUInt(g, "pos_inf");
    s.negInf = r.attrUInt(g, "neg_inf");
    s.zeros = r.attrUInt(g, "zeros");
    s.nearZeros = r.attrUInt(g, "near_zeros");
    s.nearZeroThreshold = r.attrDouble(g, "near_zero_threshold");
    s.min = r.attrDouble(g, "min");
    s.max = r.attrDouble(g, "max");
    s.absMax = r.attrDouble(g, "abs_max");
    s.mean = r.attrDouble(g, "mean");
    s.std = r.attrDouble(g, "std");
    s.skewness = r.attrDouble(g, "skewness");
    s.kurtosis = r.attrDouble(g, "kurtosis");

    const Node channels = r.openGroup(parent, "channels");
    for (const auto &[name, c, n] : {std::tuple{"rows", &s.rowStats, s.view.rows},
                                     std::tuple{"cols", &s.colStats, s.view.cols}}) {
        const Node axis = r.openGroup(channels, name);
        c->absMax = r.dataset<float>(axis, "abs_max");
        c->l2Norm = r.dataset<float>(axis, "l2_norm");
        c->std = r.dataset<float>(axis, "std");
        // Channel arrays are either absent (empty) or one value per channel of the view.
        for (const auto &[what, v] : {std::pair{"abs_max", &c->absMax},
                                      std::pair{"l2_norm", &c->l2Norm},
                                      std::pair{"std", &c->std}})
            if (!v->empty())
                expectSize(r, axis, what, v->size(), static_cast<uint64_t>(n));
    }
    const Node outliers = r.openGroup(parent, "outliers");
    for (const auto &[name, o] :
         {std::pair{"rows", &s.rowOutliers}, std::pair{"cols", &s.colOutliers}}) {
        const Node axis = r.openGroup(outliers, name);
        o->median = r.attrDouble(axis, "median");
        o->threshold = r.attrDouble(axis, "threshold");
        o->count = r.attrInt(axis, "count");
        const auto index = r.dataset<int64_t>(axis, "index");
        const auto absMax = r.dataset<double>(axis, "abs_max");
        const auto ratio = r.dataset<double>(axis, "ratio");
        expectSize(r, axis, "abs_max", absMax.size(), index.size());
        expectSize(r, axis, "ratio", ratio.size(), index.size());
        o->channels.resize(index.size());
        for (size_t i = 0; i < index.size(); ++i)
            o->channels[i] = {index[i], absMax[i], ratio[i]};
    }
}

Histogram readHistogram(const Reader &r, const Node &parent)
{
    const Node g = r.openGroup(parent, "histogram");
    Histogram h;
    h.edges = r.dataset<double>(g, "edges");
    h.counts = r.dataset<uint64_t>(g, "counts");
    if (!(h.edges.empty() && h.counts.empty()))
        expectSize(r, g, "edges", h.edges.size(), h.counts.size() + 1);
    h.below = r.attrUInt(g, "below");
    h.above = r.attrUInt(g, "above");
    h.finite = r.attrUInt(g, "finite");
    h.nan = r.attrUInt(g, "nan");
    h.inf = r.attrUInt(g, "inf");
    h.zeros = r.attrUInt(g, "zeros");
    h.min = r.attrDouble(g, "min");
    h.max = r.attrDouble(g, "max");
    h.mean = r.attrDouble(g, "mean");
    h.std = r.attrDouble(g, "std");
    return h;
}

void readSpectrum(const Reader &r, const Node &parent, Spectrum &s)
{
    const Node g = r.openGroup(parent, "spectrum");
    s.skipped = r.attrString(g, "skipped");
    s.method = svdMethod(r, g);
    s.seconds = r.attrDouble(g, "seconds");
    s.singularValues = r.dataset<double>(g, "singular_values");
    s.truncationError = r.dataset<double>(g, "truncation_error");
    if (!s.singularValues.empty()) {
        expectSize(r, g, "singular_values", s.singularValues.size(),
                   static_cast<uint64_t>(std::min(s.view.rows, s.view.cols)));
        expectSize(r, g, "truncation_error", s.truncationError.size(),
                   s.singularValues.size() + 1);
    }
    s.frobeniusSq = r.attrDouble(g, "frobenius_sq");
    s.stableRank = r.attrDouble(g, "stable_rank");
    s.entropyRank = r.attrDouble(g, "entropy_rank");
    s.energyRank90 = r.attrInt(g, "energy_rank_90");
    s.energyRank95 = r.attrInt(g, "energy_rank_95");
    s.energyRank99 = r.attrInt(g, "energy_rank_99");
    s.powerLaw.valid = r.attrBool(g, "power_law_valid");
    s.powerLaw.alpha = r.attrDouble(g, "power_law_alpha");
    s.powerLaw.xmin = r.attrDouble(g, "power_law_xmin");
    s.powerLaw.ks = r.attrDouble(g, "power_law_ks");
    s.powerLaw.nTail = r.attrInt(g, "power_law_n_tail");
}

TensorAnalysis readTensor(const Reader &r, const Node &tensors, const std::string &member)
{
    const Node g = r.openGroup(tensors, member);
    TensorAnalysis t;
    t.index = checkedCount(r, g, "index", r.attrInt(g, "index"));
    t.name = r.attrString(g, "name");
    if (h5::escapeName(t.name) != member)
        r.fail(g.path, "@name '" + t.name + "' does not match the group's name");
    t.canonical = r.attrString(g, "canonical");
    t.dtype = r.attrString(g, "dtype");
    t.skipped = r.attrString(g, "skipped");
    t.seconds = r.attrDouble(g, "seconds");
    t.shape = r.dataset<int64_t>(g, "shape");
    if (!t.skipped.empty())
        return t;
    const MatrixView view = readView(r, g);
    t.stats.name = t.name;
    t.stats.shape = t.shape;
    t.stats.view = view;
    readStats(r, g, t.stats);
    t.histogram = readHistogram(r, g);
    t.spectrum.name = t.name;
    t.spectrum.view = view;
    readSpectrum(r, g, t.spectrum);
    return t;
}

void readActivations(const Reader &r, const Node &analysis, ModelAnalysis &out)
{
    const Node g = r.openGroup(analysis, "activations");
    ActivationStats a;
    auto &c = a.coverage;
    c.source = r.attrString(g, "source");
    c.streamTokens = r.attrInt(g, "stream_tokens");
    c.streamTokensUsed = r.attrInt(g, "stream_tokens_used");
    c.sequences = r.attrInt(g, "sequences");
    c.tokensPerSequence = r.attrInt(g, "tokens_per_sequence");
    c.tokensEvaluated = r.attrInt(g, "tokens_evaluated");
    c.bosPrepended = r.attrBool(g, "bos_prepended");
    a.outlierFactor = r.attrDouble(g, "outlier_factor");
    a.hasHessians = r.attrBool(g, "has_hessians");
    c.notObserved = r.strings(g, "not_observed");
    c.shortWeights = r.strings(g, "short_weights");
    const size_t count = checkedCount(r, g, "linear_count", r.attrInt(g, "linear_count"));

    std::vector<std::string> members = r.members(g);
    std::erase_if(members, [](const std::string &m) {
        return m == "not_observed" || m == "short_weights";
    });
    expectSize(r, g, "the group's linears", members.size(), count);
    a.linears.resize(count);
    std::vector<bool> seen(count, false);
    // Weights reading one input share one Hessian object, as the collector hands them out.
    std::map<std::string, std::shared_ptr<const ActivationHessian>> hessians;
    for (const auto &member : members) {
        const Node lg = r.openGroup(g, member);
        const size_t index = checkedCount(r, lg, "index", r.attrInt(lg, "index"));
        if (index >= count || seen[index])
            r.fail(lg.path, "@index " + std::to_string(index) + " is out of range or repeated");
        seen[index] = true;
        LinearActivationStats &l = a.linears[index];
        l.weight = r.attrString(lg, "weight");
        l.input = r.attrString(lg, "input");
        l.layer = r.attrInt(lg, "layer");
        l.inFeatures = r.attrInt(lg, "in_features");
        l.tokens = r.attrInt(lg, "tokens");
        l.medianAbsMax = r.attrDouble(lg, "median_abs_max");
        const auto n = static_cast<uint64_t>(checkedCount(r, lg, "in_features", l.inFeatures));
        l.absMax = r.dataset<double>(lg, "abs_max");
        l.meanAbs = r.dataset<double>(lg, "mean_abs");
        l.meanSquare = r.dataset<double>(lg, "mean_square");
        expectSize(r, lg, "abs_max", l.absMax.size(), n);
        expectSize(r, lg, "mean_abs", l.meanAbs.size(), n);
        expectSize(r, lg, "mean_square", l.meanSquare.size(), n);
        const auto channel = r.dataset<int64_t>(lg, "outlier_channel");
        const auto ratio = r.dataset<double>(lg, "outlier_ratio");
        expectSize(r, lg, "outlier_ratio", ratio.size(), channel.size());
        for (size_t i = 0; i < channel.size(); ++i)
            l.outliers.push_back({channel[i], ratio[i]});
        if (!r.has(lg, "hessian"))
            continue;
        if (auto it = hessians.find(l.input); it != hessians.end()) {
            l.hessian = it->second;
            continue;
        }
        auto h = std::make_shared<ActivationHessian>();
        std::vector<uint64_t> dims;
        h->sum = r.dataset<double>(lg, "hessian", &dims);
        if (dims.size() != 2 || dims[0] != n || dims[1] != n)
            r.fail(lg.child("hessian"), "is not in_features x in_features");
        h->inFeatures = l.inFeatures;
        h->tokens = r.attrInt(lg, "hessian_tokens");
        hessians.emplace(l.input, h);
        l.hessian = std::move(h);
    }
    out.activations = std::move(a);
}

} // namespace

ModelFingerprint readModel(const Reader &r)
{
    ModelFingerprint m;
    const Node model = r.openGroup(r.root(), "model");
    m.path = r.attrString(model, "path");
    m.format = r.attrString(model, "format");
    m.fileSize = r.attrUInt(model, "file_size");
    m.fileCount = r.attrInt(model, "file_count");
    m.contentHash = parseHash(r, model);
    return m;
}

Project readContents(const Reader &r)
{
    Project p;
    p.model = readModel(r);

    const Node settings = r.openGroup(r.root(), "settings");
    for (const auto &name : r.attrNames(settings))
        p.settings[h5::unescapeName(name)] = r.attrString(settings, name.c_str());
    p.history = readHistory(r);

    const Node analysis = r.openGroup(r.root(), "analysis");
    p.analysis.seconds = r.attrDouble(analysis, "seconds");
    const size_t count =
        checkedCount(r, analysis, "tensor_count", r.attrInt(analysis, "tensor_count"));
    const Node tensors = r.openGroup(analysis, "tensors");
    const std::vector<std::string> members = r.members(tensors);
    expectSize(r, tensors, "the group's tensors", members.size(), count);
    p.analysis.tensors.resize(count);
    std::vector<bool> seen(count, false);
    for (const auto &member : members) {
        TensorAnalysis t = readTensor(r, tensors, member);
        if (t.index >= count || seen[t.index])
            r.fail(tensors.child(member),
                   "@index " + std::to_string(t.index) + " is out of range or repeated");
        seen[t.index] = true;
        p.analysis.tensors[t.index] = std::move(t);
    }
    if (r.attrBool(analysis, "has_activations"))
        readActivations(r, analysis, p.analysis);
    p.sensitivity = readSensitivity(r);
    return p;
}

} // namespace cwb::projectio
