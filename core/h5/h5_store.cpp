// SPDX-License-Identifier: MIT
#include "h5/h5_store.h"

#include "h5/fixed_strings.h"
#include "h5/hdf5_error.h"
#include "h5/variable_strings.h"

#include "util/error.h"
#include "util/forked_call.h"
#include "util/write_steps.h"

#include <algorithm>
#include <filesystem>
#include <limits>

namespace cwb::h5 {
namespace {

constexpr size_t kTargetChunkBytes = 256 * 1024;
constexpr unsigned kDeflateLevel = 4;
// deflate's worst-case expansion on decompression is about 1032:1; a dataset claiming more
// values than that from its stored bytes is corrupt.
constexpr uint64_t kMaxInflation = 1100;

template <class T>
hid_t memType()
{
    if constexpr (std::same_as<T, double>)
        return H5T_NATIVE_DOUBLE;
    else if constexpr (std::same_as<T, float>)
        return H5T_NATIVE_FLOAT;
    else if constexpr (std::same_as<T, int64_t>)
        return H5T_NATIVE_INT64;
    else if constexpr (std::same_as<T, uint64_t>)
        return H5T_NATIVE_UINT64;
    else if constexpr (std::same_as<T, uint8_t>)
        return H5T_NATIVE_UINT8;
    else
        return H5T_NATIVE_INT32;
}

template <class T>
hid_t fileType()
{
    if constexpr (std::same_as<T, double>)
        return H5T_IEEE_F64LE;
    else if constexpr (std::same_as<T, float>)
        return H5T_IEEE_F32LE;
    else if constexpr (std::same_as<T, int64_t>)
        return H5T_STD_I64LE;
    else if constexpr (std::same_as<T, uint64_t>)
        return H5T_STD_U64LE;
    else if constexpr (std::same_as<T, uint8_t>)
        return H5T_STD_U8LE;
    else
        return H5T_STD_I32LE;
}

std::string str(std::string_view s)
{
    return std::string(s);
}

// A fixed-length UTF-8 string type of `size` bytes (at least 1), NUL terminated.
Id stringType(size_t size)
{
    Id t(H5Tcopy(H5T_C_S1));
    if (t.valid()) {
        H5Tset_size(t.get(), std::max<size_t>(size, 1));
        H5Tset_strpad(t.get(), H5T_STR_NULLPAD);
        H5Tset_cset(t.get(), H5T_CSET_UTF8);
    }
    return t;
}

// Strings of a fixed- or variable-length string object read by `readInto(memType, buffer)`.
// On failure `ok` is false and `error` says why (HDF5's complaint, or what became of the child
// process that read variable-length strings).
template <class ReadFn>
std::vector<std::string> readStringValues(hid_t type, size_t count, ReadFn readInto, bool &ok,
                                          std::string &error)
{
    std::vector<std::string> out;
    ok = false;
    const htri_t isVariable = H5Tis_variable_str(type);
    if (isVariable < 0)
        return out;
    if (isVariable) { // in a child process (h5/variable_strings.h)
        auto strings = readVariableStrings(type, count, readInto, error);
        ok = strings.has_value();
        return ok ? std::move(*strings) : out;
    }
    const size_t size = H5Tget_size(type);
    if (size == 0) {
        error = "a string type of 0 bytes";
        return out;
    }
    std::vector<char> buf(count * size);
    if (readInto(type, buf.data()) < 0) {
        error = errorText();
        return out;
    }
    out = fixedLengthStrings(buf.data(), count, size, H5Tget_strpad(type) == H5T_STR_SPACEPAD);
    ok = true;
    return out;
}

} // namespace

std::string errorText()
{
    return h5::hdf5ErrorText();
}

std::string escapeName(std::string_view name)
{
    std::string out;
    out.reserve(name.size());
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '%')
            out += "%25";
        else if (c == '/')
            out += "%2F";
        else if (c == '.' && i == 0)
            out += "%2E";
        else
            out += c;
    }
    if (out.empty())
        out = "%00"; // an empty name is not a link name; "%00" never comes from escaping
    return out;
}

std::string unescapeName(std::string_view name)
{
    if (name == "%00")
        return {};
    std::string out;
    out.reserve(name.size());
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '%' && i + 2 < name.size()) {
            const std::string_view code = name.substr(i + 1, 2);
            if (code == "25" || code == "2F" || code == "2E") {
                out += code == "25" ? '%' : code == "2F" ? '/' : '.';
                i += 2;
                continue;
            }
        }
        out += name[i];
    }
    return out;
}

// ---- Writer ----

Writer::Writer(std::string path) : path_(std::move(path))
{
    // Strong close: H5Fclose really closes, so the file can be synced and renamed right after.
    Id fapl(H5Pcreate(H5P_FILE_ACCESS));
    if (fapl.valid())
        H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
    file_ = Id(H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
    if (!file_.valid())
        throwIn(path_, "cannot create the file: " + errorText());
    root_.id = Id(H5Gopen2(file_.get(), "/", H5P_DEFAULT));
    root_.path.assign(1, '/'); // (a literal "/" trips GCC 12's false -Wrestrict)
    if (!root_.id.valid())
        fail("/", "cannot open the root group: " + errorText());
}

void Writer::fail(const std::string &object, const std::string &what) const
{
    throwIn(path_, "'" + object + "': " + what);
}

Node Writer::createGroup(const Node &parent, std::string_view name) const
{
    Node g;
    g.path = parent.child(name);
    g.id = Id(H5Gcreate2(parent.get(), str(name).c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (!g.id.valid())
        fail(g.path, "cannot create the group: " + errorText());
    return g;
}

void Writer::attr(const Node &obj, const char *name, std::string_view value) const
{
    Id type = stringType(value.size());
    Id space(H5Screate(H5S_SCALAR));
    Id a(H5Acreate2(obj.get(), name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
    // A fixed-length buffer of the type's size: an empty value is one NUL byte.
    std::string buf(value);
    buf.resize(std::max<size_t>(value.size(), 1), '\0');
    if (!a.valid() || H5Awrite(a.get(), type.get(), buf.data()) < 0)
        fail(obj.path, std::string("cannot write attribute @") + name + ": " + errorText());
}

void Writer::attr(const Node &obj, const char *name, int64_t value) const
{
    Id space(H5Screate(H5S_SCALAR));
    Id a(H5Acreate2(obj.get(), name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!a.valid() || H5Awrite(a.get(), H5T_NATIVE_INT64, &value) < 0)
        fail(obj.path, std::string("cannot write attribute @") + name + ": " + errorText());
}

void Writer::attr(const Node &obj, const char *name, uint64_t value) const
{
    Id space(H5Screate(H5S_SCALAR));
    Id a(H5Acreate2(obj.get(), name, H5T_STD_U64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!a.valid() || H5Awrite(a.get(), H5T_NATIVE_UINT64, &value) < 0)
        fail(obj.path, std::string("cannot write attribute @") + name + ": " + errorText());
}

void Writer::attr(const Node &obj, const char *name, double value) const
{
    Id space(H5Screate(H5S_SCALAR));
    Id a(H5Acreate2(obj.get(), name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!a.valid() || H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value) < 0)
        fail(obj.path, std::string("cannot write attribute @") + name + ": " + errorText());
}

template <Element T>
void Writer::dataset(const Node &loc, std::string_view name, std::span<const T> data,
                     std::vector<uint64_t> dims) const
{
    writeDataset(loc, name, memType<T>(), fileType<T>(), sizeof(T), data.data(), data.size(),
                 std::move(dims));
}

void Writer::writeDataset(const Node &loc, std::string_view name, hid_t mem, hid_t file,
                          size_t elementSize, const void *data, size_t count,
                          std::vector<uint64_t> dims) const
{
    const std::string object = loc.child(name);
    if (dims.empty())
        dims = {count};
    uint64_t product = 1;
    for (uint64_t d : dims)
        product *= d;
    if (product != count)
        fail(object, "dataset shape does not match its " + std::to_string(count) + " values");
    std::vector<hsize_t> hdims(dims.begin(), dims.end());
    Id space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr));
    Id dcpl(H5Pcreate(H5P_DATASET_CREATE));
    if (!space.valid() || !dcpl.valid())
        fail(object, "cannot describe the dataset: " + errorText());
    const size_t bytes = count * elementSize;
    if (bytes >= kChunkThresholdBytes) {
        // Chunks of whole inner rows, about kTargetChunkBytes each.
        std::vector<hsize_t> chunk(hdims.size(), 1);
        size_t inner = elementSize;
        for (size_t i = hdims.size(); i-- > 1;) {
            chunk[i] = hdims[i];
            inner *= hdims[i];
        }
        chunk[0] = std::clamp<hsize_t>(kTargetChunkBytes / std::max<size_t>(inner, 1), 1,
                                       std::max<hsize_t>(hdims[0], 1));
        // HDF5 caps a chunk at 4 GiB; a single inner row that large is split along dim 1.
        for (size_t i = 1; i < chunk.size(); ++i)
            while (chunk[i] > 1 && inner > (size_t{1} << 30)) {
                inner /= chunk[i];
                chunk[i] = (chunk[i] + 1) / 2;
                inner *= chunk[i];
            }
        if (H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) < 0
            || H5Pset_shuffle(dcpl.get()) < 0 || H5Pset_deflate(dcpl.get(), kDeflateLevel) < 0)
            fail(object, "cannot set chunking and compression: " + errorText());
    }
    Id ds(H5Dcreate2(loc.get(), str(name).c_str(), file, space.get(), H5P_DEFAULT, dcpl.get(),
                     H5P_DEFAULT));
    if (!ds.valid())
        fail(object, "cannot create the dataset: " + errorText());
    if (count > 0)
        writeStep(WriteStepKind::Write, path_);
    if (count > 0 && H5Dwrite(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        fail(object, "cannot write the dataset: " + errorText());
}

void Writer::strings(const Node &loc, std::string_view name,
                     std::span<const std::string> data) const
{
    const std::string object = loc.child(name);
    size_t width = 1;
    for (const auto &s : data)
        width = std::max(width, s.size());
    std::vector<char> buf(data.size() * width, '\0');
    for (size_t i = 0; i < data.size(); ++i)
        std::copy(data[i].begin(), data[i].end(), buf.begin() + static_cast<ptrdiff_t>(i * width));
    Id type = stringType(width);
    const hsize_t n = data.size();
    Id space(H5Screate_simple(1, &n, nullptr));
    Id ds(H5Dcreate2(loc.get(), str(name).c_str(), type.get(), space.get(), H5P_DEFAULT,
                     H5P_DEFAULT, H5P_DEFAULT));
    if (!ds.valid())
        fail(object, "cannot create the dataset: " + errorText());
    if (n > 0)
        writeStep(WriteStepKind::Write, path_);
    if (n > 0 && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
        fail(object, "cannot write the dataset: " + errorText());
}

void Writer::hardLink(const Node &loc, std::string_view name, const std::string &targetPath) const
{
    if (H5Lcreate_hard(file_.get(), targetPath.c_str(), loc.get(), str(name).c_str(), H5P_DEFAULT,
                       H5P_DEFAULT)
        < 0)
        fail(loc.child(name), "cannot link to '" + targetPath + "': " + errorText());
}

void Writer::close()
{
    root_.id.reset();
    if (file_.valid())
        writeStep(WriteStepKind::Write, path_); // the flush writes the metadata
    if (file_.valid() && H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0)
        fail("/", "cannot flush the file: " + errorText());
    const hid_t id = file_.release(); // H5Fclose below is the one close, and it is checked
    if (id >= 0 && H5Fclose(id) < 0)
        fail("/", "cannot close the file: " + errorText());
}

template void Writer::dataset<double>(const Node &, std::string_view, std::span<const double>,
                                      std::vector<uint64_t>) const;
template void Writer::dataset<float>(const Node &, std::string_view, std::span<const float>,
                                     std::vector<uint64_t>) const;
template void Writer::dataset<int64_t>(const Node &, std::string_view, std::span<const int64_t>,
                                       std::vector<uint64_t>) const;
template void Writer::dataset<uint64_t>(const Node &, std::string_view, std::span<const uint64_t>,
                                        std::vector<uint64_t>) const;
template void Writer::dataset<int32_t>(const Node &, std::string_view, std::span<const int32_t>,
                                       std::vector<uint64_t>) const;
template void Writer::dataset<uint8_t>(const Node &, std::string_view, std::span<const uint8_t>,
                                       std::vector<uint64_t>) const;

// ---- Reader ----

Reader::Reader(std::string path) : path_(std::move(path))
{
    std::error_code ec;
    const auto size = std::filesystem::file_size(path_, ec);
    if (ec)
        throwIn(path_, "cannot open: " + ec.message());
    fileSize_ = size;
    if (H5Fis_hdf5(path_.c_str()) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        throwAt(path_, 0, "not an HDF5 file (no HDF5 signature at offset 0, 512, 1024, ...)");
    }
    file_ = Id(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    if (!file_.valid())
        throwIn(path_, "cannot open as HDF5: " + errorText());
    root_.id = Id(H5Gopen2(file_.get(), "/", H5P_DEFAULT));
    root_.path.assign(1, '/'); // (a literal "/" trips GCC 12's false -Wrestrict)
    if (!root_.id.valid())
        fail("/", "cannot open the root group: " + errorText());
}

void Reader::fail(const std::string &object, const std::string &what) const
{
    throwIn(path_, "'" + object + "': " + what);
}

bool Reader::has(const Node &loc, std::string_view name) const
{
    const htri_t r = H5Lexists(loc.get(), str(name).c_str(), H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    return r > 0;
}

bool Reader::hasAttr(const Node &obj, const char *name) const
{
    const htri_t r = H5Aexists(obj.get(), name);
    H5Eclear2(H5E_DEFAULT);
    return r > 0;
}

Node Reader::openGroup(const Node &parent, std::string_view name) const
{
    Node g;
    g.path = parent.child(name);
    if (!has(parent, name))
        fail(g.path, "missing group");
    g.id = Id(H5Gopen2(parent.get(), str(name).c_str(), H5P_DEFAULT));
    if (!g.id.valid())
        fail(g.path, "cannot open the group: " + errorText());
    return g;
}

std::vector<std::string> Reader::members(const Node &group) const
{
    std::vector<std::string> names;
    hsize_t idx = 0;
    const herr_t r = H5Literate(
        group.get(), H5_INDEX_NAME, H5_ITER_INC, &idx,
        [](hid_t, const char *name, const H5L_info_t *, void *data) -> herr_t {
            static_cast<std::vector<std::string> *>(data)->emplace_back(name);
            return 0;
        },
        &names);
    if (r < 0)
        fail(group.path, "cannot list the group: " + errorText());
    return names;
}

namespace {

// H5Aiterate2 over obj's attributes: 'N' and the names, each followed by a NUL (HDF5 names hold
// none), or 'E' and HDF5's complaint. No exception: the listing runs in a forked child, where
// unwinding could wait on a loader lock another thread of the parent held at the fork.
std::string listAttributes(hid_t obj)
{
    std::string names(1, 'N');
    hsize_t idx = 0;
    const herr_t r = H5Aiterate2(
        obj, H5_INDEX_NAME, H5_ITER_INC, &idx,
        [](hid_t, const char *name, const H5A_info_t *, void *data) -> herr_t {
            auto *out = static_cast<std::string *>(data);
            out->append(name);
            out->push_back('\0');
            return 0;
        },
        &names);
    return r < 0 ? "E" + errorText() : names;
}

} // namespace

std::vector<std::string> Reader::attrNames(const Node &obj) const
{
    // libhdf5 1.10.8 builds a table of the attribute messages to iterate them and, when one is
    // corrupt, releases entries it never initialised: a hostile file crashes the process (found
    // by fuzz_hdf5; it depends on what the heap held before, so no check of ours can see it
    // coming). The listing runs in a forked child, which dies instead; the names come back over
    // a pipe. Only when no child can be made (fork refused) does it run here, as it used to.
    std::string joined;
    const int timeoutMs = childCallTimeoutMs();
    const ForkedResult child = runForked([&] { return listAttributes(obj.get()); }, timeoutMs);
    switch (child.status) {
    case ForkedResult::Status::Completed:
        joined = child.output;
        break;
    case ForkedResult::Status::Failed:
        fail(obj.path, "cannot list the attributes: " + child.output);
    case ForkedResult::Status::Crashed:
        fail(obj.path, "libhdf5 crashed listing the attributes ("
                           + (child.signal ? "signal " + std::to_string(child.signal)
                                           : child.output)
                           + ", in a child process): the file is corrupt");
    case ForkedResult::Status::TimedOut:
        fail(obj.path, "libhdf5 did not finish listing the attributes in "
                           + std::to_string(timeoutMs) + " ms: the file is corrupt");
    case ForkedResult::Status::NotRun:
        joined = listAttributes(obj.get());
        break;
    }
    if (joined.empty() || joined[0] != 'N')
        fail(obj.path, "cannot list the attributes: " + (joined.empty() ? "" : joined.substr(1)));
    joined.erase(0, 1);
    std::vector<std::string> names;
    for (size_t start = 0; start < joined.size();) {
        const size_t end = joined.find('\0', start);
        if (end == std::string::npos)
            break;
        names.emplace_back(joined, start, end - start);
        start = end + 1;
    }
    return names;
}

Id Reader::openAttr(const Node &obj, const char *name, H5T_class_t expected) const
{
    const std::string what = std::string("attribute @") + name;
    if (!hasAttr(obj, name))
        fail(obj.path, "missing " + what);
    Id a(H5Aopen(obj.get(), name, H5P_DEFAULT));
    if (!a.valid())
        fail(obj.path, "cannot open " + what + ": " + errorText());
    Id type(H5Aget_type(a.get()));
    Id space(H5Aget_space(a.get()));
    if (!type.valid() || !space.valid())
        fail(obj.path, "cannot read the type of " + what + ": " + errorText());
    if (H5Sget_simple_extent_npoints(space.get()) != 1)
        fail(obj.path, what + " is not a single value");
    const H5T_class_t cls = H5Tget_class(type.get());
    const bool numeric = expected == H5T_FLOAT && (cls == H5T_FLOAT || cls == H5T_INTEGER);
    if (cls != expected && !numeric)
        fail(obj.path, what + " has the wrong type (expected "
                           + (expected == H5T_STRING    ? "a string"
                              : expected == H5T_INTEGER ? "an integer"
                                                        : "a number")
                           + ")");
    return a;
}

std::string Reader::attrString(const Node &obj, const char *name) const
{
    Id a = openAttr(obj, name, H5T_STRING);
    Id type(H5Aget_type(a.get()));
    bool ok = false;
    std::string error;
    auto v = readStringValues(
        type.get(), 1, [&](hid_t mem, void *buf) { return H5Aread(a.get(), mem, buf); }, ok,
        error);
    if (!ok || v.size() != 1)
        fail(obj.path, std::string("cannot read attribute @") + name + ": " + error);
    return std::move(v.front());
}

std::optional<std::string> Reader::optString(const Node &obj, const char *name) const
{
    if (!hasAttr(obj, name))
        return std::nullopt;
    return attrString(obj, name);
}

int64_t Reader::attrInt(const Node &obj, const char *name) const
{
    Id a = openAttr(obj, name, H5T_INTEGER);
    int64_t v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
        fail(obj.path, std::string("cannot read attribute @") + name + ": " + errorText());
    return v;
}

uint64_t Reader::attrUInt(const Node &obj, const char *name) const
{
    Id a = openAttr(obj, name, H5T_INTEGER);
    uint64_t v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_UINT64, &v) < 0)
        fail(obj.path, std::string("cannot read attribute @") + name + ": " + errorText());
    return v;
}

double Reader::attrDouble(const Node &obj, const char *name) const
{
    Id a = openAttr(obj, name, H5T_FLOAT);
    double v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0)
        fail(obj.path, std::string("cannot read attribute @") + name + ": " + errorText());
    return v;
}

size_t Reader::openDataset(const Node &loc, std::string_view name, size_t elementSize, Id &ds,
                           std::vector<uint64_t> &dims) const
{
    const std::string object = loc.child(name);
    if (!has(loc, name))
        fail(object, "missing dataset");
    ds = Id(H5Dopen2(loc.get(), str(name).c_str(), H5P_DEFAULT));
    if (!ds.valid())
        fail(object, "cannot open the dataset: " + errorText());
    Id space(H5Dget_space(ds.get()));
    if (!space.valid())
        fail(object, "cannot read the dataset's shape: " + errorText());
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > H5S_MAX_RANK)
        fail(object, "invalid dataset rank");
    std::vector<hsize_t> hdims(static_cast<size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), hdims.data(), nullptr) < 0)
        fail(object, "cannot read the dataset's shape: " + errorText());
    uint64_t count = 1;
    for (hsize_t d : hdims) {
        if (d != 0 && count > std::numeric_limits<uint64_t>::max() / d)
            fail(object, "dataset shape overflows");
        count *= d;
    }
    // Check the claimed size against what is stored before allocating anything.
    const uint64_t stored = H5Dget_storage_size(ds.get());
    const uint64_t limit = std::min(stored, fileSize_) * kMaxInflation + 4096;
    if (count > limit / std::max<size_t>(elementSize, 1))
        fail(object, "dataset claims " + std::to_string(count) + " values but stores only "
                         + std::to_string(stored) + " bytes");
    dims.assign(hdims.begin(), hdims.end());
    return static_cast<size_t>(count);
}

template <Element T>
std::vector<T> Reader::dataset(const Node &loc, std::string_view name,
                               std::vector<uint64_t> *dimsOut) const
{
    Id ds;
    std::vector<uint64_t> dims;
    const size_t count = openDataset(loc, name, sizeof(T), ds, dims);
    std::vector<T> out(count);
    if (count > 0 && H5Dread(ds.get(), memType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
        fail(loc.child(name), "cannot read the dataset: " + errorText());
    if (dimsOut)
        *dimsOut = std::move(dims);
    return out;
}

std::vector<std::string> Reader::strings(const Node &loc, std::string_view name) const
{
    Id ds;
    std::vector<uint64_t> dims;
    const size_t count = openDataset(loc, name, 1, ds, dims);
    Id type(H5Dget_type(ds.get()));
    if (!type.valid() || H5Tget_class(type.get()) != H5T_STRING)
        fail(loc.child(name), "not a string dataset");
    if (count == 0)
        return {};
    const size_t width = H5Tis_variable_str(type.get()) > 0 ? 1 : H5Tget_size(type.get());
    if (width == 0 || count > std::max<uint64_t>(H5Dget_storage_size(ds.get()), 1) / width + 1)
        fail(loc.child(name), "string dataset larger than its storage");
    bool ok = false;
    std::string error;
    auto v = readStringValues(
        type.get(), count,
        [&](hid_t mem, void *buf) {
            return H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        },
        ok, error);
    if (!ok)
        fail(loc.child(name), "cannot read the dataset: " + error);
    return v;
}

template std::vector<double> Reader::dataset<double>(const Node &, std::string_view,
                                                     std::vector<uint64_t> *) const;
template std::vector<float> Reader::dataset<float>(const Node &, std::string_view,
                                                   std::vector<uint64_t> *) const;
template std::vector<int64_t> Reader::dataset<int64_t>(const Node &, std::string_view,
                                                       std::vector<uint64_t> *) const;
template std::vector<uint64_t> Reader::dataset<uint64_t>(const Node &, std::string_view,
                                                         std::vector<uint64_t> *) const;
template std::vector<int32_t> Reader::dataset<int32_t>(const Node &, std::string_view,
                                                       std::vector<uint64_t> *) const;
template std::vector<uint8_t> Reader::dataset<uint8_t>(const Node &, std::string_view,
                                                       std::vector<uint64_t> *) const;

} // namespace cwb::h5
