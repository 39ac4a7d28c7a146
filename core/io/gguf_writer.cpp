// SPDX-License-Identifier: MIT
#include "io/gguf_writer.h"

#include "io/gguf_reader.h"
#include "util/error.h"
#include "util/write_steps.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace cwb::io {
namespace {

class Sink {
public:
    template <typename T>
    void put(T v)
    {
        append(&v, sizeof(T)); // little-endian host, like ggml
    }
    void putString(const std::string &s)
    {
        put<uint64_t>(s.size());
        append(s.data(), s.size());
    }
    void append(const void *p, size_t n)
    {
        const size_t at = out.size();
        out.resize(at + n);
        if (n)
            std::memcpy(out.data() + at, p, n);
    }
    std::vector<std::byte> out;
};

[[noreturn]] void failMeta(const std::string &key, const std::string &what)
{
    throw Error("GGUF writer: metadata '" + key + "': " + what);
}

GgufType typeFromName(std::string_view name, const std::string &key)
{
    if (name.starts_with("array"))
        return GgufType::Array;
    for (uint32_t t = 0; t <= static_cast<uint32_t>(GgufType::F64); ++t)
        if (ggufTypeName(t) == name)
            return static_cast<GgufType>(t);
    failMeta(key, "unknown GGUF type name '" + std::string(name) + "'");
}

GgufType typeOf(const MetaValue &v, const std::string &key)
{
    if (!v.typeName.empty())
        return typeFromName(v.typeName, key);
    switch (v.kind) {
    case MetaValue::Kind::Bool: return GgufType::Bool;
    case MetaValue::Kind::Int: return GgufType::I64;
    case MetaValue::Kind::UInt: return GgufType::U64;
    case MetaValue::Kind::Float: return GgufType::F64;
    case MetaValue::Kind::String: return GgufType::String;
    case MetaValue::Kind::Array: return GgufType::Array;
    }
    return GgufType::String;
}

// Element type of an array value: from "array[<type>]", else from its first element.
GgufType elementType(const MetaValue &v, const std::string &key)
{
    const std::string &n = v.typeName;
    if (n.size() > 7 && n.starts_with("array[") && n.back() == ']')
        return typeFromName(std::string_view(n).substr(6, n.size() - 7), key);
    if (v.array.empty())
        failMeta(key, "an empty array needs a typeName such as \"array[u32]\"");
    return typeOf(v.array.front(), key);
}

template <typename T>
void putInteger(Sink &s, const MetaValue &v, const std::string &key)
{
    bool fits = false;
    if (v.kind == MetaValue::Kind::Int)
        fits = std::cmp_greater_equal(v.i, std::numeric_limits<T>::min())
            && std::cmp_less_equal(v.i, std::numeric_limits<T>::max());
    else if (v.kind == MetaValue::Kind::UInt)
        fits = std::cmp_less_equal(v.u, std::numeric_limits<T>::max());
    else
        failMeta(key, "a " + v.typeName + " value cannot be stored as an integer");
    if (!fits)
        failMeta(key, "value " + v.toDisplay() + " does not fit the stored integer type");
    s.put<T>(static_cast<T>(v.kind == MetaValue::Kind::Int ? v.i : static_cast<int64_t>(v.u)));
}

void putValue(Sink &s, GgufType t, const MetaValue &v, const std::string &key, int depth);

void putArray(Sink &s, const MetaValue &v, const std::string &key, int depth)
{
    if (v.kind != MetaValue::Kind::Array)
        failMeta(key, "typeName says array but the value is not one");
    if (depth >= kGgufMaxArrayDepth)
        failMeta(key, "arrays nested more than " + std::to_string(kGgufMaxArrayDepth) + " deep");
    const GgufType elem = elementType(v, key);
    s.put<uint32_t>(static_cast<uint32_t>(elem));
    s.put<uint64_t>(v.array.size());
    for (const auto &e : v.array)
        putValue(s, elem, e, key, depth + 1);
}

void putValue(Sink &s, GgufType t, const MetaValue &v, const std::string &key, int depth)
{
    const bool numeric = v.kind == MetaValue::Kind::Float || v.kind == MetaValue::Kind::Int
                      || v.kind == MetaValue::Kind::UInt;
    switch (t) {
    case GgufType::U8: putInteger<uint8_t>(s, v, key); return;
    case GgufType::I8: putInteger<int8_t>(s, v, key); return;
    case GgufType::U16: putInteger<uint16_t>(s, v, key); return;
    case GgufType::I16: putInteger<int16_t>(s, v, key); return;
    case GgufType::U32: putInteger<uint32_t>(s, v, key); return;
    case GgufType::I32: putInteger<int32_t>(s, v, key); return;
    case GgufType::U64: putInteger<uint64_t>(s, v, key); return;
    case GgufType::I64: putInteger<int64_t>(s, v, key); return;
    case GgufType::F32:
    case GgufType::F64:
        if (!numeric)
            failMeta(key, "a " + v.typeName + " value cannot be stored as a float");
        if (t == GgufType::F32)
            s.put<float>(static_cast<float>(v.asDouble()));
        else
            s.put<double>(v.asDouble());
        return;
    case GgufType::Bool:
        if (v.kind != MetaValue::Kind::Bool)
            failMeta(key, "a " + v.typeName + " value cannot be stored as bool");
        s.put<uint8_t>(v.b ? 1 : 0);
        return;
    case GgufType::String:
        if (v.kind != MetaValue::Kind::String)
            failMeta(key, "a " + v.typeName + " value cannot be stored as string");
        s.putString(v.s);
        return;
    case GgufType::Array: putArray(s, v, key, depth); return;
    }
}

void writeAll(int fd, const std::byte *p, uint64_t n, const std::string &tmp)
{
    if (n > 0)
        writeStep(WriteStepKind::Write, tmp);
    while (n > 0) {
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, uint64_t{1} << 30));
        const ssize_t w = ::write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            throwIn(tmp, std::string("cannot write: ") + std::strerror(errno));
        }
        p += w;
        n -= static_cast<uint64_t>(w);
    }
}

std::atomic<uint64_t> tempCounter{0};

} // namespace

GgufWriter::GgufWriter(GgufWriteOptions options) : options_(options)
{
    if (options_.version != 2 && options_.version != 3)
        throw Error("GGUF writer: version " + std::to_string(options_.version)
                    + " is not 2 or 3");
    const uint32_t a = options_.alignment;
    if (a == 0 || (a & (a - 1)) != 0)
        throw Error("GGUF writer: alignment " + std::to_string(a) + " is not a power of two");
}

void GgufWriter::addMeta(std::string key, MetaValue value)
{
    if (key == "general.alignment")
        failMeta(key, "set the alignment through GgufWriteOptions");
    for (const auto &[k, v] : metadata_)
        if (k == key)
            failMeta(key, "duplicate key");
    Sink probe; // encode once now so a bad value fails here, not at write time
    putValue(probe, typeOf(value, key), value, key, 0);
    metadata_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::checkNewName(const std::string &name) const
{
    for (const auto &t : tensors_)
        if (t.name == name)
            throw Error("GGUF writer: duplicate tensor name '" + name + "'");
}

void GgufWriter::addChecked(std::string name, DType dtype, std::vector<int64_t> shape,
                            std::span<const std::byte> bytes, std::shared_ptr<const void> keepAlive)
{
    checkNewName(name);
    const auto &info = dtypeInfo(dtype);
    const std::string who = "GGUF writer: tensor '" + name + "': ";
    if (info.ggmlType < 0)
        throw Error(who + "GGUF has no type for " + std::string(info.name));
    if (shape.size() > kGgufMaxDims)
        throw Error(who + std::to_string(shape.size()) + " dimensions (GGUF allows 4)");
    uint64_t numel = 1;
    PendingTensor t;
    for (auto it = shape.rbegin(); it != shape.rend(); ++it) {
        const auto d = static_cast<uint64_t>(*it);
        if (*it < 0 || (d != 0 && numel > static_cast<uint64_t>(INT64_MAX) / d))
            throw Error(who + "shape " + std::to_string(*it)
                        + " is negative or its element count overflows");
        numel *= d;
        t.ne.push_back(d);
    }
    const uint64_t rowLen = t.ne.empty() ? 1 : t.ne.front();
    if (rowLen % static_cast<uint64_t>(info.blockElems) != 0)
        throw Error(who + "row length " + std::to_string(rowLen) + " is not a multiple of the "
                    + std::string(info.name) + " block size " + std::to_string(info.blockElems));
    const auto need = storageBytes(dtype, numel);
    if (!need || *need != bytes.size())
        throw Error(who + std::to_string(bytes.size()) + " bytes given, "
                    + std::string(info.name) + " needs "
                    + (need ? std::to_string(*need) : std::string("an impossible number of")));
    t.name = std::move(name);
    t.ggmlType = static_cast<uint32_t>(info.ggmlType);
    t.bytes = bytes;
    t.keepAlive = std::move(keepAlive);
    tensors_.push_back(std::move(t));
}

void GgufWriter::addTensor(std::string name, DType dtype, std::vector<int64_t> shape,
                           std::vector<std::byte> bytes)
{
    auto owned = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
    const std::span<const std::byte> view(*owned);
    addChecked(std::move(name), dtype, std::move(shape), view, std::move(owned));
}

void GgufWriter::addTensorView(std::string name, DType dtype, std::vector<int64_t> shape,
                               std::span<const std::byte> bytes,
                               std::shared_ptr<const void> keepAlive)
{
    addChecked(std::move(name), dtype, std::move(shape), bytes, std::move(keepAlive));
}

void GgufWriter::addRawTensor(std::string name, uint32_t ggmlType, std::vector<uint64_t> ne,
                              std::vector<std::byte> bytes)
{
    auto owned = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
    PendingTensor t;
    t.name = std::move(name);
    t.ggmlType = ggmlType;
    t.ne = std::move(ne);
    t.bytes = std::span<const std::byte>(*owned);
    t.keepAlive = std::move(owned);
    tensors_.push_back(std::move(t));
}

uint64_t GgufWriter::padTo(uint64_t n) const
{
    const uint64_t a = options_.alignment;
    return (n + a - 1) / a * a;
}

std::vector<std::byte> GgufWriter::header() const
{
    Sink s;
    const bool writeAlignment = options_.alignment != kGgufDefaultAlignment;
    s.put<uint32_t>(kGgufMagic);
    s.put<uint32_t>(options_.version);
    s.put<uint64_t>(tensors_.size());
    s.put<uint64_t>(metadata_.size() + (writeAlignment ? 1 : 0));
    if (writeAlignment) {
        s.putString("general.alignment");
        s.put<uint32_t>(static_cast<uint32_t>(GgufType::U32));
        s.put<uint32_t>(options_.alignment);
    }
    for (const auto &[key, value] : metadata_) {
        const GgufType t = typeOf(value, key);
        s.putString(key);
        s.put<uint32_t>(static_cast<uint32_t>(t));
        putValue(s, t, value, key, 0);
    }
    uint64_t offset = 0;
    for (const auto &t : tensors_) {
        s.putString(t.name);
        s.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
        for (uint64_t d : t.ne)
            s.put<uint64_t>(d);
        s.put<uint32_t>(t.ggmlType);
        s.put<uint64_t>(offset);
        offset += padTo(t.bytes.size());
    }
    s.out.resize(static_cast<size_t>(padTo(s.out.size())), std::byte{0});
    return std::move(s.out);
}

std::vector<std::byte> GgufWriter::toBytes() const
{
    std::vector<std::byte> out = header();
    for (const auto &t : tensors_) {
        out.insert(out.end(), t.bytes.begin(), t.bytes.end());
        out.resize(static_cast<size_t>(padTo(out.size())), std::byte{0});
    }
    return out;
}

void GgufWriter::write(const std::string &path, const JobContext &job) const
{
    const std::vector<std::byte> head = header();
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(tempCounter++);
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            throwIn(path, std::string("cannot create temporary file: ") + std::strerror(errno));
    }
    if (fd < 0)
        throwIn(path, "cannot create a unique temporary file");
    try {
        writeAll(fd, head.data(), head.size(), tmp);
        const std::vector<std::byte> zeros(options_.alignment, std::byte{0});
        for (const auto &t : tensors_) {
            job.checkCancelled();
            writeAll(fd, t.bytes.data(), t.bytes.size(), tmp);
            writeAll(fd, zeros.data(), padTo(t.bytes.size()) - t.bytes.size(), tmp);
        }
        writeStep(WriteStepKind::Sync, tmp);
        if (::fsync(fd) != 0)
            throwIn(tmp, std::string("cannot flush: ") + std::strerror(errno));
        if (::close(fd) != 0) {
            fd = -1;
            throwIn(tmp, std::string("cannot close: ") + std::strerror(errno));
        }
        fd = -1;
        writeStep(WriteStepKind::Rename, path);
        if (::rename(tmp.c_str(), path.c_str()) != 0)
            throwIn(path, std::string("cannot rename the temporary file into place: ")
                              + std::strerror(errno));
    } catch (...) {
        if (fd >= 0)
            ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
}

} // namespace cwb::io
