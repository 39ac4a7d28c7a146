// SPDX-License-Identifier: MIT
#pragma once
// Checked HDF5 (C API) helpers for the project file: owned ids, groups, scalar and string
// attributes, and numeric datasets. Every failure becomes a cwb::Error naming the file, the
// object path and HDF5's own complaint. Callers hold an h5::Hdf5Lock for as long as they use
// any of this (ids included).
//
// Writing: arrays of at least kChunkThresholdBytes are chunked (about 256 KiB per chunk, whole
// rows for 2-D arrays) with the shuffle + deflate(4) filters; smaller ones are contiguous.
// Reading: element counts are checked against the dataset's stored bytes before any allocation
// (deflate cannot expand data more than ~1032:1), so a corrupt header cannot make us allocate
// gigabytes.

#include "h5/h5_id.h"

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwb::h5 {

inline constexpr size_t kChunkThresholdBytes = 16 * 1024;

// An open group (or file root) with its path, for messages.
struct Node {
    Id id;
    std::string path; // "/analysis/tensors/blk.0.attn_q.weight"

    [[nodiscard]] hid_t get() const { return id.get(); }
    [[nodiscard]] std::string child(std::string_view name) const
    {
        std::string out = path;
        if (out.empty() || out.back() != '/')
            out.push_back('/');
        out.append(name);
        return out;
    }
};

// HDF5's error stack as one line (outermost complaint: innermost detail), and clears it.
[[nodiscard]] std::string errorText();

// HDF5 forbids '/' in link names and gives "." a meaning: '%', '/' and a leading '.' are
// percent-encoded ("%25", "%2F", "%2E"); unescapeName inverts it.
[[nodiscard]] std::string escapeName(std::string_view name);
[[nodiscard]] std::string unescapeName(std::string_view name);

// Element types stored in datasets.
template <class T>
concept Element = std::same_as<T, double> || std::same_as<T, float> || std::same_as<T, int64_t>
    || std::same_as<T, uint64_t> || std::same_as<T, int32_t> || std::same_as<T, uint8_t>;

class Writer {
public:
    // Creates (truncating) the file at `path`; messages name `path`.
    explicit Writer(std::string path);
    Writer(const Writer &) = delete;
    Writer &operator=(const Writer &) = delete;

    [[nodiscard]] const Node &root() const { return root_; }
    [[nodiscard]] Node createGroup(const Node &parent, std::string_view name) const;

    void attr(const Node &obj, const char *name, std::string_view value) const;
    void attr(const Node &obj, const char *name, int64_t value) const;
    void attr(const Node &obj, const char *name, uint64_t value) const;
    void attr(const Node &obj, const char *name, double value) const;
    void attr(const Node &obj, const char *name, bool value) const
    {
        attr(obj, name, static_cast<int64_t>(value));
    }

    // `dims` empty: 1-D of data.size(); otherwise their product must equal data.size().
    template <Element T>
    void dataset(const Node &loc, std::string_view name, std::span<const T> data,
                 std::vector<uint64_t> dims = {}) const;
    // A 1-D array of UTF-8 strings (fixed length, NUL padded: readable by any HDF5 tool).
    void strings(const Node &loc, std::string_view name, std::span<const std::string> data) const;

    // Another name for an existing object (by absolute path): both names reach one dataset.
    void hardLink(const Node &loc, std::string_view name, const std::string &targetPath) const;

    // Flushes and closes the file; objects must have been released.
    void close();

private:
    [[noreturn]] void fail(const std::string &object, const std::string &what) const;
    void writeDataset(const Node &loc, std::string_view name, hid_t memType, hid_t fileType,
                      size_t elementSize, const void *data, size_t count,
                      std::vector<uint64_t> dims) const;

    std::string path_;
    Id file_;
    Node root_;
};

class Reader {
public:
    // Opens `path` read-only. Throws cwb::Error naming it when it is missing, not HDF5, or
    // truncated/corrupt (HDF5's own reason appended).
    explicit Reader(std::string path);
    Reader(const Reader &) = delete;
    Reader &operator=(const Reader &) = delete;

    [[nodiscard]] const std::string &path() const { return path_; }
    [[nodiscard]] const Node &root() const { return root_; }
    [[nodiscard]] bool has(const Node &loc, std::string_view name) const;
    [[nodiscard]] bool hasAttr(const Node &obj, const char *name) const;
    [[nodiscard]] Node openGroup(const Node &parent, std::string_view name) const;
    // Link names of a group's members, in name order.
    [[nodiscard]] std::vector<std::string> members(const Node &group) const;
    // Attribute names of an object, in name order.
    [[nodiscard]] std::vector<std::string> attrNames(const Node &obj) const;

    // Required attributes (missing or mistyped: cwb::Error naming the object).
    [[nodiscard]] std::string attrString(const Node &obj, const char *name) const;
    [[nodiscard]] int64_t attrInt(const Node &obj, const char *name) const;
    [[nodiscard]] uint64_t attrUInt(const Node &obj, const char *name) const;
    [[nodiscard]] double attrDouble(const Node &obj, const char *name) const;
    [[nodiscard]] bool attrBool(const Node &obj, const char *name) const
    {
        return attrInt(obj, name) != 0;
    }
    [[nodiscard]] std::optional<std::string> optString(const Node &obj, const char *name) const;

    // A numeric dataset, converted to T by HDF5; `dims` (optional) receives its shape.
    template <Element T>
    [[nodiscard]] std::vector<T> dataset(const Node &loc, std::string_view name,
                                         std::vector<uint64_t> *dims = nullptr) const;
    [[nodiscard]] std::vector<std::string> strings(const Node &loc, std::string_view name) const;

    [[noreturn]] void fail(const std::string &object, const std::string &what) const;

private:
    [[nodiscard]] Id openAttr(const Node &obj, const char *name, H5T_class_t expected) const;
    // Opens a dataset and checks its element count against its stored bytes; returns the count.
    [[nodiscard]] size_t openDataset(const Node &loc, std::string_view name, size_t elementSize,
                                     Id &dataset, std::vector<uint64_t> &dims) const;

    std::string path_;
    uint64_t fileSize_ = 0;
    Id file_;
    Node root_;
};

} // namespace cwb::h5
