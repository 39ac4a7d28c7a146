// SPDX-License-Identifier: MIT
#include "util/atomic_file.h"

#include "util/error.h"
#include "util/write_steps.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace cwb {

namespace fs = std::filesystem;

void syncPath(const std::string &path, bool directory)
{
    writeStep(WriteStepKind::Sync, path);
    const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0)
        throwIn(path, std::string("cannot open to sync: ") + std::strerror(errno));
    const int r = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    // Some file systems cannot sync directories (EINVAL); the rename is still atomic there.
    if (r != 0 && !(directory && (err == EINVAL || err == ENOTSUP)))
        throwIn(path, std::string("fsync failed: ") + std::strerror(err));
}

void writeFileAtomically(const std::string &target,
                         const std::function<void(const std::string &tempPath)> &write,
                         const AtomicWriteHooks &hooks)
{
    const fs::path path = fs::absolute(fs::path(target));
    const std::string temp = path.string() + ".tmp-" + std::to_string(::getpid());
    const auto failpoint = [&](std::string_view point) {
        if (hooks.failpoint)
            hooks.failpoint(point);
    };
    try {
        write(temp);
        failpoint("closed");
        syncPath(temp, false);
        failpoint("synced");
        std::error_code ec;
        writeStep(WriteStepKind::Rename, path.string());
        fs::rename(temp, path, ec);
        if (ec)
            throwIn(path.string(), "cannot replace the file: " + ec.message());
        syncPath(path.parent_path().string(), true);
    } catch (...) {
        std::error_code ignored;
        fs::remove(temp, ignored);
        throw;
    }
}

} // namespace cwb
