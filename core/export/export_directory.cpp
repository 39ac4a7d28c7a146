// SPDX-License-Identifier: MIT
#include "export/export_directory.h"

#include "util/error.h"

#include <fcntl.h>
#include <stdio.h> // renameat2
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace cwb {
namespace {

namespace fs = std::filesystem;

void syncPath(const std::string &path, bool directory)
{
    const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0)
        throwIn(path, std::string("cannot open to sync: ") + std::strerror(errno));
    const int r = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (r != 0 && !(directory && (err == EINVAL || err == ENOTSUP)))
        throwIn(path, std::string("fsync failed: ") + std::strerror(err));
}

bool emptyDirectory(const fs::path &dir)
{
    std::error_code ec;
    return fs::directory_iterator(dir, ec) == fs::directory_iterator();
}

// Puts `temp` in `target`'s place; the previous directory ends up at `temp` (removed by the
// caller). Without RENAME_EXCHANGE (EINVAL: the file system has none) two renames, with a moment
// in which `target` is absent.
void exchange(const fs::path &temp, const fs::path &target)
{
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0)
        return;
    if (errno != EINVAL && errno != ENOSYS)
        throwIn(target.string(), std::string("cannot replace the directory: ")
                                     + std::strerror(errno));
    const fs::path old = target.string() + ".old-" + std::to_string(::getpid());
    std::error_code ec;
    fs::rename(target, old, ec);
    if (ec)
        throwIn(target.string(), "cannot move the previous directory aside: " + ec.message());
    fs::rename(temp, target, ec);
    if (ec) {
        std::error_code ignored;
        fs::rename(old, target, ignored);
        throwIn(target.string(), "cannot replace the directory: " + ec.message());
    }
    fs::rename(old, temp, ec); // where the caller removes what was replaced
}

} // namespace

void writeDirectoryAtomically(const std::string &target, const std::string &kind,
                              const std::function<void(const std::string &tempDir)> &write,
                              const std::function<bool(const std::string &dir)> &replaceable,
                              const AtomicWriteHooks &hooks)
{
    fs::path path = fs::absolute(fs::path(target)).lexically_normal();
    if (!path.has_filename())
        path = path.parent_path(); // "out/" names "out"
    std::error_code ec;
    const bool exists = fs::exists(fs::symlink_status(path, ec));
    if (exists && !fs::is_directory(fs::symlink_status(path, ec)))
        throwIn(target, "exists and is not a directory; give a directory for " + kind);
    if (exists && !emptyDirectory(path) && !replaceable(path.string()))
        throwIn(target, "is a directory that is not " + kind
                            + " (refusing to replace it; choose a new or empty directory)");

    const fs::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
    fs::remove_all(temp, ec);
    if (!fs::create_directory(temp, ec) || ec)
        throwIn(target, "cannot create the directory " + temp.string() + ": "
                            + (ec ? ec.message() : std::string("it exists")));
    const auto failpoint = [&](std::string_view point) {
        if (hooks.failpoint)
            hooks.failpoint(point);
    };
    try {
        write(temp.string());
        failpoint("closed");
        for (const auto &entry : fs::directory_iterator(temp))
            syncPath(entry.path().string(), entry.is_directory());
        syncPath(temp.string(), true);
        failpoint("synced");
        if (exists) {
            exchange(temp, path);
        } else {
            fs::rename(temp, path, ec);
            if (ec)
                throwIn(target, "cannot create the directory: " + ec.message());
        }
        syncPath(path.parent_path().string(), true);
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(temp, ignored);
        throw;
    }
    fs::remove_all(temp, ec); // the replaced directory, now under the temporary name
}

} // namespace cwb
