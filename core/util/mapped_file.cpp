// SPDX-License-Identifier: MIT
#include "util/mapped_file.h"

#include "util/error.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cwb::io {

std::shared_ptr<const MappedFile> MappedFile::open(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throwIn(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        throwIn(path, std::string("cannot stat: ") + std::strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        throwIn(path, "is a directory, not a file");
    }
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->path_ = path;
    f->size_ = static_cast<std::size_t>(st.st_size);
    if (f->size_ > 0) {
        void *p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int e = errno;
            ::close(fd);
            throwIn(path, std::string("cannot map: ") + std::strerror(e));
        }
        f->data_ = static_cast<const std::byte *>(p);
    }
    ::close(fd);
    return f;
}

void MappedFile::dropPages(std::span<const std::byte> range) const
{
    if (!data_ || range.empty() || range.data() < data_ || range.data() + range.size() > data_ + size_)
        return;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(range.data());
    const std::uintptr_t first = (begin + page - 1) / page * page;
    const std::uintptr_t last = (begin + range.size()) / page * page;
    if (last > first) // advice only: a failure changes nothing but the resident size
        (void)::madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

MappedFile::~MappedFile()
{
    if (data_)
        ::munmap(const_cast<std::byte *>(data_), size_);
}

} // namespace cwb::io
