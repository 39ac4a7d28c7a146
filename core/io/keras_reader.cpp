// SPDX-License-Identifier: MIT
#include "io/keras_reader.h"

#include "h5/fixed_strings.h"
#include "h5/variable_strings.h"
#include "h5/h5_id.h"
#include "h5/hdf5_error.h"
#include "h5/hdf5_lock.h"
#include "util/error.h"
#include "util/mapped_file.h"

#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <bit>
#include <new>
#include <optional>
#include <utility>

namespace cwb::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "tensor views assume the host reads little-endian data as stored");

using nlohmann::json;

// Reads one open Keras file. Every failure names the file, the HDF5 object and, where the file
// tells us, the byte offset of that object's header or data.
class KerasFile {
public:
    KerasFile(std::string path, std::shared_ptr<const MappedFile> mapped)
        : path_(std::move(path)), mapped_(std::move(mapped))
    {
        if (H5Fis_hdf5(path_.c_str()) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            throwAt(path_, 0, "not an HDF5 file (no HDF5 signature at offset 0, 512, 1024, ...)");
        }
        file_ = h5::Id(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
        if (!file_.valid())
            throwIn(path_, "cannot open as HDF5: " + h5::hdf5ErrorText());
    }

    [[nodiscard]] hid_t file() const { return file_.get(); }
    [[nodiscard]] const std::string &path() const { return path_; }
    [[nodiscard]] uint64_t fileSize() const { return mapped_->size(); }

    [[noreturn]] void fail(const std::string &object, const std::string &what) const
    {
        if (const auto addr = objectAddress(object))
            throwAt(path_, *addr, "'" + object + "' (object header): " + what);
        throwIn(path_, "'" + object + "': " + what);
    }
    [[noreturn]] void failHdf5(const std::string &object, const std::string &what) const
    {
        const std::string detail = h5::hdf5ErrorText();
        fail(object, what + ": " + detail);
    }

    [[nodiscard]] bool hasLink(hid_t loc, const std::string &name) const
    {
        const htri_t r = H5Lexists(loc, name.c_str(), H5P_DEFAULT);
        H5Eclear2(H5E_DEFAULT);
        return r > 0;
    }

    [[nodiscard]] h5::Id openGroup(hid_t loc, const std::string &name, const std::string &object) const
    {
        h5::Id g(H5Gopen2(loc, name.c_str(), H5P_DEFAULT));
        if (!g.valid())
            failHdf5(object, "cannot open group");
        return g;
    }

    [[nodiscard]] bool hasAttribute(hid_t obj, const char *name) const
    {
        const htri_t r = H5Aexists(obj, name);
        H5Eclear2(H5E_DEFAULT);
        return r > 0;
    }

    // A string-array attribute (fixed- or variable-length strings). An empty array of any type
    // is an empty list: Keras writes weight_names of weightless layers as an empty float64 array.
    [[nodiscard]] std::vector<std::string> readStrings(hid_t obj, const char *name,
                                                       const std::string &object) const
    {
        const std::string what = std::string("attribute @") + name;
        h5::Id attr(H5Aopen(obj, name, H5P_DEFAULT));
        if (!attr.valid())
            failHdf5(object, "cannot open " + what);
        h5::Id type(H5Aget_type(attr.get()));
        h5::Id space(H5Aget_space(attr.get()));
        if (!type.valid() || !space.valid())
            failHdf5(object, "cannot read the type of " + what);
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        if (n < 0)
            failHdf5(object, "cannot read the size of " + what);
        if (n == 0)
            return {};
        if (H5Tget_class(type.get()) != H5T_STRING)
            fail(object, what + " is not a string or string array");
        // Every string takes at least one byte of the file, so more strings than bytes is corrupt.
        if (static_cast<uint64_t>(n) > fileSize())
            fail(object,
                 what + " claims " + std::to_string(n) + " strings, more than the file has bytes");
        const htri_t isVariable = H5Tis_variable_str(type.get());
        if (isVariable < 0)
            failHdf5(object, "cannot read the string type of " + what);
        std::vector<std::string> out;
        out.reserve(static_cast<size_t>(n));
        if (isVariable) { // in a child process (h5/variable_strings.h)
            std::string error;
            auto strings = h5::readVariableStrings(
                type.get(), static_cast<size_t>(n),
                [&](hid_t mem, void *buf) { return H5Aread(attr.get(), mem, buf); }, error);
            if (!strings)
                fail(object, "cannot read " + what + ": " + error);
            out = std::move(*strings);
        } else {
            const size_t size = H5Tget_size(type.get());
            if (size == 0 || static_cast<uint64_t>(n) > fileSize() / size)
                fail(object,
                     what + " claims " + std::to_string(n) + " strings of " + std::to_string(size)
                         + " bytes, more than the file holds");
            std::vector<char> buf(static_cast<size_t>(n) * size);
            if (H5Aread(attr.get(), type.get(), buf.data()) < 0)
                failHdf5(object, "cannot read " + what);
            out = h5::fixedLengthStrings(buf.data(), static_cast<size_t>(n), size,
                                         H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD);
        }
        return out;
    }

    [[nodiscard]] std::optional<std::string> readString(hid_t obj, const char *name,
                                                        const std::string &object) const
    {
        if (!hasAttribute(obj, name))
            return std::nullopt;
        auto v = readStrings(obj, name, object);
        if (v.size() != 1)
            fail(object,
                 std::string("attribute @") + name + " holds " + std::to_string(v.size())
                     + " strings, expected one");
        return std::move(v.front());
    }

private:
    // Address of an object's header: HDF5 1.10 reports it; later versions hand out opaque tokens.
    [[nodiscard]] std::optional<uint64_t> objectAddress(const std::string &object) const
    {
#if H5_VERSION_GE(1, 12, 0)
        (void)object;
        return std::nullopt;
#else
        H5O_info_t info{};
        const herr_t r =
            H5Oget_info_by_name2(file_.get(), object.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT);
        H5Eclear2(H5E_DEFAULT);
        if (r < 0 || info.addr == HADDR_UNDEF)
            return std::nullopt;
        return static_cast<uint64_t>(info.addr);
#endif
    }

    std::string path_;
    std::shared_ptr<const MappedFile> mapped_;
    h5::Id file_;
};

// The element type of a dataset, or a failure naming why it is not a tensor we read.
DType datasetDType(const KerasFile &kf, hid_t type, const std::string &object)
{
    const H5T_class_t cls = H5Tget_class(type);
    const size_t size = H5Tget_size(type);
    if (cls != H5T_FLOAT) {
        std::string desc;
        switch (cls) {
        case H5T_INTEGER:
            desc = std::string(H5Tget_sign(type) == H5T_SGN_NONE ? "unsigned " : "signed ")
                + std::to_string(size * 8) + "-bit integer";
            break;
        case H5T_STRING: desc = "string"; break;
        case H5T_COMPOUND: desc = "compound"; break;
        case H5T_ENUM: desc = "enum"; break;
        case H5T_ARRAY: desc = "array"; break;
        case H5T_VLEN: desc = "variable-length"; break;
        case H5T_BITFIELD: desc = "bitfield"; break;
        case H5T_OPAQUE: desc = "opaque"; break;
        case H5T_REFERENCE: desc = "reference"; break;
        default: desc = "unknown class"; break;
        }
        kf.fail(object,
                "unsupported dataset type (" + desc
                    + "): only float16, float32 and float64 datasets are read as tensors");
    }
    struct Ieee {
        DType dtype;
        size_t spos, epos, esize, mpos, msize, ebias;
    };
    static constexpr Ieee kIeee[] = {
        {DType::F16, 15, 10, 5, 0, 10, 15},
        {DType::F32, 31, 23, 8, 0, 23, 127},
        {DType::F64, 63, 52, 11, 0, 52, 1023},
    };
    const std::string bits = std::to_string(size * 8) + "-bit float";
    for (const auto &f : kIeee) {
        if (dtypeInfo(f.dtype).blockBytes != static_cast<int>(size))
            continue;
        const H5T_order_t order = H5Tget_order(type);
        if (order == H5T_ORDER_BE)
            kf.fail(object, "big-endian " + bits + " data is not supported (only little-endian)");
        if (order != H5T_ORDER_LE)
            kf.fail(object, bits + " data has a byte order other than little-endian");
        size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
        if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0)
            kf.failHdf5(object, "cannot read the float layout");
        if (spos != f.spos || epos != f.epos || esize != f.esize || mpos != f.mpos
            || msize != f.msize || H5Tget_ebias(type) != f.ebias || H5Tget_offset(type) != 0)
            kf.fail(object, bits + " data is not in IEEE 754 layout");
        return f.dtype;
    }
    kf.fail(object, "unsupported dataset type (" + bits + "): only float16, float32 and float64");
}

// Reads a whole dataset through HDF5 (chunked, filtered, compact or unallocated storage).
std::vector<std::byte> readDatasetBytes(const std::string &path, const std::string &object,
                                        uint64_t expectedBytes)
{
    h5::Hdf5Lock lock;
    h5::Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!file.valid())
        throwIn(path, "cannot open as HDF5 to read '" + object + "': " + h5::hdf5ErrorText());
    h5::Id ds(H5Dopen2(file.get(), object.c_str(), H5P_DEFAULT));
    if (!ds.valid())
        throwIn(path, "'" + object + "': cannot open dataset: " + h5::hdf5ErrorText());
    h5::Id type(H5Dget_type(ds.get()));
    h5::Id space(H5Dget_space(ds.get()));
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    const size_t elem = type.valid() ? H5Tget_size(type.get()) : 0;
    if (n < 0 || elem == 0 || static_cast<uint64_t>(n) * elem != expectedBytes)
        throwIn(path,
                "'" + object + "': dataset changed since the file was opened (expected "
                    + std::to_string(expectedBytes) + " bytes)");
    std::vector<std::byte> out;
    try {
        out.resize(static_cast<size_t>(expectedBytes));
    } catch (const std::bad_alloc &) {
        throwIn(path,
                "'" + object + "': cannot allocate " + std::to_string(expectedBytes)
                    + " bytes to read the dataset");
    }
    // The file type is the memory type: the reader accepted only little-endian IEEE floats,
    // which is what this host holds, so HDF5 only has to decompress and gather chunks.
    if (H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
        throwIn(path, "'" + object + "': cannot read dataset: " + h5::hdf5ErrorText());
    return out;
}

Tensor readDataset(const KerasFile &kf, const std::shared_ptr<const MappedFile> &mapped,
                   const std::string &object, std::string name)
{
    h5::Id ds(H5Dopen2(kf.file(), object.c_str(), H5P_DEFAULT));
    if (!ds.valid())
        kf.failHdf5(object, "listed in @weight_names but cannot be opened as a dataset");
    h5::Id type(H5Dget_type(ds.get()));
    h5::Id space(H5Dget_space(ds.get()));
    h5::Id dcpl(H5Dget_create_plist(ds.get()));
    if (!type.valid() || !space.valid() || !dcpl.valid())
        kf.failHdf5(object, "cannot read the dataset's type, shape or storage");

    Tensor t;
    t.name = std::move(name);
    t.dtype = datasetDType(kf, type.get(), object);
    t.dtypeLabel = std::string(dtypeName(t.dtype));
    t.file = kf.path();

    const H5S_class_t spaceClass = H5Sget_simple_extent_type(space.get());
    if (spaceClass == H5S_NULL)
        kf.fail(object, "dataset has no data (null dataspace)");
    if (spaceClass == H5S_SIMPLE) {
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (rank < 0 || rank > H5S_MAX_RANK)
            kf.failHdf5(object, "cannot read the dataset's rank");
        std::vector<hsize_t> dims(static_cast<size_t>(rank));
        if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
            kf.failHdf5(object, "cannot read the dataset's dimensions");
        for (hsize_t d : dims)
            t.shape.push_back(static_cast<int64_t>(d));
    } else if (spaceClass != H5S_SCALAR) {
        kf.failHdf5(object, "cannot read the dataset's dataspace");
    }
    // The product of the non-zero dimensions must fit as well: a zero dimension empties the
    // dataset, but code that multiplies some of the others must not overflow.
    uint64_t bytes = static_cast<uint64_t>(dtypeInfo(t.dtype).blockBytes), spread = bytes;
    for (int64_t d : t.shape) {
        if (d < 0 || __builtin_mul_overflow(spread, d != 0 ? static_cast<uint64_t>(d) : 1, &spread)
            || spread > static_cast<uint64_t>(INT64_MAX))
            kf.fail(object, "shape " + t.shapeString() + " overflows a 64-bit byte count");
        bytes *= static_cast<uint64_t>(d);
    }
    t.byteSize = bytes;

    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    const int filters = H5Pget_nfilters(dcpl.get());
    const int external = H5Pget_external_count(dcpl.get());
    if (layout < 0 || filters < 0 || external < 0)
        kf.failHdf5(object, "cannot read the dataset's storage layout");
    const haddr_t offset = H5Dget_offset(ds.get());
    H5Eclear2(H5E_DEFAULT); // H5Dget_offset fails, by design, for anything but contiguous storage
    if (layout == H5D_CONTIGUOUS && filters == 0 && external == 0 && offset != HADDR_UNDEF
        && bytes > 0) {
        if (offset > kf.fileSize() || bytes > kf.fileSize() - offset)
            throwAt(kf.path(), offset,
                    "'" + object + "': " + std::to_string(bytes)
                        + " bytes of data run past the end of " + "the file ("
                        + std::to_string(kf.fileSize()) + " bytes)");
        t.fileOffset = offset;
        t.data = mapped->bytes().subspan(static_cast<size_t>(offset), static_cast<size_t>(bytes));
        t.keepAlive = mapped;
        t.mappedFrom = mapped.get();
        return t;
    }
    t.loader = [path = kf.path(), object, bytes] { return readDatasetBytes(path, object, bytes); };
    return t;
}

std::string joinDims(const json &arr, const char *sep)
{
    if (!arr.is_array())
        return arr.is_number() ? arr.dump() : std::string();
    std::string s;
    for (const auto &v : arr) {
        if (!s.empty())
            s += sep;
        s += v.is_null() ? std::string("?") : v.is_string() ? v.get<std::string>() : v.dump();
    }
    return s;
}

std::string stringField(const json &obj, const char *key)
{
    if (!obj.is_object())
        return {};
    const auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string describeLayer(const json &layer)
{
    const json cfg =
        layer.is_object() && layer.contains("config") ? layer["config"] : json::object();
    std::string name = stringField(cfg, "name");
    if (name.empty())
        name = stringField(layer, "name");
    std::vector<std::string> parts;
    const auto field = [&](const char *key) -> const json * {
        if (!cfg.is_object())
            return nullptr;
        const auto it = cfg.find(key);
        return it != cfg.end() && !it->is_null() ? &*it : nullptr;
    };
    if (const json *v = field("units"))
        parts.push_back(v->dump() + " units");
    if (const json *v = field("filters"))
        parts.push_back(v->dump() + " filters");
    if (const json *v = field("kernel_size"))
        parts.push_back("kernel " + joinDims(*v, "x"));
    if (const json *v = field("pool_size"))
        parts.push_back("pool " + joinDims(*v, "x"));
    if (const json *v = field("strides");
        v && joinDims(*v, "x") != "1x1" && joinDims(*v, "x") != "1")
        parts.push_back("stride " + joinDims(*v, "x"));
    if (const json *v = field("target_shape"))
        parts.push_back("to " + joinDims(*v, "x"));
    if (const json *v = field("rate"))
        parts.push_back("rate " + v->dump());
    if (const std::string p = stringField(cfg, "padding"); !p.empty())
        parts.push_back(p);
    if (const std::string a = stringField(cfg, "activation"); !a.empty() && a != "linear")
        parts.push_back(a);
    std::string s = stringField(layer, "class_name");
    if (s.empty())
        s = "?";
    if (!name.empty())
        s += " " + name;
    for (size_t i = 0; i < parts.size(); ++i)
        s += (i == 0 ? " (" : ", ") + parts[i];
    if (!parts.empty())
        s += ")";
    return s;
}

MetaValue stringArray(const std::vector<std::string> &items)
{
    MetaValue v;
    v.kind = MetaValue::Kind::Array;
    v.typeName = "array[string]";
    for (const auto &s : items)
        v.array.push_back(MetaValue::ofString(s));
    return v;
}

} // namespace

KerasConfigSummary summarizeKerasConfig(std::string_view text, const std::string &source)
{
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error &e) {
        throwIn(source,
                "model_config is not valid JSON (at byte " + std::to_string(e.byte)
                    + " of the attribute): " + e.what());
    } catch (const json::exception &e) {
        throwIn(source, std::string("model_config is not valid JSON: ") + e.what());
    }
    KerasConfigSummary s;
    s.className = stringField(root, "class_name");
    if (s.className.empty())
        throwIn(source, "model_config has no \"class_name\" string");
    const json cfg = root.contains("config") ? root["config"] : json();
    const json *layers = nullptr;
    if (cfg.is_array()) {
        layers = &cfg; // Keras 2.1 Sequential: the config is the layer list
    } else if (cfg.is_object()) {
        s.modelName = stringField(cfg, "name");
        if (const auto it = cfg.find("layers"); it != cfg.end() && it->is_array())
            layers = &*it;
    }
    if (!layers)
        throwIn(source, "model_config has no layer list (\"config\" or \"config.layers\")");
    for (const auto &layer : *layers) {
        s.layers.push_back(describeLayer(layer));
        if (!s.inputShape.empty() || !layer.is_object() || !layer.contains("config"))
            continue;
        const json &lc = layer["config"];
        for (const char *key : {"batch_input_shape", "batch_shape"}) {
            if (lc.is_object() && lc.contains(key) && lc[key].is_array() && lc[key].size() > 1) {
                const json dims(std::vector<json>(lc[key].begin() + 1, lc[key].end()));
                s.inputShape = joinDims(dims, " x ");
                break;
            }
        }
    }
    return s;
}

Model readKerasH5(const std::string &path)
{
    auto mapped = MappedFile::open(path);
    h5::Hdf5Lock lock;
    KerasFile kf(path, mapped);

    Model model;
    model.path = path;
    model.format = ModelFormat::KerasH5;
    model.family = ArchFamily::Generic;
    model.files.push_back(mapped);

    h5::Id root = kf.openGroup(kf.file(), "/", "/");
    const bool fullModel = kf.hasLink(root.get(), "model_weights");
    h5::Id weightsGroup = fullModel ? kf.openGroup(root.get(), "model_weights", "/model_weights")
                                 : kf.openGroup(kf.file(), "/", "/");
    const std::string weightsPath = fullModel ? "/model_weights" : "/";
    if (!kf.hasAttribute(weightsGroup.get(), "layer_names")) {
        if (fullModel)
            kf.fail(weightsPath, "Keras weights group has no @layer_names attribute");
        throwAt(path, 0,
                "HDF5 file is not a Keras model: no model_weights group and no "
                "@layer_names attribute at the root");
    }

    for (const char *key : {"keras_version", "backend"}) {
        auto v = kf.readString(root.get(), key, "/");
        if (!v)
            v = kf.readString(weightsGroup.get(), key, weightsPath);
        if (v)
            model.metadata.emplace_back(key, MetaValue::ofString(*v));
    }

    const auto config = kf.readString(root.get(), "model_config", "/");
    if (config) {
        const auto summary = summarizeKerasConfig(*config, path);
        model.architecture = "keras " + summary.className;
        model.metadata.emplace_back("model_config.class_name",
                                    MetaValue::ofString(summary.className));
        if (!summary.modelName.empty())
            model.metadata.emplace_back("model_config.name",
                                        MetaValue::ofString(summary.modelName));
        if (!summary.inputShape.empty())
            model.metadata.emplace_back("model_config.input_shape",
                                        MetaValue::ofString(summary.inputShape));
        model.metadata.emplace_back("model_config.layers", stringArray(summary.layers));
    } else {
        model.architecture = "keras weights";
        model.notes.push_back("Weights-only file: there is no model_config, so the layer types are "
                              "unknown; layers are listed from @layer_names.");
    }

    const auto layerNames = kf.readStrings(weightsGroup.get(), "layer_names", weightsPath);
    if (!config)
        model.metadata.emplace_back("layer_names", stringArray(layerNames));
    bool anyDenseKernel = false, anyConvKernel = false, anyLoaded = false;
    const std::string prefix = fullModel ? "/model_weights/" : "/";
    for (const auto &layer : layerNames) {
        const std::string layerPath = prefix + layer;
        if (layer.empty() || !kf.hasLink(weightsGroup.get(), layer))
            kf.fail(weightsPath, "@layer_names lists '" + layer + "' but there is no such group");
        h5::Id group = kf.openGroup(weightsGroup.get(), layer, layerPath);
        if (!kf.hasAttribute(group.get(), "weight_names"))
            kf.fail(layerPath, "layer group has no @weight_names attribute");
        for (const auto &weight : kf.readStrings(group.get(), "weight_names", layerPath)) {
            const std::string name = layer + "/" + weight;
            if (weight.empty() || !kf.hasLink(group.get(), weight))
                kf.fail(layerPath,
                        "@weight_names lists '" + weight + "' but there is no such dataset");
            Tensor t = readDataset(kf, mapped, prefix + name, name);
            const bool kernel = weight.ends_with("kernel:0");
            anyDenseKernel |= kernel && t.shape.size() == 2;
            anyConvKernel |= kernel && t.shape.size() == 4;
            anyLoaded |= static_cast<bool>(t.loader);
            model.tensors.push_back(std::move(t));
        }
    }
    if (model.tensors.empty())
        kf.fail(weightsPath, "Keras file holds no weight datasets");

    if (anyDenseKernel)
        model.notes.push_back("Dense kernels are stored (in, out) as Keras computes y = x * W + b: "
                              "the transpose of a PyTorch Linear weight (out, in).");
    if (anyConvKernel)
        model.notes.push_back(
            "Conv2D kernels are stored HWIO (kernel height, kernel width, in channels, "
            "out channels), with channels_last activations.");
    if (anyLoaded)
        model.notes.push_back("Some datasets are chunked or compressed: they are read through HDF5 "
                              "when first used instead of being memory-mapped.");
    if (fullModel && kf.hasLink(root.get(), "optimizer_weights"))
        model.notes.push_back("The optimizer state (optimizer_weights) is not listed.");
    return model;
}

} // namespace cwb::io
