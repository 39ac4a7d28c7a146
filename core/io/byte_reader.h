// SPDX-License-Identifier: MIT
#pragma once
// A bounds-checked little-endian cursor over a byte span. Every read that would pass the end
// throws cwb::Error "<source>: offset N: unexpected end of file reading <what>", so readers never
// index raw memory themselves.

#include "util/error.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace cwb::io {

class ByteReader {
public:
    ByteReader(std::span<const std::byte> bytes, std::string source)
        : bytes_(bytes), source_(std::move(source)) {}

    [[nodiscard]] uint64_t offset() const { return pos_; }
    [[nodiscard]] uint64_t size() const { return bytes_.size(); }
    [[nodiscard]] uint64_t remaining() const { return bytes_.size() - pos_; }
    [[nodiscard]] const std::string &source() const { return source_; }
    [[nodiscard]] std::span<const std::byte> bytes() const { return bytes_; }

    template <typename T>
    T read(std::string_view what)
    {
        static_assert(std::is_trivially_copyable_v<T>);
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T)); // formats are little-endian, so is x86/arm
        pos_ += sizeof(T);
        return v;
    }

    // A string of `len` bytes; `len` is checked against what is left before anything is allocated.
    std::string readString(uint64_t len, std::string_view what)
    {
        need(len, what);
        std::string s(reinterpret_cast<const char *>(bytes_.data() + pos_), static_cast<size_t>(len));
        pos_ += len;
        return s;
    }

    std::span<const std::byte> readSpan(uint64_t len, std::string_view what)
    {
        need(len, what);
        auto s = bytes_.subspan(static_cast<size_t>(pos_), static_cast<size_t>(len));
        pos_ += len;
        return s;
    }

    void skip(uint64_t len, std::string_view what) { need(len, what); pos_ += len; }
    void seek(uint64_t pos, std::string_view what)
    {
        if (pos > bytes_.size())
            fail(std::string("position ") + std::to_string(pos) + " is past the end ("
                 + std::to_string(bytes_.size()) + " bytes) for " + std::string(what));
        pos_ = pos;
    }

    [[noreturn]] void fail(std::string_view what) const { throwAt(source_, pos_, what); }

private:
    void need(uint64_t n, std::string_view what) const
    {
        if (n > remaining())
            throwAt(source_, pos_,
                    "unexpected end of file reading " + std::string(what) + " (need "
                        + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left)");
    }

    std::span<const std::byte> bytes_;
    std::string source_;
    uint64_t pos_ = 0;
};

} // namespace cwb::io
