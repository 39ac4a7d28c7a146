// SPDX-License-Identifier: MIT
// GGUF parsing and validation (layout in gguf_reader.h). Counts and lengths from the file are
// compared with the bytes left before anything is allocated, so a 2^60 tensor count or a 4 GB
// string length is an error, not an allocation.

#include "io/gguf_reader.h"

#include "io/byte_reader.h"
#include "util/error.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <unordered_set>

namespace cwb::io {
namespace {

// Smallest encodings, used to reject counts that cannot fit in what is left of the file.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;          // empty key, type, 1-byte value
constexpr uint64_t kMinTensorBytes = 8 + 4 + 4 + 8;  // empty name, n_dims 0, type, offset

uint64_t fixedSize(GgufType t)
{
    switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    case GgufType::String: return 8;      // just the length
    case GgufType::Array: return 4 + 8;   // element type and count
    }
    return 1;
}

bool knownType(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::F64); }

std::string hex4(std::span<const std::byte> b)
{
    std::string s;
    char buf[4];
    for (size_t i = 0; i < b.size() && i < 4; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(b[i]));
        if (i)
            s += ' ';
        s += buf;
    }
    return s;
}

class Parser {
public:
    Parser(std::span<const std::byte> bytes, std::string source)
        : r_(bytes, std::move(source)) {}

    GgufFile run()
    {
        GgufFile f;
        f.source = r_.source();
        readHeader(f);
        readMetadata(f);
        readAlignment(f);
        readTensorInfos(f);
        placeData(f);
        return f;
    }

private:
    [[noreturn]] void failAt(uint64_t offset, const std::string &what) const
    {
        throwAt(r_.source(), offset, what);
    }

    // A count or length field that must leave room for `count * minBytes` more bytes.
    void checkFits(uint64_t fieldOffset, uint64_t count, uint64_t minBytes, const std::string &what)
    {
        if (count > r_.remaining() / minBytes)
            failAt(fieldOffset, what + " " + std::to_string(count) + " cannot fit in the "
                                    + std::to_string(r_.remaining()) + " bytes left in the file");
    }

    std::string readString(const std::string &what)
    {
        const uint64_t at = r_.offset();
        const auto len = r_.read<uint64_t>(what + " length");
        if (len > r_.remaining())
            failAt(at, what + " length " + std::to_string(len) + " is larger than the "
                           + std::to_string(r_.remaining()) + " bytes left in the file");
        return r_.readString(len, what);
    }

    void readHeader(GgufFile &f)
    {
        if (r_.size() < 4)
            r_.read<uint32_t>("magic"); // throws "unexpected end of file reading magic"
        const auto magicBytes = r_.bytes().first(4);
        const auto magic = r_.read<uint32_t>("magic");
        if (magic != kGgufMagic)
            failAt(0, "not a GGUF file: magic bytes are " + hex4(magicBytes)
                          + ", expected 47 47 55 46 (\"GGUF\")");
        const auto version = r_.read<uint32_t>("version");
        if (version == 0x02000000u || version == 0x03000000u)
            failAt(4, "big-endian GGUF files are not supported");
        if (version == 1)
            failAt(4, "GGUF version 1 is not supported (it predates 64-bit counts); "
                      "convert the model again with a current llama.cpp");
        if (version != 2 && version != 3)
            failAt(4, "unsupported GGUF version " + std::to_string(version)
                          + " (this reader handles versions 2 and 3)");
        f.version = version;
        nTensorsAt_ = r_.offset();
        nTensors_ = r_.read<uint64_t>("n_tensors");
        nKvAt_ = r_.offset();
        nKv_ = r_.read<uint64_t>("n_kv");
        // Cheap early checks; each is repeated more tightly where the records are read.
        checkFits(nKvAt_, nKv_, kMinKvBytes, "n_kv");
        checkFits(nTensorsAt_, nTensors_, kMinTensorBytes, "n_tensors");
    }

    MetaValue readValue(uint32_t type, int depth, const std::string &key)
    {
        const uint64_t at = r_.offset();
        if (++metaValues_ > kGgufMaxMetaValues)
            failAt(at, "metadata '" + key + "': the file holds more than "
                           + std::to_string(kGgufMaxMetaValues) + " metadata values");
        switch (static_cast<GgufType>(type)) {
        case GgufType::U8: return MetaValue::ofUInt(r_.read<uint8_t>(key), "u8");
        case GgufType::I8: return MetaValue::ofInt(r_.read<int8_t>(key), "i8");
        case GgufType::U16: return MetaValue::ofUInt(r_.read<uint16_t>(key), "u16");
        case GgufType::I16: return MetaValue::ofInt(r_.read<int16_t>(key), "i16");
        case GgufType::U32: return MetaValue::ofUInt(r_.read<uint32_t>(key), "u32");
        case GgufType::I32: return MetaValue::ofInt(r_.read<int32_t>(key), "i32");
        case GgufType::F32: return MetaValue::ofFloat(r_.read<float>(key), "f32");
        case GgufType::Bool: return MetaValue::ofBool(r_.read<uint8_t>(key) != 0, "bool");
        case GgufType::String: return MetaValue::ofString(readString("string value of " + key));
        case GgufType::U64: return MetaValue::ofUInt(r_.read<uint64_t>(key), "u64");
        case GgufType::I64: return MetaValue::ofInt(r_.read<int64_t>(key), "i64");
        case GgufType::F64: return MetaValue::ofFloat(r_.read<double>(key), "f64");
        case GgufType::Array: return readArray(depth, key);
        }
        failAt(at, "metadata '" + key + "': unknown value type " + std::to_string(type));
    }

    MetaValue readArray(int depth, const std::string &key)
    {
        const uint64_t at = r_.offset();
        if (depth >= kGgufMaxArrayDepth)
            failAt(at, "metadata '" + key + "': arrays nested more than "
                           + std::to_string(kGgufMaxArrayDepth) + " deep");
        const auto elemType = r_.read<uint32_t>("array element type of " + key);
        if (!knownType(elemType))
            failAt(at, "metadata '" + key + "': unknown array element type "
                           + std::to_string(elemType));
        const uint64_t countAt = r_.offset();
        const auto count = r_.read<uint64_t>("array count of " + key);
        const auto et = static_cast<GgufType>(elemType);
        checkFits(countAt, count, fixedSize(et), "metadata '" + key + "': array count");
        if (count > kGgufMaxMetaValues - metaValues_)
            failAt(countAt, "metadata '" + key + "': array count " + std::to_string(count)
                                + " takes the file past " + std::to_string(kGgufMaxMetaValues)
                                + " metadata values");
        MetaValue v;
        v.kind = MetaValue::Kind::Array;
        v.typeName = "array[" + std::string(ggufTypeName(elemType)) + "]";
        v.array.reserve(static_cast<size_t>(count));
        for (uint64_t i = 0; i < count; ++i)
            v.array.push_back(readValue(elemType, depth + 1, key));
        return v;
    }

    void readMetadata(GgufFile &f)
    {
        f.metadata.reserve(static_cast<size_t>(nKv_));
        std::unordered_set<std::string> seen;
        for (uint64_t k = 0; k < nKv_; ++k) {
            const uint64_t at = r_.offset();
            std::string key = readString("metadata key " + std::to_string(k));
            const uint64_t typeAt = r_.offset();
            const auto type = r_.read<uint32_t>("value type of " + key);
            if (!knownType(type))
                failAt(typeAt,
                       "metadata '" + key + "': unknown value type " + std::to_string(type));
            if (!seen.insert(key).second)
                failAt(at, "duplicate metadata key '" + key + "'");
            MetaValue v = readValue(type, 0, key);
            f.metadata.emplace_back(std::move(key), std::move(v));
        }
    }

    void readAlignment(GgufFile &f)
    {
        const MetaValue *a = f.findMeta("general.alignment");
        if (!a)
            return;
        const bool integer = a->kind == MetaValue::Kind::UInt || a->kind == MetaValue::Kind::Int;
        if (!integer)
            failAt(nKvAt_, "general.alignment has type " + a->typeName + ", expected u32");
        const int64_t v = a->kind == MetaValue::Kind::Int ? a->i : static_cast<int64_t>(a->u);
        // 2^30 is far beyond any real alignment and keeps every later sum far from overflow.
        if (v <= 0 || v > (int64_t{1} << 30) || (v & (v - 1)) != 0)
            failAt(nKvAt_, "general.alignment " + a->toDisplay()
                               + " is not a power of two between 1 and 2^30");
        f.alignment = static_cast<uint64_t>(v);
    }

    void readTensorInfos(GgufFile &f)
    {
        checkFits(nTensorsAt_, nTensors_, kMinTensorBytes, "n_tensors");
        f.tensors.reserve(static_cast<size_t>(nTensors_));
        std::unordered_set<std::string> names;
        for (uint64_t k = 0; k < nTensors_; ++k) {
            GgufTensorInfo t;
            t.recordOffset = r_.offset();
            t.name = readString("tensor name " + std::to_string(k));
            const std::string who = "tensor '" + t.name + "'";
            if (!names.insert(t.name).second)
                failAt(t.recordOffset, "duplicate tensor name '" + t.name + "'");
            const uint64_t dimsAt = r_.offset();
            const auto nDims = r_.read<uint32_t>("n_dims of " + who);
            if (nDims > kGgufMaxDims)
                failAt(dimsAt, who + ": n_dims " + std::to_string(nDims) + " is more than "
                                   + std::to_string(kGgufMaxDims));
            // `spread`, the product of the non-zero dimensions, stays below 2^63 too: a zero
            // dimension empties the tensor, but code that multiplies some of the others (rows
            // times columns, a channel count) must not overflow either.
            uint64_t numel = 1, spread = 1;
            for (uint32_t d = 0; d < nDims; ++d) {
                const uint64_t neAt = r_.offset();
                const auto ne = r_.read<uint64_t>("ne of " + who);
                constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
                if (ne > kMax)
                    failAt(neAt, who + ": dimension " + std::to_string(ne) + " is too large");
                if (ne != 0 && spread > kMax / ne)
                    failAt(neAt, who + ": element count overflows (dimensions multiply past 2^63)");
                spread *= ne != 0 ? ne : 1;
                numel *= ne;
                t.ne.push_back(ne);
            }
            const uint64_t typeAt = r_.offset();
            t.ggmlType = r_.read<uint32_t>("type of " + who);
            t.offset = r_.read<uint64_t>("data offset of " + who);
            if (const auto dt = dtypeFromGgml(t.ggmlType)) {
                t.dtype = *dt;
                const auto &info = dtypeInfo(*dt);
                const uint64_t rowLen = t.ne.empty() ? 1 : t.ne[0];
                if (rowLen % static_cast<uint64_t>(info.blockElems) != 0)
                    failAt(typeAt, who + ": row length " + std::to_string(rowLen)
                                       + " is not a multiple of the " + std::string(info.name)
                                       + " block size " + std::to_string(info.blockElems));
                const auto bytes = storageBytes(*dt, numel);
                if (!bytes)
                    failAt(typeAt, who + ": stored size overflows");
                t.byteSize = *bytes;
            }
            f.tensors.push_back(std::move(t));
        }
    }

    void placeData(GgufFile &f)
    {
        const uint64_t end = r_.offset();
        f.dataStart = (end + f.alignment - 1) / f.alignment * f.alignment;
        if (f.tensors.empty())
            return;
        if (f.dataStart > r_.size())
            failAt(end, "file ends before the data section (which starts at "
                            + std::to_string(f.dataStart) + ", file has "
                            + std::to_string(r_.size()) + " bytes)");
        const uint64_t room = r_.size() - f.dataStart;
        std::vector<const GgufTensorInfo *> placed;
        for (const auto &t : f.tensors) {
            const std::string who = "tensor '" + t.name + "'";
            if (t.offset % f.alignment != 0)
                failAt(t.recordOffset, who + ": data offset " + std::to_string(t.offset)
                                           + " is not a multiple of the alignment "
                                           + std::to_string(f.alignment));
            if (t.dtype == DType::Unknown || t.byteSize == 0)
                continue; // nothing to read; an unknown type is listed, not decoded
            if (t.offset > room || t.byteSize > room - t.offset)
                failAt(t.recordOffset,
                       who + ": data [" + std::to_string(f.dataStart + t.offset) + ", +"
                           + std::to_string(t.byteSize) + ") runs past the end of the file ("
                           + std::to_string(r_.size()) + " bytes)");
            placed.push_back(&t);
        }
        std::stable_sort(placed.begin(), placed.end(),
                         [](const auto *a, const auto *b) { return a->offset < b->offset; });
        for (size_t i = 1; i < placed.size(); ++i) {
            const auto *prev = placed[i - 1];
            const auto *cur = placed[i];
            if (prev->offset + prev->byteSize > cur->offset)
                failAt(cur->recordOffset, "tensor '" + cur->name + "': data at offset "
                                              + std::to_string(cur->offset) + " overlaps tensor '"
                                              + prev->name + "' (offset "
                                              + std::to_string(prev->offset) + ", "
                                              + std::to_string(prev->byteSize) + " bytes)");
        }
    }

    ByteReader r_;
    uint64_t nTensors_ = 0, nKv_ = 0;
    uint64_t nTensorsAt_ = 8, nKvAt_ = 16;
    uint64_t metaValues_ = 0; // values read so far, arrays' elements included
};

} // namespace

std::string_view ggufTypeName(uint32_t type)
{
    static constexpr std::array<std::string_view, 13> kNames{
        "u8", "i8", "u16", "i16", "u32", "i32", "f32", // ids 0..6
        "bool", "string", "array", "u64", "i64", "f64"}; // ids 7..12
    return type < kNames.size() ? kNames[type] : std::string_view{};
}

const MetaValue *GgufFile::findMeta(std::string_view key) const
{
    for (const auto &[k, v] : metadata)
        if (k == key)
            return &v;
    return nullptr;
}

GgufFile parseGguf(std::span<const std::byte> bytes, std::string source)
{
    return Parser(bytes, std::move(source)).run();
}

} // namespace cwb::io
