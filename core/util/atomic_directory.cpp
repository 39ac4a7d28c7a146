// SPDX-License-Identifier: MIT
#include "util/atomic_directory.h"

#include "util/error.h"
#include "util/write_steps.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <filesystem>
#include <system_error>

namespace cwb {
namespace {

namespace fs = std::filesystem;

// The target as an absolute path without a trailing separator ("out/" names "out").
fs::path normalTarget(const std::string &target)
{
    fs::path p = fs::absolute(fs::path(target)).lexically_normal();
    if (!p.has_filename() && p.has_parent_path())
        p = p.parent_path();
    return p;
}

bool present(const fs::path &p)
{
    std::error_code ec;
    return fs::symlink_status(p, ec).type() != fs::file_type::not_found && !ec;
}

void removeQuietly(const fs::path &p)
{
    std::error_code ignored;
    fs::remove_all(p, ignored);
}

// Every file and folder below `dir`, then `dir` itself: what the rename publishes is on disk.
void syncTree(const fs::path &dir)
{
    for (const auto &entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_symlink())
            continue;
        if (entry.is_regular_file())
            syncPath(entry.path().string(), false);
        else if (entry.is_directory())
            syncPath(entry.path().string(), true);
    }
    syncPath(dir.string(), true);
}

} // namespace

void checkReplaceableDirectory(const std::string &target, const std::string &marker)
{
    const fs::path path = normalTarget(target);
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(path, ec);
    if (status.type() == fs::file_type::not_found)
        return;
    if (ec)
        throwIn(path.string(), "cannot inspect the output path: " + ec.message());
    if (fs::is_symlink(status))
        throwIn(path.string(), "is a symbolic link; give the directory itself (nothing was "
                               "written)");
    if (!fs::is_directory(status))
        throwIn(path.string(), "exists and is not a directory; refusing to replace it (nothing "
                               "was written)");
    if (fs::is_regular_file(path / marker, ec))
        return;
    const bool empty = fs::is_empty(path, ec);
    if (!ec && empty)
        return;
    throwIn(path.string(), "is a directory this program did not write (no " + marker
                               + " in it) and it is not empty; refusing to replace it (nothing "
                                 "was written): choose another path, or empty it first");
}

void writeDirectoryAtomically(const std::string &target, const std::string &marker,
                              const std::function<void(const std::string &tempDir)> &write,
                              const AtomicWriteHooks &hooks)
{
    const fs::path path = normalTarget(target);
    checkReplaceableDirectory(path.string(), marker);
    const std::string pid = std::to_string(::getpid());
    const fs::path temp = path.string() + ".tmp-" + pid;
    const fs::path aside = path.string() + ".old-" + pid;
    const auto failpoint = [&](std::string_view point) {
        if (hooks.failpoint)
            hooks.failpoint(point);
    };
    // A directory under these names can only be the leftover of a killed run of this program
    // that had the same process id.
    removeQuietly(temp);
    std::error_code ec;
    if (!fs::create_directory(temp, ec) || ec)
        throwIn(path.string(), "cannot create a temporary directory beside it: "
                                   + (ec ? ec.message() : std::string("it already exists")));
    bool movedAside = false;
    try {
        write(temp.string());
        if (!fs::is_regular_file(temp / marker))
            throwIn(path.string(), "internal error: the writer did not create " + marker);
        failpoint("written");
        syncTree(temp);
        failpoint("synced");
        // The target may have changed while the files were written.
        checkReplaceableDirectory(path.string(), marker);
        bool exchanged = false;
        if (present(path)) {
            // One atomic exchange where the file system has it: the name holds the previous
            // directory or the new one at every instant, even when the process is killed here.
            failpoint("aside");
            writeStep(WriteStepKind::Rename, path.string());
            if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
                exchanged = true;
                removeQuietly(temp); // the previous directory, now under the temporary name
            } else if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
                throwIn(path.string(), std::string("cannot exchange the new directory with the "
                                                   "previous one: ") + std::strerror(errno));
            } else {
                // No exchange (some network and FUSE file systems): two renames, with a moment
                // in which the previous directory is aside; an error then renames it back.
                removeQuietly(aside);
                fs::rename(path, aside, ec);
                if (ec)
                    throwIn(path.string(), "cannot move the previous directory aside: "
                                               + ec.message());
                movedAside = true;
            }
        }
        if (!exchanged) {
            writeStep(WriteStepKind::Rename, path.string());
            fs::rename(temp, path, ec);
            if (ec)
                throwIn(path.string(), "cannot move the new directory into place: "
                                           + ec.message());
        }
    } catch (...) {
        removeQuietly(temp);
        if (movedAside) {
            std::error_code ignored;
            fs::rename(aside, path, ignored);
        }
        throw;
    }
    if (movedAside)
        removeQuietly(aside);
    syncPath(path.parent_path().string(), true);
}

} // namespace cwb
