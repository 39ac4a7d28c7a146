// SPDX-License-Identifier: MIT
// The project file and the whole-model analysis behind it: stories260K (GGUF, with spectra,
// activations and Hessians) and the Keras MLP written and read back with every array identical;
// the layout (schema attributes, chunked + compressed large arrays, shared Hessians); stale
// models detected; damaged, foreign and newer files refused with the file named; atomic writes
// that leave the previous project intact when they fail.

#include "test_support.h"

#include "analysis/model_analysis.h"
#include "h5/h5_store.h"
#include "h5/hdf5_lock.h"
#include "io/open_model.h"
#include "model/model_fingerprint.h"
#include "project/project_file.h"
#include "util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

namespace fs = std::filesystem;
using namespace cwb; // a test source, not a header

namespace {

std::vector<char> readBytes(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string &path, const std::vector<char> &bytes)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Collects every field that differs between two analyses; arrays and doubles compare bit for bit
// (so NaN == NaN, and 0.1 written as 0.1000001 would show).
class Differ {
public:
    std::vector<std::string> diffs;

    template <class T>
    void same(const std::string &where, const T &a, const T &b)
    {
        if constexpr (std::is_floating_point_v<T>) {
            if (std::memcmp(&a, &b, sizeof(T)) != 0)
                diffs.push_back(where + ": " + std::to_string(a) + " vs " + std::to_string(b));
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (a != b)
                diffs.push_back(where + ": '" + a + "' vs '" + b + "'");
        } else {
            if (a != b)
                diffs.push_back(where + ": differs");
        }
    }
    template <class T>
    void same(const std::string &where, const std::vector<T> &a, const std::vector<T> &b)
    {
        if (a.size() != b.size())
            diffs.push_back(where + ": " + std::to_string(a.size()) + " vs "
                            + std::to_string(b.size()) + " values");
        else if constexpr (!std::is_trivially_copyable_v<T>) {
            if (a != b)
                diffs.push_back(where + ": values differ");
        } else if (!a.empty() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) != 0)
            diffs.push_back(where + ": values differ");
    }
};

void sameView(Differ &d, const std::string &w, const MatrixView &a, const MatrixView &b)
{
    d.same(w + ".rows", a.rows, b.rows);
    d.same(w + ".cols", a.cols, b.cols);
    d.same(w + ".transposed", a.transposed, b.transposed);
    d.same(w + ".storedRows", a.storedRows, b.storedRows);
    d.same(w + ".storedCols", a.storedCols, b.storedCols);
    d.same(w + ".perChannel", a.perChannel, b.perChannel);
    d.same(w + ".reshape", a.reshape, b.reshape);
}

void sameOutliers(Differ &d, const std::string &w, const OutlierReport &a, const OutlierReport &b)
{
    d.same(w + ".median", a.median, b.median);
    d.same(w + ".threshold", a.threshold, b.threshold);
    d.same(w + ".count", a.count, b.count);
    d.same(w + ".channels.size", a.channels.size(), b.channels.size());
    for (size_t i = 0; i < std::min(a.channels.size(), b.channels.size()); ++i) {
        d.same(w + ".index", a.channels[i].index, b.channels[i].index);
        d.same(w + ".absMax", a.channels[i].absMax, b.channels[i].absMax);
        d.same(w + ".ratio", a.channels[i].ratio, b.channels[i].ratio);
    }
}

void sameTensor(Differ &d, const TensorAnalysis &a, const TensorAnalysis &b)
{
    const std::string w = a.name;
    d.same(w + ".index", a.index, b.index);
    d.same(w + ".name", a.name, b.name);
    d.same(w + ".canonical", a.canonical, b.canonical);
    d.same(w + ".dtype", a.dtype, b.dtype);
    d.same(w + ".shape", a.shape, b.shape);
    d.same(w + ".skipped", a.skipped, b.skipped);
    d.same(w + ".seconds", a.seconds, b.seconds);
    const TensorStats &s = a.stats, &t = b.stats;
    d.same(w + ".stats.name", s.name, t.name);
    d.same(w + ".stats.shape", s.shape, t.shape);
    sameView(d, w + ".stats.view", s.view, t.view);
    d.same(w + ".count", s.count, t.count);
    d.same(w + ".finite", s.finite, t.finite);
    d.same(w + ".nan", s.nan, t.nan);
    d.same(w + ".posInf", s.posInf, t.posInf);
    d.same(w + ".negInf", s.negInf, t.negInf);
    d.same(w + ".zeros", s.zeros, t.zeros);
    d.same(w + ".nearZeros", s.nearZeros, t.nearZeros);
    d.same(w + ".nearZeroThreshold", s.nearZeroThreshold, t.nearZeroThreshold);
    d.same(w + ".min", s.min, t.min);
    d.same(w + ".max", s.max, t.max);
    d.same(w + ".absMax", s.absMax, t.absMax);
    d.same(w + ".mean", s.mean, t.mean);
    d.same(w + ".std", s.std, t.std);
    d.same(w + ".skewness", s.skewness, t.skewness);
    d.same(w + ".kurtosis", s.kurtosis, t.kurtosis);
    d.same(w + ".rowStats.absMax", s.rowStats.absMax, t.rowStats.absMax);
    d.same(w + ".rowStats.l2Norm", s.rowStats.l2Norm, t.rowStats.l2Norm);
    d.same(w + ".rowStats.std", s.rowStats.std, t.rowStats.std);
    d.same(w + ".colStats.absMax", s.colStats.absMax, t.colStats.absMax);
    d.same(w + ".colStats.l2Norm", s.colStats.l2Norm, t.colStats.l2Norm);
    d.same(w + ".colStats.std", s.colStats.std, t.colStats.std);
    sameOutliers(d, w + ".rowOutliers", s.rowOutliers, t.rowOutliers);
    sameOutliers(d, w + ".colOutliers", s.colOutliers, t.colOutliers);

    const Histogram &h = a.histogram, &g = b.histogram;
    d.same(w + ".histogram.edges", h.edges, g.edges);
    d.same(w + ".histogram.counts", h.counts, g.counts);
    d.same(w + ".histogram.below", h.below, g.below);
    d.same(w + ".histogram.above", h.above, g.above);
    d.same(w + ".histogram.finite", h.finite, g.finite);
    d.same(w + ".histogram.nan", h.nan, g.nan);
    d.same(w + ".histogram.inf", h.inf, g.inf);
    d.same(w + ".histogram.zeros", h.zeros, g.zeros);
    d.same(w + ".histogram.min", h.min, g.min);
    d.same(w + ".histogram.max", h.max, g.max);
    d.same(w + ".histogram.mean", h.mean, g.mean);
    d.same(w + ".histogram.std", h.std, g.std);

    const Spectrum &p = a.spectrum, &q = b.spectrum;
    d.same(w + ".spectrum.name", p.name, q.name);
    sameView(d, w + ".spectrum.view", p.view, q.view);
    d.same(w + ".spectrum.method", p.method, q.method);
    d.same(w + ".spectrum.skipped", p.skipped, q.skipped);
    d.same(w + ".spectrum.singularValues", p.singularValues, q.singularValues);
    d.same(w + ".spectrum.truncationError", p.truncationError, q.truncationError);
    d.same(w + ".spectrum.frobeniusSq", p.frobeniusSq, q.frobeniusSq);
    d.same(w + ".spectrum.stableRank", p.stableRank, q.stableRank);
    d.same(w + ".spectrum.entropyRank", p.entropyRank, q.entropyRank);
    d.same(w + ".spectrum.energyRank90", p.energyRank90, q.energyRank90);
    d.same(w + ".spectrum.energyRank95", p.energyRank95, q.energyRank95);
    d.same(w + ".spectrum.energyRank99", p.energyRank99, q.energyRank99);
    d.same(w + ".spectrum.powerLaw.valid", p.powerLaw.valid, q.powerLaw.valid);
    d.same(w + ".spectrum.powerLaw.alpha", p.powerLaw.alpha, q.powerLaw.alpha);
    d.same(w + ".spectrum.powerLaw.xmin", p.powerLaw.xmin, q.powerLaw.xmin);
    d.same(w + ".spectrum.powerLaw.ks", p.powerLaw.ks, q.powerLaw.ks);
    d.same(w + ".spectrum.powerLaw.nTail", p.powerLaw.nTail, q.powerLaw.nTail);
    d.same(w + ".spectrum.seconds", p.seconds, q.seconds);
}

void sameActivations(Differ &d, const ActivationStats &a, const ActivationStats &b)
{
    const auto &c = a.coverage, &e = b.coverage;
    d.same("coverage.source", c.source, e.source);
    d.same("coverage.streamTokens", c.streamTokens, e.streamTokens);
    d.same("coverage.streamTokensUsed", c.streamTokensUsed, e.streamTokensUsed);
    d.same("coverage.sequences", c.sequences, e.sequences);
    d.same("coverage.tokensPerSequence", c.tokensPerSequence, e.tokensPerSequence);
    d.same("coverage.tokensEvaluated", c.tokensEvaluated, e.tokensEvaluated);
    d.same("coverage.bosPrepended", c.bosPrepended, e.bosPrepended);
    d.same("coverage.notObserved", c.notObserved, e.notObserved);
    d.same("coverage.shortWeights", c.shortWeights, e.shortWeights);
    d.same("outlierFactor", a.outlierFactor, b.outlierFactor);
    d.same("hasHessians", a.hasHessians, b.hasHessians);
    d.same("linears.size", a.linears.size(), b.linears.size());
    for (size_t i = 0; i < std::min(a.linears.size(), b.linears.size()); ++i) {
        const auto &l = a.linears[i], &m = b.linears[i];
        const std::string w = "activations." + l.weight;
        d.same(w + ".weight", l.weight, m.weight);
        d.same(w + ".input", l.input, m.input);
        d.same(w + ".layer", l.layer, m.layer);
        d.same(w + ".inFeatures", l.inFeatures, m.inFeatures);
        d.same(w + ".tokens", l.tokens, m.tokens);
        d.same(w + ".absMax", l.absMax, m.absMax);
        d.same(w + ".meanAbs", l.meanAbs, m.meanAbs);
        d.same(w + ".meanSquare", l.meanSquare, m.meanSquare);
        d.same(w + ".medianAbsMax", l.medianAbsMax, m.medianAbsMax);
        d.same(w + ".outliers.size", l.outliers.size(), m.outliers.size());
        for (size_t k = 0; k < std::min(l.outliers.size(), m.outliers.size()); ++k) {
            d.same(w + ".outlier.channel", l.outliers[k].channel, m.outliers[k].channel);
            d.same(w + ".outlier.ratio", l.outliers[k].ratio, m.outliers[k].ratio);
        }
        d.same(w + ".hessian.present", bool(l.hessian), bool(m.hessian));
        if (l.hessian && m.hessian) {
            d.same(w + ".hessian.inFeatures", l.hessian->inFeatures, m.hessian->inFeatures);
            d.same(w + ".hessian.tokens", l.hessian->tokens, m.hessian->tokens);
            d.same(w + ".hessian.sum", l.hessian->sum, m.hessian->sum);
        }
    }
}

std::vector<std::string> projectDiffs(const Project &a, const Project &b)
{
    Differ d;
    d.same("model.path", a.model.path, b.model.path);
    d.same("model.format", a.model.format, b.model.format);
    d.same("model.fileSize", a.model.fileSize, b.model.fileSize);
    d.same("model.fileCount", a.model.fileCount, b.model.fileCount);
    d.same("model.contentHash", a.model.contentHash, b.model.contentHash);
    d.same("settings", a.settings, b.settings);
    d.same("analysis.seconds", a.analysis.seconds, b.analysis.seconds);
    d.same("tensors.size", a.analysis.tensors.size(), b.analysis.tensors.size());
    for (size_t i = 0; i < std::min(a.analysis.tensors.size(), b.analysis.tensors.size()); ++i)
        sameTensor(d, a.analysis.tensors[i], b.analysis.tensors[i]);
    d.same("activations.present", a.analysis.activations.has_value(),
           b.analysis.activations.has_value());
    if (a.analysis.activations && b.analysis.activations)
        sameActivations(d, *a.analysis.activations, *b.analysis.activations);
    return std::move(d.diffs);
}

QString joined(const std::vector<std::string> &v, size_t max = 8)
{
    QStringList l;
    for (size_t i = 0; i < v.size() && i < max; ++i)
        l << QString::fromStdString(v[i]);
    return l.join(QStringLiteral("; "));
}

#define VERIFY_SAME_PROJECT(a, b)                                                                  \
    do {                                                                                           \
        const auto diffs_ = projectDiffs(a, b);                                                    \
        QVERIFY2(diffs_.empty(), qPrintable(joined(diffs_)));                                      \
    } while (false)

// The filter count and layout of one dataset, read straight through HDF5.
struct DatasetLayout {
    H5D_layout_t layout = H5D_LAYOUT_ERROR;
    int filters = -1;
};

DatasetLayout layoutOf(const std::string &file, const std::string &object)
{
    h5::Hdf5Lock lock;
    DatasetLayout out;
    h5::Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    h5::Id ds(H5Dopen2(f.get(), object.c_str(), H5P_DEFAULT));
    h5::Id dcpl(H5Dget_create_plist(ds.get()));
    if (!dcpl.valid())
        return out;
    out.layout = H5Pget_layout(dcpl.get());
    out.filters = H5Pget_nfilters(dcpl.get());
    return out;
}

// Overwrites (or adds) an integer attribute of the root group.
void setRootInt(const std::string &file, const char *name, int64_t value)
{
    h5::Hdf5Lock lock;
    h5::Id f(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    if (H5Aexists(f.get(), name) > 0)
        H5Adelete(f.get(), name);
    h5::Id space(H5Screate(H5S_SCALAR));
    h5::Id a(H5Acreate2(f.get(), name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    H5Awrite(a.get(), H5T_NATIVE_INT64, &value);
}

std::vector<std::string> filesIn(const std::string &dir)
{
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

class TestProject : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void storiesAnalysisIsComplete();
    void storiesRoundTripIsExact();
    void layoutOnDisk();
    void streamingAndCancellation();
    void kerasRoundTrip();
    void escapedNames_data();
    void escapedNames();
    void fingerprintFollowsDocumentedSampling();
    void staleModelDetected();
    void damagedFilesRefused_data();
    void damagedFilesRefused();
    void atomicWriteFailureKeepsPrevious_data();
    void atomicWriteFailureKeepsPrevious();
    void unwritableTargetLeavesNothing();

private:
    QTemporaryDir dir_;
    std::string modelPath_;
    Model model_;
    ModelAnalysisParams params_;
    Project project_;
    std::vector<size_t> streamed_; // indices in the order onTensor saw them
    std::string path(const char *name) const
    {
        return dir_.filePath(QString::fromUtf8(name)).toStdString();
    }
};

void TestProject::initTestCase()
{
    QVERIFY(dir_.isValid());
    CWB_SHARED_FILE(model, "models/stories260K/stories260K.gguf");
    CWB_SHARED_FILE(text, "data/tinystories/tinystories_validation_head.txt");
    modelPath_ = model;
    model_ = io::openModel(model);
    params_.spectra = true;
    params_.calibrationText = text;
    params_.activations.sequences = 4;
    params_.activations.tokensPerSequence = 64;
    params_.activations.collectHessians = true;
    std::mutex m;
    ModelAnalysis analysis = analyzeModel(model_, params_, {}, [&](const TensorAnalysis &t) {
        std::lock_guard lock(m);
        streamed_.push_back(t.index);
    });
    project_ = makeProject(model_, std::move(analysis), params_);
}

void TestProject::storiesAnalysisIsComplete()
{
    const ModelAnalysis &a = project_.analysis;
    QCOMPARE(a.tensors.size(), model_.tensors.size());
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        const TensorAnalysis &t = a.tensors[i];
        QCOMPARE(t.index, i);
        QCOMPARE(t.name, model_.tensors[i].name);
        QVERIFY2(t.skipped.empty(), qPrintable(QString::fromStdString(t.name + ": " + t.skipped)));
        QCOMPARE(t.stats.count, static_cast<uint64_t>(model_.tensors[i].numel()));
        QCOMPARE(t.histogram.total(), t.stats.count);
        QCOMPARE(t.hasSpectrum(), t.shape.size() >= 2);
    }
    const TensorAnalysis *q = a.find("layers.0.attn.q");
    QVERIFY(q);
    QCOMPARE(q->spectrum.singularValues.size(), size_t{64});
    QCOMPARE(q->spectrum.truncationError.size(), size_t{65});
    const TensorAnalysis *down = a.find("blk.2.ffn_down.weight");
    QVERIFY(down && down->stats.view.rows == 64 && down->stats.view.cols == 172);

    QVERIFY(a.activations);
    const ActivationStats &act = *a.activations;
    QCOMPARE(act.coverage.sequences, int64_t{4});
    QCOMPARE(act.coverage.tokensEvaluated, int64_t{4 * 64});
    QVERIFY(act.hasHessians);
    const auto *wq = act.find("layers.0.attn.q");
    const auto *wk = act.find("layers.0.attn.k");
    const auto *w2 = act.find("layers.0.mlp.down");
    QVERIFY(wq && wk && w2);
    QCOMPARE(wq->hessian.get(), wk->hessian.get()); // one input, one Hessian
    QCOMPARE(w2->inFeatures, int64_t{172});
    QCOMPARE(project_.settings.at("spectra"), std::string("true"));
    QCOMPARE(project_.settings.at("calibration.hessians"), std::string("true"));
}

void TestProject::storiesRoundTripIsExact()
{
    const std::string file = path("stories.cwbproj");
    writeProject(file, project_);
    const Project back = readProject(file);
    QCOMPARE(back.schemaVersion, kProjectSchemaVersion);
    QVERIFY2(back.createdBy.starts_with("Compression Workbench "), back.createdBy.c_str());
    VERIFY_SAME_PROJECT(project_, back);
    // Weights that read one input share one Hessian object after reading, as before writing.
    const auto &act = *back.analysis.activations;
    QCOMPARE(act.find("layers.3.mlp.gate")->hessian.get(),
             act.find("layers.3.mlp.up")->hessian.get());
    QVERIFY(act.find("layers.3.mlp.gate")->hessian != act.find("layers.3.mlp.down")->hessian);

    // Opened against the model it was made from: current, not stale.
    const OpenedProject opened = openProject(file, model_);
    QVERIFY2(!opened.match.stale, opened.match.reason.c_str());
    // Writing the read-back project again gives the same content once more.
    writeProject(file, back);
    VERIFY_SAME_PROJECT(project_, readProject(file));
}

void TestProject::layoutOnDisk()
{
    const std::string file = path("layout.cwbproj");
    writeProject(file, project_);
    {
        h5::Hdf5Lock lock;
        h5::Reader r(file);
        QCOMPARE(r.attrString(r.root(), "schema"), std::string("cwb.project"));
        QCOMPARE(r.attrInt(r.root(), "schema_version"), int64_t{1});
        const h5::Node model = r.openGroup(r.root(), "model");
        QCOMPARE(r.attrString(model, "format"), std::string("gguf"));
        QCOMPARE(r.attrUInt(model, "file_size"), uint64_t{1185376});
        QCOMPARE(r.attrString(model, "content_hash"), fingerprintModel(model_).hashHex());
        const h5::Node tensors = r.openGroup(r.openGroup(r.root(), "analysis"), "tensors");
        QCOMPARE(r.members(tensors).size(), model_.tensors.size());
        const h5::Node settings = r.openGroup(r.root(), "settings");
        QCOMPARE(r.attrString(settings, "histogram.bins"), std::string("128"));
    }
    // Large arrays chunked with shuffle + deflate; small ones contiguous.
    const auto hessian = layoutOf(file, "/analysis/activations/layers.0.mlp.down/hessian"); // 172^2
    QCOMPARE(hessian.layout, H5D_CHUNKED);
    QCOMPARE(hessian.filters, 2);
    const auto sv =
        layoutOf(file, "/analysis/tensors/blk.0.attn_q.weight/spectrum/singular_values");
    QCOMPARE(sv.layout, H5D_CONTIGUOUS);
    QCOMPARE(sv.filters, 0);
    // q, k and v hard-link one Hessian dataset.
    h5::Hdf5Lock lock;
    h5::Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    H5O_info_t iq{}, ik{};
    QVERIFY(H5Oget_info_by_name2(f.get(), "/analysis/activations/layers.1.attn.q/hessian", &iq,
                                 H5O_INFO_BASIC, H5P_DEFAULT) >= 0);
    QVERIFY(H5Oget_info_by_name2(f.get(), "/analysis/activations/layers.1.attn.k/hessian", &ik,
                                 H5O_INFO_BASIC, H5P_DEFAULT) >= 0);
    QCOMPARE(iq.addr, ik.addr);
    QCOMPARE(iq.rc, 3u); // q, k, v
}

void TestProject::streamingAndCancellation()
{
    // initTestCase's run handed every tensor to the callback exactly once.
    std::set<size_t> seen(streamed_.begin(), streamed_.end());
    QCOMPARE(streamed_.size(), model_.tensors.size());
    QCOMPARE(seen.size(), model_.tensors.size());

    // Stats only: the same numbers as the full run (spectra and activations do not change them).
    ModelAnalysisParams quick;
    const ModelAnalysis stats = analyzeModel(model_, quick);
    QVERIFY(!stats.activations);
    for (size_t i = 0; i < stats.tensors.size(); ++i) {
        QCOMPARE(stats.tensors[i].spectrum.skipped, std::string("spectra not requested"));
        QCOMPARE(stats.tensors[i].histogram.counts, project_.analysis.tensors[i].histogram.counts);
        const double m1 = stats.tensors[i].stats.mean, m2 = project_.analysis.tensors[i].stats.mean;
        QVERIFY(std::abs(m1 - m2) <= 1e-12 * (1 + std::abs(m2)));
    }

    // Cancelled from the callback after three tensors: cwb::Cancelled, promptly.
    std::atomic<bool> cancel{false};
    JobContext ctx;
    ctx.cancelFlag = &cancel;
    int calls = 0;
    bool threw = false;
    try {
        (void)analyzeModel(model_, params_, ctx, [&](const TensorAnalysis &) {
            if (++calls == 3)
                cancel = true;
        });
    } catch (const Cancelled &) {
        threw = true;
    }
    QVERIFY(threw);
    QVERIFY2(calls < static_cast<int>(model_.tensors.size()), qPrintable(QString::number(calls)));
    ModelAnalysisParams bad;
    bad.threads = -1;
    const std::string err = cwbtest::errorOf([&] { (void)analyzeModel(model_, bad); });
    QVERIFY2(err.find("threads must be in 0..1024") != std::string::npos, err.c_str());
}

void TestProject::kerasRoundTrip()
{
    CWB_SHARED_FILE(h5path, "models/keras-mnist-mlp/mnist_mlp.h5");
    const Model keras = io::openModel(h5path);
    ModelAnalysisParams p;
    p.spectra = true;
    const Project project = makeProject(keras, analyzeModel(keras, p), p);
    const TensorAnalysis *kernel = project.analysis.find("dense.kernel");
    QVERIFY(kernel);
    QVERIFY(kernel->stats.view.transposed); // (in, out) kernel viewed as out x in
    QCOMPARE(kernel->stats.view.rows, int64_t{128});
    QCOMPARE(kernel->stats.view.cols, int64_t{784});
    QCOMPARE(kernel->stats.rowStats.absMax.size(), size_t{128});
    QVERIFY(kernel->hasSpectrum());
    QCOMPARE(kernel->spectrum.singularValues.size(), size_t{128});
    QCOMPARE(project.model.format, std::string("keras-h5"));

    const std::string file = path("mnist.cwbproj");
    writeProject(file, project);
    const Project back = readProject(file);
    VERIFY_SAME_PROJECT(project, back);
    QVERIFY(!back.analysis.activations);
    QVERIFY(!openProject(file, keras).match.stale);
}

void TestProject::escapedNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("plain") << QStringLiteral("blk.0.attn_q.weight");
    QTest::newRow("keras path") << QStringLiteral("model_weights/dense/dense_3/kernel:0");
    QTest::newRow("percent") << QStringLiteral("a%2Fb%");
    QTest::newRow("leading dot") << QStringLiteral(".hidden");
    QTest::newRow("dot") << QStringLiteral(".");
    QTest::newRow("empty") << QString();
}

void TestProject::escapedNames()
{
    QFETCH(QString, name);
    const std::string n = name.toStdString();
    const std::string e = h5::escapeName(n);
    QVERIFY(e.find('/') == std::string::npos);
    QVERIFY(!e.empty() && e.front() != '.');
    QCOMPARE(h5::unescapeName(e), n);
    // A project holding a tensor of that name reads back under the same name.
    Project p;
    p.model.path = "synthetic";
    TensorAnalysis t;
    t.name = n;
    t.dtype = "F32";
    t.shape = {2, 3};
    t.skipped = "synthetic";
    p.analysis.tensors.push_back(t);
    const std::string file = path("names.cwbproj");
    writeProject(file, p);
    const Project back = readProject(file);
    QCOMPARE(back.analysis.tensors.size(), size_t{1});
    QCOMPARE(back.analysis.tensors[0].name, n);
    QCOMPARE(back.analysis.tensors[0].shape, (std::vector<int64_t>{2, 3}));
}

void TestProject::fingerprintFollowsDocumentedSampling()
{
    // Small model: size (8 bytes LE) then every byte, FNV-1a 64.
    const std::vector<char> bytes = readBytes(modelPath_);
    uint64_t size = bytes.size();
    std::vector<std::byte> stream(8);
    for (int i = 0; i < 8; ++i)
        stream[i] = std::byte((size >> (8 * i)) & 0xff);
    uint64_t want = fnv1a64(stream);
    want = fnv1a64(std::as_bytes(std::span(bytes)), want);
    QCOMPARE(fingerprintModel(model_).contentHash, want);
    // The published FNV-1a 64 test vector for "a".
    QCOMPARE(fnv1a64(std::as_bytes(std::span("a", 1))), uint64_t{0xaf63dc4c8601ec8c});

    // Large file (3 MiB): head + 64 sampled pages; a byte outside them does not count.
    const std::string big = path("big.bin");
    std::vector<char> data(3u << 20);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>((i * 2654435761u) >> 13);
    writeBytes(big, data);
    Model m;
    m.path = big;
    m.format = ModelFormat::Safetensors;
    size = data.size();
    for (int i = 0; i < 8; ++i)
        stream[i] = std::byte((size >> (8 * i)) & 0xff);
    uint64_t ref = fnv1a64(stream);
    const auto all = std::as_bytes(std::span(data));
    ref = fnv1a64(all.first(1 << 20), ref);
    const uint64_t spread = size - (1 << 20) - 4096;
    for (uint64_t i = 0; i < 64; ++i)
        ref = fnv1a64(all.subspan((1 << 20) + i * spread / 63, 4096), ref);
    const ModelFingerprint f = fingerprintModel(m);
    QCOMPARE(f.contentHash, ref);
    QCOMPARE(f.fileSize, uint64_t{3u << 20});
    QCOMPARE(f.hashHex().size(), size_t{16});
    data[(1 << 20) + 8192 + 100] ^= 1; // between page 0 and page 1
    writeBytes(big, data);
    QCOMPARE(fingerprintModel(m).contentHash, ref);
    data[100] ^= 1; // in the head
    writeBytes(big, data);
    QVERIFY(fingerprintModel(m).contentHash != ref);
}

void TestProject::staleModelDetected()
{
    const std::string file = path("stale.cwbproj");
    writeProject(file, project_);

    // Another model (the Q8_0 quantization of the same network).
    CWB_SHARED_FILE(q8, "models/stories260K/stories260K-Q8_0.gguf");
    OpenedProject o = openProject(file, io::openModel(q8));
    QVERIFY(o.match.stale);
    QVERIFY2(o.match.reason.find("size differs: 1185376 -> 379136 bytes") != std::string::npos,
             o.match.reason.c_str());
    QVERIFY2(o.match.reason.find(modelPath_) != std::string::npos, o.match.reason.c_str());

    // A same-size copy with one weight changed near the end of the file.
    std::vector<char> bytes = readBytes(modelPath_);
    const std::string copy = path("stories-copy.gguf");
    writeBytes(copy, bytes);
    o = openProject(file, io::openModel(copy));
    QVERIFY2(!o.match.stale, o.match.reason.c_str()); // moved, not changed: still current
    bytes[bytes.size() - 1001] ^= 0x40;
    writeBytes(copy, bytes);
    o = openProject(file, io::openModel(copy));
    QVERIFY(o.match.stale);
    QVERIFY2(o.match.reason.find("content differs: hash ") != std::string::npos,
             o.match.reason.c_str());

    // Another format of the same model.
    CWB_SHARED_FILE(bin, "models/stories260K/stories260K.bin");
    o = openProject(file, io::openModel(bin));
    QVERIFY(o.match.stale);
    QVERIFY2(o.match.reason.find("format differs: gguf -> llama2c") != std::string::npos,
             o.match.reason.c_str());
}

void TestProject::damagedFilesRefused_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("message");
    QTest::newRow("truncated") << QStringLiteral("truncate") << QStringLiteral("truncated file");
    QTest::newRow("not hdf5") << QStringLiteral("text")
                              << QStringLiteral("offset 0: not an HDF5 file");
    QTest::newRow("missing") << QStringLiteral("missing") << QStringLiteral("cannot open");
    QTest::newRow("newer schema") << QStringLiteral("newer")
                                  << QStringLiteral("project schema_version 2 (written by "
                                                    "Compression Workbench ");
    QTest::newRow("other hdf5") << QStringLiteral("keras")
                                << QStringLiteral("not a Compression Workbench project");
    QTest::newRow("inconsistent arrays")
        << QStringLiteral("edges")
        << QStringLiteral("'/analysis/tensors/output_norm.weight/histogram': edges has 3 "
                          "values, expected 129");
}

void TestProject::damagedFilesRefused()
{
    QFETCH(QString, damage);
    QFETCH(QString, message);
    const std::string file = path("damaged.cwbproj");
    writeProject(file, project_);
    std::string target = file;
    if (damage == QLatin1String("truncate")) {
        std::vector<char> bytes = readBytes(file);
        bytes.resize(bytes.size() / 2);
        writeBytes(file, bytes);
    } else if (damage == QLatin1String("text")) {
        writeBytes(file, {'h', 'e', 'l', 'l', 'o', '\n'});
    } else if (damage == QLatin1String("missing")) {
        target = path("no-such.cwbproj");
    } else if (damage == QLatin1String("newer")) {
        setRootInt(file, "schema_version", 2);
    } else if (damage == QLatin1String("keras")) {
        CWB_SHARED_FILE(h5path, "models/keras-mnist-mlp/mnist_mlp.h5");
        target = h5path;
    } else if (damage == QLatin1String("edges")) {
        h5::Hdf5Lock lock;
        h5::Id f(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
        h5::Id g(H5Gopen2(f.get(), "/analysis/tensors/output_norm.weight/histogram", H5P_DEFAULT));
        QVERIFY(H5Ldelete(g.get(), "edges", H5P_DEFAULT) >= 0);
        const double three[3] = {0, 1, 2};
        const hsize_t n = 3;
        h5::Id space(H5Screate_simple(1, &n, nullptr));
        h5::Id ds(H5Dcreate2(g.get(), "edges", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT));
        QVERIFY(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, three) >= 0);
    }
    const std::string err = cwbtest::errorOf([&] { (void)readProject(target); });
    QVERIFY2(err.starts_with(target + ":"), err.c_str()); // names the file first
    QVERIFY2(QString::fromStdString(err).contains(message), err.c_str());
    // The same refusal when opening it for a model.
    QVERIFY(!cwbtest::errorOf([&] { (void)openProject(target, model_); }).empty());
}

void TestProject::atomicWriteFailureKeepsPrevious_data()
{
    QTest::addColumn<QString>("point");
    QTest::newRow("after writing") << QStringLiteral("analysis-written");
    QTest::newRow("after closing") << QStringLiteral("closed");
    QTest::newRow("after fsync") << QStringLiteral("synced");
}

void TestProject::atomicWriteFailureKeepsPrevious()
{
    QFETCH(QString, point);
    QTemporaryDir dir;
    const std::string file = dir.filePath(QStringLiteral("p.cwbproj")).toStdString();
    // The previous project: a small one with a recognisable setting.
    Project previous;
    previous.model.path = "previous";
    previous.settings["note"] = "the old one";
    writeProject(file, previous);
    const std::vector<char> before = readBytes(file);

    ProjectWriteOptions options;
    std::vector<std::string> points;
    options.failpoint = [&](std::string_view p) {
        points.emplace_back(p);
        if (p == point.toStdString())
            throw Error("injected failure at " + std::string(p));
    };
    const std::string err = cwbtest::errorOf([&] { writeProject(file, project_, options); });
    QVERIFY2(err.find("injected failure at " + point.toStdString()) != std::string::npos,
             err.c_str());
    QCOMPARE(points.back(), point.toStdString());
    QVERIFY(readBytes(file) == before); // untouched
    QCOMPARE(filesIn(dir.path().toStdString()), std::vector<std::string>{"p.cwbproj"}); // no temp
    QCOMPARE(readProject(file).settings.at("note"), std::string("the old one"));

    // Without the failure the same call replaces it.
    writeProject(file, project_);
    VERIFY_SAME_PROJECT(project_, readProject(file));
    QCOMPARE(filesIn(dir.path().toStdString()), std::vector<std::string>{"p.cwbproj"});
}

void TestProject::unwritableTargetLeavesNothing()
{
    // A directory that does not exist (tests may run as root, so permissions prove nothing).
    const std::string file = path("no-such-dir/p.cwbproj");
    const std::string err = cwbtest::errorOf([&] { writeProject(file, project_); });
    QVERIFY2(err.starts_with(file + ": cannot write the project: "), err.c_str());
    QVERIFY2(err.find("no-such-dir/p.cwbproj.tmp-") != std::string::npos, err.c_str());
    QVERIFY(!fs::exists(path("no-such-dir")));
    // A target that is a directory: the temporary file is written, the rename fails, and the
    // temporary file is removed again.
    const std::string asDir = path("is-a-dir.cwbproj");
    fs::create_directory(asDir);
    const auto before = filesIn(dir_.path().toStdString());
    const std::string err2 = cwbtest::errorOf([&] { writeProject(asDir, project_); });
    QVERIFY2(err2.find("cannot replace the file") != std::string::npos, err2.c_str());
    QCOMPARE(filesIn(dir_.path().toStdString()), before);
    QVERIFY(fs::is_directory(asDir));
}

QTEST_GUILESS_MAIN(TestProject)
#include "test_project.moc"
