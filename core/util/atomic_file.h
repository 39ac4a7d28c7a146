// SPDX-License-Identifier: MIT
#pragma once
// Replacing a file atomically: `write` fills a temporary file next to the target
// ("<target>.tmp-<pid>"), which is synced and renamed over the target, and the directory is
// synced. Whatever happens before the rename (an error, cwb::Cancelled) removes the temporary
// file and leaves the target as it was: a reader sees the old file or the new one, never a part.

#include <functional>
#include <string>
#include <string_view>

namespace cwb {

struct AtomicWriteHooks {
    // Called with "closed" after `write` returns and "synced" after the sync (tests inject
    // failures there).
    std::function<void(std::string_view point)> failpoint;
};

// Throws cwb::Error naming `target` (the user's file, not the temporary one) when a step fails;
// rethrows what `write` throws after removing the temporary file.
void writeFileAtomically(const std::string &target,
                         const std::function<void(const std::string &tempPath)> &write,
                         const AtomicWriteHooks &hooks = {});

// fsync of a file or a directory; throws cwb::Error naming `path`. A file system that cannot
// sync directories (EINVAL, ENOTSUP) is accepted: its renames are still atomic.
void syncPath(const std::string &path, bool directory);

} // namespace cwb
