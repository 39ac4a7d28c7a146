// SPDX-License-Identifier: MIT
#pragma once
// A read-only memory map of a whole file. Readers parse headers from it and hand out tensor
// views into it; pages are only touched when a tensor's values are asked for, so opening a
// 14 GB model costs a few page faults, not 14 GB of RSS.

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace cwb::io {

class MappedFile {
public:
    // Throws cwb::Error naming the path when the file cannot be opened or mapped.
    static std::shared_ptr<const MappedFile> open(const std::string &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    [[nodiscard]] std::span<const std::byte> bytes() const { return {data_, size_}; }
    [[nodiscard]] const std::string &path() const { return path_; }
    [[nodiscard]] std::size_t size() const { return size_; }

    // Gives the pages of `range` back (madvise MADV_DONTNEED on the whole pages inside it): the
    // process's resident size drops, and a later read maps them again from the file (page cache
    // or disk), with the same bytes - the mapping is read-only and private, never written. For
    // streaming passes over files larger than memory, once a tensor has been read. A range not
    // inside this mapping is ignored.
    void dropPages(std::span<const std::byte> range) const;

private:
    MappedFile() = default;
    std::string path_;
    const std::byte *data_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace cwb::io
