// SPDX-License-Identifier: MIT
// Keras HDF5 reader: tensor lists of the two real MNIST models, forward passes through both that
// reproduce the reference predictions (proving Dense (in, out) and Conv2D HWIO are read the
// right way round), mmap views against HDF5's own reads, generated weights-only files with
// chunked/compressed, float16 and float64 datasets, and bad input.

#include "test_support.h"

#include "h5/hdf5_lock.h"
#include "io/keras_reader.h"
#include "io/open_model.h"
#include "io/readers.h"
#include "model/model.h"
#include "util/error.h"

#include <Eigen/Dense>
#include <QTemporaryDir>
#include <QTest>
#include <hdf5.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <unistd.h>

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// ---- helpers: errors, stderr, files ------------------------------------------------------

using cwbtest::errorOf;

// Everything written to fd 2 while `f` runs (HDF5 prints its error stacks there unless silenced).
std::string stderrOf(const std::function<void()> &f, const std::string &scratch)
{
    std::fflush(stderr);
    FILE *sink = std::fopen(scratch.c_str(), "w+");
    if (!sink)
        return "cannot capture stderr in " + scratch;
    const int saved = ::dup(2);
    ::dup2(::fileno(sink), 2);
    f();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::fclose(sink);
    std::ifstream in(scratch);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void copyTruncated(const std::string &from, const std::string &to, uint64_t size)
{
    std::ifstream in(from, std::ios::binary);
    std::string buf(size, '\0');
    in.read(buf.data(), static_cast<std::streamsize>(size));
    writeBytes(to, buf);
}

// ---- helpers: writing small Keras-like HDF5 files ------------------------------------------

// Closes any HDF5 id on scope exit.
struct Id {
    hid_t id;
    explicit Id(hid_t i) : id(i) {}
    ~Id()
    {
        if (id >= 0)
            H5Idec_ref(id);
    }
    Id(const Id &) = delete;
    Id &operator=(const Id &) = delete;
    operator hid_t() const { return id; }
};

// Fixed-length, NUL-padded string array attribute, as h5py writes layer_names/weight_names.
void writeStringArray(hid_t obj, const char *name, const std::vector<std::string> &items)
{
    if (items.empty()) { // Keras writes an empty float64 array for layers without weights
        const hsize_t zero = 0;
        Id space(H5Screate_simple(1, &zero, nullptr));
        Id attr(H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT));
        return;
    }
    size_t width = 1;
    for (const auto &s : items)
        width = std::max(width, s.size());
    std::string buf(items.size() * width, '\0');
    for (size_t i = 0; i < items.size(); ++i)
        std::memcpy(buf.data() + i * width, items[i].data(), items[i].size());
    Id type(H5Tcopy(H5T_C_S1));
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    const hsize_t n = items.size();
    Id space(H5Screate_simple(1, &n, nullptr));
    Id attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
    H5Awrite(attr, type, buf.data());
}

// Scalar variable-length UTF-8 string attribute, as h5py writes model_config and keras_version.
void writeVarString(hid_t obj, const char *name, const std::string &value)
{
    Id type(H5Tcopy(H5T_C_S1));
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    Id space(H5Screate(H5S_SCALAR));
    Id attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
    const char *p = value.c_str();
    H5Awrite(attr, type, &p);
}

// HDF5 1.10 predefines no float16; this is the IEEE half layout h5py writes (never freed).
hid_t float16Type()
{
    static const hid_t type = [] {
        cwb::h5::Hdf5Lock lock;
        const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        return t;
    }();
    return type;
}

struct DatasetSpec {
    std::string path; // from the file root, intermediate groups are created
    hid_t fileType;
    hid_t memType;
    std::vector<hsize_t> dims;
    const void *data; // nullptr: leave unwritten
    bool chunkedDeflate = false;
};

struct LayerSpec {
    std::string group; // "" for the file root
    std::vector<std::string> layerNames;
};

struct FileSpec {
    std::vector<std::pair<std::string, std::vector<std::string>>> weightNames; // group -> names
    std::vector<LayerSpec> layerNames;
    std::vector<std::pair<std::string, std::string>> rootStrings; // vlen string attrs on "/"
    std::vector<DatasetSpec> datasets;
    hsize_t userblock = 0;
    bool intWeightNames = false; // write every weight_names as an int array instead
};

void writeH5(const std::string &path, const FileSpec &spec)
{
    cwb::h5::Hdf5Lock lock;
    Id fcpl(H5Pcreate(H5P_FILE_CREATE));
    if (spec.userblock)
        H5Pset_userblock(fcpl, spec.userblock);
    Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT));
    Id lcpl(H5Pcreate(H5P_LINK_CREATE));
    H5Pset_create_intermediate_group(lcpl, 1);
    for (const auto &d : spec.datasets) {
        Id space(H5Screate_simple(static_cast<int>(d.dims.size()), d.dims.data(), nullptr));
        Id dcpl(H5Pcreate(H5P_DATASET_CREATE));
        if (d.chunkedDeflate) {
            std::vector<hsize_t> chunk(d.dims.size());
            for (size_t i = 0; i < chunk.size(); ++i)
                chunk[i] = std::min<hsize_t>(d.dims[i], 8);
            H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
            H5Pset_deflate(dcpl, 6);
        }
        Id ds(H5Dcreate2(file, d.path.c_str(), d.fileType, space, lcpl, dcpl, H5P_DEFAULT));
        QVERIFY2(ds.id >= 0, d.path.c_str());
        if (d.data)
            H5Dwrite(ds, d.memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.data);
    }
    const auto group = [&](const std::string &name) {
        if (name.empty() || name == "/")
            return H5Gopen2(file, "/", H5P_DEFAULT);
        if (H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0)
            return H5Gopen2(file, name.c_str(), H5P_DEFAULT);
        return H5Gcreate2(file, name.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT);
    };
    for (const auto &[g, names] : spec.weightNames) {
        Id grp(group(g));
        if (spec.intWeightNames) {
            const hsize_t n = 2;
            const int values[2] = {1, 2};
            Id space(H5Screate_simple(1, &n, nullptr));
            Id attr(
                H5Acreate2(grp, "weight_names", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT));
            H5Awrite(attr, H5T_NATIVE_INT, values);
        } else {
            writeStringArray(grp, "weight_names", names);
        }
    }
    for (const auto &l : spec.layerNames) {
        Id grp(group(l.group));
        writeStringArray(grp, "layer_names", l.layerNames);
    }
    Id root(H5Gopen2(file, "/", H5P_DEFAULT));
    for (const auto &[k, v] : spec.rootStrings)
        writeVarString(root, k.c_str(), v);
}

// Values of a small weights-only model; halves are exactly representable in float16.
struct WeightsOnlyValues {
    std::vector<float> kernel = std::vector<float>(40 * 24);
    std::vector<double> bias = std::vector<double>(24);
    std::vector<float> conv = std::vector<float>(3 * 3 * 2 * 4);
    WeightsOnlyValues()
    {
        for (size_t i = 0; i < kernel.size(); ++i)
            kernel[i] = std::sin(0.37f * static_cast<float>(i)) * 0.25f;
        for (size_t i = 0; i < bias.size(); ++i)
            bias[i] = 1e-3 * static_cast<double>(i) - 0.0117;
        for (size_t i = 0; i < conv.size(); ++i)
            conv[i] = static_cast<float>(static_cast<int>(i) - 30) * 0.125f;
    }
};

FileSpec weightsOnlySpec(const WeightsOnlyValues &v)
{
    FileSpec s;
    s.layerNames = {{"/", {"dense_a", "dropout", "conv"}}};
    s.weightNames = {{"dense_a", {"dense_a/kernel:0", "dense_a/bias:0"}},
                     {"dropout", {}},
                     {"conv", {"conv/kernel:0"}}};
    s.rootStrings = {{"keras_version", "2.3.1"}, {"backend", "tensorflow"}};
    s.datasets = {
        {"dense_a/dense_a/kernel:0",
         H5T_IEEE_F32LE,
         H5T_NATIVE_FLOAT,
         {40, 24},
         v.kernel.data(),
         true},
        {"dense_a/dense_a/bias:0", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {24}, v.bias.data(), false},
        {"conv/conv/kernel:0", float16Type(), H5T_NATIVE_FLOAT, {3, 3, 2, 4}, v.conv.data(), false},
    };
    return s;
}

// ---- helpers: MNIST and the forward passes -----------------------------------------------

uint32_t bigEndian32(const unsigned char *p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// First `count` items of a gzip-compressed IDX file; `dims` receives the item dimensions.
std::vector<unsigned char> readIdxGz(const std::string &path, uint32_t magic, int headerInts,
                                     int count, int itemBytes)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f)
        throw cwb::Error(path + ": cannot open");
    std::vector<unsigned char> header(4 * static_cast<size_t>(headerInts));
    std::vector<unsigned char> out(static_cast<size_t>(count) * itemBytes);
    const bool ok =
        gzread(f, header.data(), static_cast<unsigned>(header.size())) == int(header.size())
        && bigEndian32(header.data()) == magic && bigEndian32(header.data() + 4) >= uint32_t(count)
        && gzread(f, out.data(), static_cast<unsigned>(out.size())) == int(out.size());
    gzclose(f);
    if (!ok)
        throw cwb::Error(path + ": not an IDX file with " + std::to_string(count) + " items");
    return out;
}

RowMat matrixOf(const cwb::Model &m, const std::string &name, int64_t rows, int64_t cols)
{
    const cwb::Tensor *t = m.findTensor(name);
    if (!t)
        throw cwb::Error("no tensor " + name);
    if (t->numel() != rows * cols)
        throw cwb::Error(name + " has shape " + t->shapeString());
    const auto v = t->toFloat();
    return Eigen::Map<const RowMat>(v.data(), rows, cols);
}

RowVec biasOf(const cwb::Model &m, const std::string &name, int64_t n)
{
    return matrixOf(m, name, 1, n);
}

void relu(RowMat &x)
{
    x = x.cwiseMax(0.0f);
}

// Valid 3x3 convolution, stride 1, + bias + relu. `in` is (h*w, cin), channels_last; the HWIO
// kernel flattened row-major is (kh*kw*cin, cout), matching the (dy, dx, c) patch columns.
RowMat conv3x3Relu(const RowMat &in, int h, int w, const RowMat &kernel, const RowVec &bias)
{
    const int cin = static_cast<int>(in.cols());
    const int oh = h - 2, ow = w - 2;
    RowMat patches(oh * ow, 9 * cin);
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
            for (int dy = 0; dy < 3; ++dy)
                for (int dx = 0; dx < 3; ++dx)
                    patches.block(y * ow + x, (dy * 3 + dx) * cin, 1, cin) =
                        in.row((y + dy) * w + x + dx);
    RowMat out = (patches * kernel).rowwise() + bias;
    relu(out);
    return out;
}

RowMat maxPool2(const RowMat &in, int h, int w)
{
    const int oh = h / 2, ow = w / 2;
    RowMat out(oh * ow, in.cols());
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
            out.row(y * ow + x) = in.row(2 * y * w + 2 * x)
                                      .cwiseMax(in.row(2 * y * w + 2 * x + 1))
                                      .cwiseMax(in.row((2 * y + 1) * w + 2 * x))
                                      .cwiseMax(in.row((2 * y + 1) * w + 2 * x + 1));
    return out;
}

int argmax(const RowVec &v)
{
    Eigen::Index i = 0;
    v.maxCoeff(&i);
    return static_cast<int>(i);
}

bool contains(const std::vector<std::string> &v, const std::string &needle)
{
    return std::any_of(v.begin(), v.end(),
                       [&](const std::string &s) { return s.find(needle) != s.npos; });
}

} // namespace

class TestKeras : public QObject {
    Q_OBJECT

private slots:
    void listsMlpTensors();
    void listsCnnTensors();
    void recordsMetadataAndNotes();
    void opensWithCanonicalNames();
    void summarizesConfig_data();
    void summarizesConfig();
    void mlpForwardMatchesReference();
    void cnnForwardIsAccurate();
    void mappedBytesEqualHdf5Read_data();
    void mappedBytesEqualHdf5Read();
    void readsWeightsOnlyFile_data();
    void readsWeightsOnlyFile();
    void lazyLoadsAreThreadSafe();
    void rejectsBadInput_data();
    void rejectsBadInput();
    void rejectsTruncatedFile_data();
    void rejectsTruncatedFile();

private:
    QTemporaryDir tmp_;
    std::string tmpFile(const char *name) const
    {
        return tmp_.filePath(QString::fromUtf8(name)).toStdString();
    }
};

namespace {

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

struct Expected {
    const char *name;
    const char *shape;
};

void checkTensors(const cwb::Model &m, const std::string &path,
                  const std::vector<Expected> &expected)
{
    QCOMPARE(m.tensors.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const cwb::Tensor &t = m.tensors[i];
        QCOMPARE(q(t.name), QString::fromUtf8(expected[i].name));
        QCOMPARE(q(t.shapeString()), QString::fromUtf8(expected[i].shape));
        QCOMPARE(t.dtype, cwb::DType::F32);
        QCOMPARE(q(t.dtypeLabel), QStringLiteral("F32"));
        QCOMPARE(t.byteSize, static_cast<uint64_t>(t.numel()) * 4);
        QCOMPARE(q(t.file), q(path));
    }
}

std::string metaString(const cwb::Model &m, const char *key)
{
    const cwb::MetaValue *v = m.findMeta(key);
    return v ? v->s : std::string("<missing>");
}

std::vector<std::string> metaStrings(const cwb::Model &m, const char *key)
{
    std::vector<std::string> out;
    if (const cwb::MetaValue *v = m.findMeta(key))
        for (const auto &item : v->array)
            out.push_back(item.s);
    return out;
}

std::vector<float> pixels(const std::vector<unsigned char> &bytes)
{
    std::vector<float> x(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i)
        x[i] = static_cast<float>(bytes[i]) / 255.0f;
    return x;
}

struct Mnist {
    RowMat images; // 100 x 784, pixel / 255
    std::vector<int> labels;
};

Mnist loadMnist100(const std::string &imagesPath, const std::string &labelsPath)
{
    const auto img = pixels(readIdxGz(imagesPath, 2051, 4, 100, 784));
    const auto lab = readIdxGz(labelsPath, 2049, 2, 100, 1);
    return {Eigen::Map<const RowMat>(img.data(), 100, 784),
            std::vector<int>(lab.begin(), lab.end())};
}

const float kDenseValues[12] = {0.5f, -1, 2, 0.25f, 3, -4, 1.5f, 0, -0.5f, 8, 1, -2};
const int kIntValues[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

// A minimal full-model file: one Dense layer with a (4, 3) kernel.
FileSpec fullModelSpec()
{
    FileSpec s;
    s.rootStrings = {{"model_config",
                      R"({"class_name": "Sequential", "config": {"name": "s", "layers": )"
                      R"([{"class_name": "Dense", "config": {"name": "dense", "units": 3}}]}})"},
                     {"keras_version", "2.2.4"},
                     {"backend", "tensorflow"}};
    s.layerNames = {{"model_weights", {"dense"}}};
    s.weightNames = {{"model_weights/dense", {"dense/kernel:0"}}};
    s.datasets = {{"model_weights/dense/dense/kernel:0",
                   H5T_IEEE_F32LE,
                   H5T_NATIVE_FLOAT,
                   {4, 3},
                   kDenseValues}};
    return s;
}

// Writes the bad file of kind `kind` at `path` (or nothing, for "missing file").
void makeBadFile(const QString &kind, const std::string &path)
{
    FileSpec s = fullModelSpec();
    if (kind == u"text file") {
        writeBytes(path, "{\"not\": \"hdf5\"}\n");
        return;
    }
    if (kind == u"empty file") {
        writeBytes(path, "");
        return;
    }
    if (kind == u"missing file")
        return;
    if (kind == u"no keras groups") {
        s = FileSpec{};
        s.datasets = {{"foo/x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 3}, kDenseValues}};
    } else if (kind == u"model_weights without layer_names")
        s.layerNames.clear();
    else if (kind == u"layer group missing")
        s.layerNames = {{"model_weights", {"dense", "ghost"}}};
    else if (kind == u"weight_names missing") {
        s.layerNames = {{"model_weights", {"dense", "flat"}}};
        s.datasets.push_back(
            {"model_weights/flat/other", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 3}, kDenseValues});
    } else if (kind == u"dataset missing")
        s.weightNames = {{"model_weights/dense", {"dense/kernel:0", "dense/bias:0"}}};
    else if (kind == u"weight_names not strings")
        s.intWeightNames = true;
    else if (kind == u"int32 dataset")
        s.datasets[0] = {s.datasets[0].path, H5T_STD_I32LE, H5T_NATIVE_INT, {4, 3}, kIntValues};
    else if (kind == u"big-endian float32")
        s.datasets[0].fileType = H5T_IEEE_F32BE;
    else if (kind == u"overflowing shape")
        s.datasets[0] = {s.datasets[0].path,
                         H5T_IEEE_F32LE,
                         H5T_NATIVE_FLOAT,
                         {hsize_t(1) << 31, hsize_t(1) << 31},
                         nullptr,
                         true};
    else if (kind == u"invalid model_config")
        s.rootStrings[0].second = R"({"class_name": "Sequential", "config": [)";
    else if (kind == u"no weights at all") {
        s.layerNames = {{"model_weights", {"dropout"}}};
        s.weightNames = {{"model_weights/dropout", {}}};
        s.datasets.clear();
    } else
        QFAIL(qPrintable(QStringLiteral("unknown kind ") + kind));
    writeH5(path, s);
}

} // namespace

void TestKeras::listsMlpTensors()
{
    CWB_SHARED_FILE(path, "models/keras-mnist-mlp/mnist_mlp.h5");
    const cwb::Model m = cwb::io::readKerasH5(path);
    checkTensors(m, path,
                 {{"dense/dense_3/kernel:0", "784 x 128"},
                  {"dense/dense_3/bias:0", "128"},
                  {"dense_1/dense_1_1/kernel:0", "128 x 10"},
                  {"dense_1/dense_1_1/bias:0", "10"}});
}

void TestKeras::listsCnnTensors()
{
    CWB_SHARED_FILE(path, "models/keras-mnist-cnn/mnist_cnn.h5");
    const cwb::Model m = cwb::io::readKerasH5(path);
    checkTensors(m, path,
                 {{"conv2d_1/conv2d_1/kernel:0", "3 x 3 x 1 x 32"},
                  {"conv2d_1/conv2d_1/bias:0", "32"},
                  {"conv2d_2/conv2d_2/kernel:0", "3 x 3 x 32 x 32"},
                  {"conv2d_2/conv2d_2/bias:0", "32"},
                  {"conv2d_3/conv2d_3/kernel:0", "3 x 3 x 32 x 64"},
                  {"conv2d_3/conv2d_3/bias:0", "64"},
                  {"conv2d_4/conv2d_4/kernel:0", "3 x 3 x 64 x 64"},
                  {"conv2d_4/conv2d_4/bias:0", "64"},
                  {"dense_1/dense_1/kernel:0", "1024 x 200"},
                  {"dense_1/dense_1/bias:0", "200"},
                  {"dense_2/dense_2/kernel:0", "200 x 200"},
                  {"dense_2/dense_2/bias:0", "200"},
                  {"dense_3/dense_3/kernel:0", "200 x 10"},
                  {"dense_3/dense_3/bias:0", "10"}});
}

void TestKeras::recordsMetadataAndNotes()
{
    CWB_SHARED_FILE(mlpPath, "models/keras-mnist-mlp/mnist_mlp.h5");
    CWB_SHARED_FILE(cnnPath, "models/keras-mnist-cnn/mnist_cnn.h5");
    const cwb::Model mlp = cwb::io::readKerasH5(mlpPath);
    QCOMPARE(q(mlp.architecture), QStringLiteral("keras Sequential"));
    QCOMPARE(mlp.format, cwb::ModelFormat::KerasH5);
    QCOMPARE(mlp.family, cwb::ArchFamily::Generic);
    QCOMPARE(q(metaString(mlp, "keras_version")), QStringLiteral("2.2.4-tf"));
    QCOMPARE(q(metaString(mlp, "backend")), QStringLiteral("tensorflow"));
    QCOMPARE(q(metaString(mlp, "model_config.input_shape")), QStringLiteral("28 x 28"));
    const auto mlpLayers = metaStrings(mlp, "model_config.layers");
    QCOMPARE(mlpLayers.size(), 4u);
    QCOMPARE(q(mlpLayers[0]), QStringLiteral("Flatten flatten"));
    QCOMPARE(q(mlpLayers[1]), QStringLiteral("Dense dense (128 units, relu)"));
    QCOMPARE(q(mlpLayers[2]), QStringLiteral("Dropout dropout (rate 0.2)"));
    QCOMPARE(q(mlpLayers[3]), QStringLiteral("Dense dense_1 (10 units, softmax)"));
    QVERIFY(contains(mlp.notes, "(in, out)"));
    QVERIFY(!contains(mlp.notes, "HWIO"));
    QVERIFY(contains(mlp.notes, "optimizer"));

    const cwb::Model cnn = cwb::io::readKerasH5(cnnPath);
    QCOMPARE(q(cnn.architecture), QStringLiteral("keras Sequential"));
    QCOMPARE(q(metaString(cnn, "keras_version")), QStringLiteral("2.1.3"));
    QCOMPARE(q(metaString(cnn, "model_config.input_shape")), QStringLiteral("28 x 28 x 1"));
    const auto cnnLayers = metaStrings(cnn, "model_config.layers");
    QCOMPARE(cnnLayers.size(), 11u);
    QCOMPARE(q(cnnLayers[0]),
             QStringLiteral("Conv2D conv2d_1 (32 filters, kernel 3x3, valid, relu)"));
    QCOMPARE(q(cnnLayers[2]),
             QStringLiteral("MaxPooling2D max_pooling2d_1 (pool 2x2, stride 2x2, valid)"));
    QCOMPARE(q(cnnLayers[10]), QStringLiteral("Dense dense_3 (10 units, softmax)"));
    QVERIFY(contains(cnn.notes, "(in, out)"));
    QVERIFY(contains(cnn.notes, "HWIO"));
    QCOMPARE(cnn.files.size(), 1u);
}

void TestKeras::opensWithCanonicalNames()
{
    // openModel detects the HDF5 signature and runs the architecture adapter over our names.
    CWB_SHARED_FILE(mlpPath, "models/keras-mnist-mlp/mnist_mlp.h5");
    CWB_SHARED_FILE(cnnPath, "models/keras-mnist-cnn/mnist_cnn.h5");
    QCOMPARE(cwb::io::detectFormat(mlpPath), cwb::io::DetectedFormat::KerasH5);
    const cwb::Model mlp = cwb::io::openModel(mlpPath);
    QCOMPARE(mlp.family, cwb::ArchFamily::Generic);
    QStringList canonical;
    for (const auto &t : mlp.tensors)
        canonical << q(t.canonical);
    QCOMPARE(canonical,
             QStringList({QStringLiteral("dense.kernel"), QStringLiteral("dense.bias"),
                          QStringLiteral("dense_1.kernel"), QStringLiteral("dense_1.bias")}));
    QCOMPARE(q(mlp.findTensor("dense_1.kernel")->name),
             QStringLiteral("dense_1/dense_1_1/kernel:0"));
    QCOMPARE(mlp.totals().parameters, 784 * 128 + 128 + 128 * 10 + 10);

    const cwb::Model cnn = cwb::io::openModel(cnnPath);
    QCOMPARE(q(cnn.tensors.front().canonical), QStringLiteral("conv2d_1.kernel"));
    QCOMPARE(q(cnn.tensors.back().canonical), QStringLiteral("dense_3.bias"));
    QCOMPARE(cnn.totals().unknownTensors, 0);
}

void TestKeras::summarizesConfig_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("className");
    QTest::addColumn<QString>("modelName");
    QTest::addColumn<QString>("inputShape");
    QTest::addColumn<QString>("layers"); // joined with " | "
    QTest::addColumn<QString>("error");  // expected part of the error, empty when it parses

    QTest::newRow("keras 2.1 layer list") << QStringLiteral(
        R"({"class_name": "Sequential", "config": [{"class_name": "Conv2D", "config": )"
        R"({"name": "c1", "filters": 8, "kernel_size": [5, 5], "strides": [2, 2], )"
        R"("padding": "same", "activation": "linear", "batch_input_shape": [null, 32, 32, 3]}}, )"
        R"({"class_name": "Dropout", "config": {"name": "d", "rate": 0.5}}]})")
                                          << "Sequential"
                                          << ""
                                          << "32 x 32 x 3"
                                          << "Conv2D c1 (8 filters, kernel 5x5, stride 2x2, same) "
                                             "| Dropout d (rate 0.5)"
                                          << "";
    QTest::newRow("functional, keras 3 batch_shape") << QStringLiteral(
        R"({"class_name": "Functional", "config": {"name": "m", "layers": [)"
        R"({"class_name": "InputLayer", "name": "inp", "config": {"batch_shape": [null, 784]}}, )"
        R"({"class_name": "Dense", "name": "fc", "config": {"name": "fc", "units": 10}}]}})")
                                                     << "Functional"
                                                     << "m"
                                                     << "784"
                                                     << "InputLayer inp | Dense fc (10 units)"
                                                     << "";
    QTest::newRow("odd field types are shown, not trusted") << QStringLiteral(
        R"({"class_name": "Model", "config": {"layers": [7, {"class_name": 3, "config": )"
        R"({"units": "many", "kernel_size": 3, "padding": 1}}]}})")
                                                            << "Model"
                                                            << ""
                                                            << ""
                                                            << R"x(? | ? ("many" units, kernel 3))x"
                                                            << "";
    QTest::newRow("truncated JSON")
        << QStringLiteral(R"({"class_name": "Sequential", "config": [)") << ""
        << ""
        << ""
        << ""
        << "not valid JSON (at byte";
    QTest::newRow("no class_name") << QStringLiteral(R"({"config": []})") << ""
                                   << ""
                                   << ""
                                   << ""
                                   << "no \"class_name\"";
    QTest::newRow("no layer list")
        << QStringLiteral(R"({"class_name": "Model", "config": {"name": "x"}})") << ""
        << ""
        << ""
        << ""
        << "no layer list";
    QTest::newRow("not an object") << QStringLiteral(R"([1, 2])") << ""
                                   << ""
                                   << ""
                                   << ""
                                   << "no \"class_name\"";
}

void TestKeras::summarizesConfig()
{
    QFETCH(QString, json);
    QFETCH(QString, className);
    QFETCH(QString, modelName);
    QFETCH(QString, inputShape);
    QFETCH(QString, layers);
    QFETCH(QString, error);
    if (!error.isEmpty()) {
        const std::string msg =
            errorOf([&] { (void)cwb::io::summarizeKerasConfig(json.toStdString(), "cfg"); });
        QVERIFY2(msg.starts_with("cfg: ") && msg.find(error.toStdString()) != std::string::npos,
                 msg.c_str());
        return;
    }
    const auto s = cwb::io::summarizeKerasConfig(json.toStdString(), "cfg");
    QCOMPARE(q(s.className), className);
    QCOMPARE(q(s.modelName), modelName);
    QCOMPARE(q(s.inputShape), inputShape);
    QStringList got;
    for (const auto &l : s.layers)
        got << q(l);
    QCOMPARE(got.join(QStringLiteral(" | ")), layers);
}

void TestKeras::mlpForwardMatchesReference()
{
    CWB_SHARED_FILE(modelPath, "models/keras-mnist-mlp/mnist_mlp.h5");
    CWB_SHARED_FILE(imagesPath, "data/mnist/t10k-images-idx3-ubyte.gz");
    CWB_SHARED_FILE(labelsPath, "data/mnist/t10k-labels-idx1-ubyte.gz");
    CWB_SHARED_FILE(refPath, "reference/keras_mnist_reference.json");
    const auto ref = nlohmann::json::parse(std::ifstream(refPath))["mnist_mlp.h5"];
    const Mnist mnist = loadMnist100(imagesPath, labelsPath);
    const cwb::Model m = cwb::io::readKerasH5(modelPath);

    // Flatten -> Dense 128 relu -> (Dropout: identity at inference) -> Dense 10 softmax.
    RowMat h = (mnist.images * matrixOf(m, "dense/dense_3/kernel:0", 784, 128)).rowwise()
        + biasOf(m, "dense/dense_3/bias:0", 128);
    relu(h);
    RowMat z = (h * matrixOf(m, "dense_1/dense_1_1/kernel:0", 128, 10)).rowwise()
        + biasOf(m, "dense_1/dense_1_1/bias:0", 10);
    int correct = 0;
    for (int i = 0; i < 100; ++i) {
        RowVec p = (z.row(i).array() - z.row(i).maxCoeff()).exp();
        p /= p.sum();
        const int pred = argmax(p);
        correct += pred == mnist.labels[i];
        if (i < 10)
            QCOMPARE(pred, ref["first10_pred"][i].get<int>());
        if (i == 0)
            for (int k = 0; k < 10; ++k)
                QVERIFY2(
                    std::abs(p[k] - ref["softmax_image0"][k].get<double>()) <= 1e-5,
                    qPrintable(QStringLiteral("softmax[%1] = %2").arg(k).arg(p[k], 0, 'g', 8)));
    }
    qInfo("Keras MLP accuracy on the first 100 MNIST test images: %.2f (full-set reference %.4f)",
          correct / 100.0, ref["test_accuracy"].get<double>());
    QVERIFY(correct >= 95);
}

void TestKeras::cnnForwardIsAccurate()
{
    CWB_SHARED_FILE(modelPath, "models/keras-mnist-cnn/mnist_cnn.h5");
    CWB_SHARED_FILE(imagesPath, "data/mnist/t10k-images-idx3-ubyte.gz");
    CWB_SHARED_FILE(labelsPath, "data/mnist/t10k-labels-idx1-ubyte.gz");
    const Mnist mnist = loadMnist100(imagesPath, labelsPath);
    const cwb::Model m = cwb::io::readKerasH5(modelPath);
    const auto kernel = [&](int layer, int cin, int cout) {
        const std::string n = "conv2d_" + std::to_string(layer);
        return std::pair(matrixOf(m, n + "/" + n + "/kernel:0", 9 * cin, cout),
                         biasOf(m, n + "/" + n + "/bias:0", cout));
    };
    const auto [k1, b1] = kernel(1, 1, 32);
    const auto [k2, b2] = kernel(2, 32, 32);
    const auto [k3, b3] = kernel(3, 32, 64);
    const auto [k4, b4] = kernel(4, 64, 64);
    const RowMat d1 = matrixOf(m, "dense_1/dense_1/kernel:0", 1024, 200);
    const RowMat d2 = matrixOf(m, "dense_2/dense_2/kernel:0", 200, 200);
    const RowMat d3 = matrixOf(m, "dense_3/dense_3/kernel:0", 200, 10);
    const RowVec c1 = biasOf(m, "dense_1/dense_1/bias:0", 200);
    const RowVec c2 = biasOf(m, "dense_2/dense_2/bias:0", 200);
    const RowVec c3 = biasOf(m, "dense_3/dense_3/bias:0", 10);

    int correct = 0;
    for (int i = 0; i < 100; ++i) {
        const RowMat x = Eigen::Map<const RowMat>(mnist.images.row(i).data(), 28 * 28, 1);
        const RowMat a2 = conv3x3Relu(conv3x3Relu(x, 28, 28, k1, b1), 26, 26, k2, b2);  // 24x24x32
        const RowMat p1 = maxPool2(a2, 24, 24);                                         // 12x12x32
        const RowMat a4 = conv3x3Relu(conv3x3Relu(p1, 12, 12, k3, b3), 10, 10, k4, b4); // 8x8x64
        const RowMat p2 = maxPool2(a4, 8, 8);                                           // 4x4x64
        // Flatten in channels_last order: the row-major (h*w, c) matrix already is (h, w, c).
        RowMat h1 = Eigen::Map<const RowVec>(p2.data(), 1024) * d1 + c1;
        relu(h1);
        RowMat h2 = h1 * d2 + c2;
        relu(h2);
        correct += argmax(h2 * d3 + c3) == mnist.labels[i];
    }
    qInfo("Keras CNN accuracy on the first 100 MNIST test images: %.2f (full-set reference 0.9955)",
          correct / 100.0);
    QVERIFY(correct >= 98);
}

void TestKeras::mappedBytesEqualHdf5Read_data()
{
    QTest::addColumn<QString>("asset");
    QTest::newRow("mlp") << QStringLiteral("models/keras-mnist-mlp/mnist_mlp.h5");
    QTest::newRow("cnn") << QStringLiteral("models/keras-mnist-cnn/mnist_cnn.h5");
}

void TestKeras::mappedBytesEqualHdf5Read()
{
    QFETCH(QString, asset);
    CWB_SHARED_FILE(path, asset.toUtf8().constData());
    const cwb::Model m = cwb::io::readKerasH5(path);
    QVERIFY(!m.tensors.empty());
    cwb::h5::Hdf5Lock lock;
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    QVERIFY(file.id >= 0);
    for (const auto &t : m.tensors) {
        QVERIFY2(!t.loader && t.data.size() == t.byteSize, t.name.c_str()); // contiguous: a view
        Id ds(H5Dopen2(file, ("/model_weights/" + t.name).c_str(), H5P_DEFAULT));
        QVERIFY2(ds.id >= 0, t.name.c_str());
        QCOMPARE(t.fileOffset, static_cast<uint64_t>(H5Dget_offset(ds)));
        Id type(H5Dget_type(ds));
        std::vector<std::byte> expected(t.byteSize);
        QVERIFY(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, expected.data()) >= 0);
        QVERIFY2(std::memcmp(t.data.data(), expected.data(), expected.size()) == 0, t.name.c_str());
        QVERIFY(t.copyBytes() == expected);
    }
}

void TestKeras::readsWeightsOnlyFile_data()
{
    QTest::addColumn<int>("userblock");
    QTest::newRow("plain") << 0;
    // A user block shifts every HDF5 address; mapped views must still land on the data.
    QTest::newRow("512-byte user block") << 512;
}

void TestKeras::readsWeightsOnlyFile()
{
    QFETCH(int, userblock);
    const WeightsOnlyValues v;
    const std::string path = tmpFile("weights_only.h5");
    FileSpec spec = weightsOnlySpec(v);
    spec.userblock = static_cast<hsize_t>(userblock);
    writeH5(path, spec);

    const cwb::Model m = cwb::io::readKerasH5(path);
    QCOMPARE(q(m.architecture), QStringLiteral("keras weights"));
    QCOMPARE(q(metaString(m, "keras_version")), QStringLiteral("2.3.1"));
    QCOMPARE(metaStrings(m, "layer_names"),
             (std::vector<std::string>{"dense_a", "dropout", "conv"}));
    QCOMPARE(m.tensors.size(), 3u);

    const cwb::Tensor &kernel = m.tensors[0];
    QCOMPARE(q(kernel.name), QStringLiteral("dense_a/dense_a/kernel:0"));
    QCOMPARE(q(kernel.shapeString()), QStringLiteral("40 x 24"));
    QCOMPARE(kernel.dtype, cwb::DType::F32);
    QVERIFY(kernel.loader && kernel.data.empty()); // chunked + deflate: read through HDF5
    QCOMPARE(kernel.toFloat(), v.kernel);

    const cwb::Tensor &bias = m.tensors[1];
    QCOMPARE(q(bias.name), QStringLiteral("dense_a/dense_a/bias:0"));
    QCOMPARE(bias.dtype, cwb::DType::F64);
    QCOMPARE(bias.byteSize, 24u * 8);
    QVERIFY(!bias.loader && bias.data.size() == bias.byteSize);
    QVERIFY(bias.fileOffset >= static_cast<uint64_t>(userblock));
    QVERIFY(std::memcmp(bias.data.data(), v.bias.data(), bias.byteSize) == 0);
    const auto biasFloats = bias.toFloat();
    for (size_t i = 0; i < v.bias.size(); ++i)
        QCOMPARE(biasFloats[i], static_cast<float>(v.bias[i]));

    const cwb::Tensor &conv = m.tensors[2];
    QCOMPARE(q(conv.name), QStringLiteral("conv/conv/kernel:0"));
    QCOMPARE(conv.dtype, cwb::DType::F16);
    QCOMPARE(q(conv.shapeString()), QStringLiteral("3 x 3 x 2 x 4"));
    QVERIFY(!conv.loader && conv.data.size() == 72u * 2);
    QCOMPARE(conv.toFloat(), v.conv);

    QVERIFY(contains(m.notes, "Weights-only"));
    QVERIFY(contains(m.notes, "(in, out)"));
    QVERIFY(contains(m.notes, "HWIO"));
    QVERIFY(contains(m.notes, "chunked or compressed"));
}

void TestKeras::lazyLoadsAreThreadSafe()
{
    CWB_SHARED_FILE(mlpPath, "models/keras-mnist-mlp/mnist_mlp.h5");
    // Two chunked, compressed tensors of 256 chunks each, so loads keep HDF5 busy long enough
    // for threads to overlap inside it.
    std::vector<float> a(128 * 128), b(128 * 128);
    for (size_t i = 0; i < a.size(); ++i) {
        a[i] = std::sin(0.01f * static_cast<float>(i));
        b[i] = std::cos(0.03f * static_cast<float>(i));
    }
    FileSpec spec;
    spec.layerNames = {{"/", {"a", "b"}}};
    spec.weightNames = {{"a", {"a/kernel:0"}}, {"b", {"b/kernel:0"}}};
    spec.datasets = {
        {"a/a/kernel:0", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {128, 128}, a.data(), true},
        {"b/b/kernel:0", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {128, 128}, b.data(), true}};
    const std::string path = tmpFile("threads.h5");
    writeH5(path, spec);
    const std::string truncated = tmpFile("threads_truncated.h5");
    copyTruncated(mlpPath, truncated, 4096);
    const cwb::Model m = cwb::io::readKerasH5(path);
    QVERIFY(m.tensors[0].loader && m.tensors[1].loader);

    // Without the lock, a libhdf5 built without --enable-threadsafe corrupts its state or crashes
    // here. Failing opens on worker threads must stay silent too: a thread-safe libhdf5 keeps its
    // "print errors" switch per thread, so each lock has to turn it off again.
    std::atomic<int> failures{0};
    const std::string err = stderrOf(
        [&] {
            std::vector<std::thread> threads;
            for (int t = 0; t < 4; ++t)
                threads.emplace_back([&, t] {
                    for (int i = 0; i < 6; ++i) {
                        try {
                            const cwb::Tensor &tensor = m.tensors[(i + t) % 2];
                            if (tensor.toFloat() != ((i + t) % 2 ? b : a))
                                ++failures;
                            if (cwb::io::readKerasH5(mlpPath).tensors.size() != 4)
                                ++failures;
                        } catch (const std::exception &) {
                            ++failures;
                        }
                        if (errorOf([&] {
                                (void)cwb::io::readKerasH5(truncated);
                            }).find("truncated")
                            == std::string::npos)
                            ++failures;
                    }
                });
            for (auto &th : threads)
                th.join();
        },
        tmpFile("stderr.txt"));
    QCOMPARE(failures.load(), 0);
    QVERIFY2(err.empty(), ("HDF5 wrote to stderr: " + err).c_str());
}

void TestKeras::rejectsBadInput_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("hasOffset");
    QTest::newRow("text file") << "text file"
                               << "not an HDF5 file" << true;
    QTest::newRow("empty file") << "empty file"
                                << "not an HDF5 file" << true;
    QTest::newRow("missing file") << "missing file"
                                  << "cannot open" << false;
    QTest::newRow("no keras groups") << "no keras groups"
                                     << "not a Keras model" << true;
    QTest::newRow("model_weights without layer_names") << "model_weights without layer_names"
                                                       << "no @layer_names attribute" << true;
    QTest::newRow("layer group missing") << "layer group missing"
                                         << "lists 'ghost' but there is no such group" << true;
    QTest::newRow("weight_names missing") << "weight_names missing"
                                          << "no @weight_names attribute" << true;
    QTest::newRow("dataset missing") << "dataset missing"
                                     << "lists 'dense/bias:0' but there is no such dataset" << true;
    QTest::newRow("weight_names not strings") << "weight_names not strings"
                                              << "is not a string" << true;
    QTest::newRow("int32 dataset") << "int32 dataset"
                                   << "unsupported dataset type (signed 32-bit integer)" << true;
    QTest::newRow("big-endian float32") << "big-endian float32"
                                        << "big-endian 32-bit float data is not supported" << true;
    QTest::newRow("overflowing shape") << "overflowing shape"
                                       << "overflows a 64-bit byte count" << true;
    QTest::newRow("invalid model_config") << "invalid model_config"
                                          << "model_config is not valid JSON" << false;
    QTest::newRow("no weights at all") << "no weights at all"
                                       << "holds no weight datasets" << true;
}

void TestKeras::rejectsBadInput()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QFETCH(bool, hasOffset);
    // The stderr check below means something only if the capture sees writes to fd 2.
    QCOMPARE(q(stderrOf([] { std::fputs("seen", stderr); }, tmpFile("stderr.txt"))),
             QStringLiteral("seen"));
    const std::string path = tmpFile("bad.h5");
    std::filesystem::remove(path);
    makeBadFile(kind, path);
    std::string msg;
    const std::string err = stderrOf(
        [&] { msg = errorOf([&] { (void)cwb::io::readKerasH5(path); }); }, tmpFile("stderr.txt"));
    QVERIFY2(!msg.empty(), "no cwb::Error thrown");
    QVERIFY2(msg.starts_with(path + ": "), msg.c_str());
    QVERIFY2(msg.find(expected.toStdString()) != std::string::npos, msg.c_str());
    QVERIFY2(!hasOffset || msg.find(": offset ") != std::string::npos, msg.c_str());
    QVERIFY2(err.empty(), ("HDF5 wrote to stderr: " + err).c_str());
    qInfo("%s", msg.c_str());
}

void TestKeras::rejectsTruncatedFile_data()
{
    QTest::addColumn<qint64>("keep"); // bytes kept; negative: bytes cut from the end
    QTest::newRow("signature cut") << qint64(4);
    QTest::newRow("superblock cut") << qint64(60);
    QTest::newRow("2 KiB") << qint64(2048);
    QTest::newRow("inside the first kernel") << qint64(200000);
    QTest::newRow("one byte short") << qint64(-1);
}

void TestKeras::rejectsTruncatedFile()
{
    QFETCH(qint64, keep);
    CWB_SHARED_FILE(source, "models/keras-mnist-mlp/mnist_mlp.h5");
    const auto size = static_cast<qint64>(std::filesystem::file_size(source));
    const std::string path = tmpFile("truncated.h5");
    copyTruncated(source, path, static_cast<uint64_t>(keep >= 0 ? keep : size + keep));
    std::string msg;
    const std::string err = stderrOf(
        [&] { msg = errorOf([&] { (void)cwb::io::readKerasH5(path); }); }, tmpFile("stderr.txt"));
    QVERIFY2(msg.starts_with(path + ": "), msg.c_str());
    QVERIFY2(msg.find("not an HDF5 file") != std::string::npos
                 || msg.find("truncated") != std::string::npos,
             msg.c_str());
    QVERIFY2(err.empty(), ("HDF5 wrote to stderr: " + err).c_str());
    qInfo("%s", msg.c_str());
}

QTEST_GUILESS_MAIN(TestKeras)
#include "test_keras.moc"
