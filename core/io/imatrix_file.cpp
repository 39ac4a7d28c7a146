// SPDX-License-Identifier: MIT
#include "io/imatrix_file.h"

#include "io/byte_reader.h"
#include "util/error.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

namespace cwb::io {
namespace {

void putInt(std::vector<std::byte> &out, int64_t v, const std::string &what)
{
    if (v < 0 || v > std::numeric_limits<int32_t>::max())
        throw Error("imatrix: " + what + " " + std::to_string(v) + " does not fit an int32");
    const int32_t i = static_cast<int32_t>(v);
    const auto *p = reinterpret_cast<const std::byte *>(&i);
    out.insert(out.end(), p, p + 4);
}

void putBytes(std::vector<std::byte> &out, const void *data, size_t n)
{
    const auto *p = static_cast<const std::byte *>(data);
    out.insert(out.end(), p, p + n);
}

} // namespace

std::vector<std::byte> serializeImatrix(const ImatrixFile &f)
{
    std::vector<std::byte> out;
    putInt(out, int64_t(f.entries.size()), "entry count");
    for (const ImatrixEntry &e : f.entries) {
        if (e.name.empty())
            throw Error("imatrix: an entry has no name");
        if (e.values.empty())
            throw Error("imatrix: entry " + e.name + " has no values");
        for (size_t i = 0; i < e.values.size(); ++i)
            if (!std::isfinite(e.values[i]))
                throw Error("imatrix: entry " + e.name + ": value " + std::to_string(i)
                            + " is not finite (" + std::to_string(e.values[i]) + ")");
        putInt(out, int64_t(e.name.size()), e.name + " name length");
        putBytes(out, e.name.data(), e.name.size());
        putInt(out, e.ncall, e.name + " ncall");
        putInt(out, int64_t(e.values.size()), e.name + " value count");
        putBytes(out, e.values.data(), e.values.size() * sizeof(float));
    }
    if (f.hasTrailer) {
        putInt(out, f.lastCall, "last_call");
        putInt(out, int64_t(f.dataset.size()), "dataset name length");
        putBytes(out, f.dataset.data(), f.dataset.size());
    }
    return out;
}

ImatrixFile parseImatrix(std::span<const std::byte> bytes, const std::string &source)
{
    ByteReader r(bytes, source);
    ImatrixFile f;
    const int32_t n = r.read<int32_t>("entry count");
    if (n < 1)
        throwAt(source, 0, "entry count " + std::to_string(n) + " (llama-quantize needs >= 1)");
    for (int32_t i = 0; i < n; ++i) {
        ImatrixEntry e;
        const uint64_t at = r.offset();
        const int32_t len = r.read<int32_t>("name length");
        if (len < 1)
            throwAt(source, at,
                    "entry " + std::to_string(i) + ": name length " + std::to_string(len));
        e.name = r.readString(uint64_t(len), "entry name");
        e.ncall = r.read<int32_t>("ncall of " + e.name);
        const uint64_t nvalAt = r.offset();
        const int32_t nval = r.read<int32_t>("value count of " + e.name);
        if (nval < 1)
            throwAt(source, nvalAt, e.name + ": value count " + std::to_string(nval));
        const std::span<const std::byte> raw =
            r.readSpan(uint64_t(nval) * sizeof(float), "values of " + e.name);
        e.values.resize(size_t(nval));
        std::memcpy(e.values.data(), raw.data(), raw.size());
        f.entries.push_back(std::move(e));
    }
    f.hasTrailer = r.remaining() > 0;
    if (f.hasTrailer) {
        f.lastCall = r.read<int32_t>("last_call");
        const int32_t len = r.read<int32_t>("dataset name length");
        if (len < 0)
            throwAt(source, r.offset() - 4, "dataset name length " + std::to_string(len));
        f.dataset = r.readString(uint64_t(len), "dataset name");
        if (r.remaining() > 0)
            throwAt(source, r.offset(), std::to_string(r.remaining()) + " bytes after the trailer");
    }
    return f;
}

ImatrixFile readImatrixFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throwIn(path, "cannot open");
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), {});
    return parseImatrix(std::as_bytes(std::span(raw)), path);
}

} // namespace cwb::io
