// SPDX-License-Identifier: MIT
#pragma once
// Replacing a directory as a whole: `write` fills a temporary sibling directory
// ("<target>.tmp-<pid>"), every file in it is synced, and only then does it take the target's
// place: an existing target is exchanged with it in one atomic rename (renameat2
// RENAME_EXCHANGE), so the name holds the previous directory or the new one at every instant -
// also when the process is killed - and the previous one, now under the temporary name, is
// removed. Where the file system cannot exchange, the target is renamed aside
// ("<target>.old-<pid>"), the new directory renamed in, the old one removed. Until the new directory is in place, whatever goes wrong (an error,
// cwb::Cancelled, a failpoint, a failed rename) removes the temporary directory and leaves the
// target as it was (renamed back if it had been moved aside).
//
// Only what this program wrote is ever replaced: an existing target must be an empty directory
// or hold `marker`, a file the writer puts into every directory it makes (the exporters' record of
// what they exported). Anything else - a user's directory, a file, a symbolic link - is refused
// before anything is written, so no user directory is ever deleted.

#include "util/atomic_file.h"

#include <functional>
#include <string>

namespace cwb {

// Throws cwb::Error naming `target` when it exists and may not be replaced (see above).
void checkReplaceableDirectory(const std::string &target, const std::string &marker);

// Failpoints (AtomicWriteHooks::failpoint): "written" after `write` returns, "synced" after the
// files and the directory are synced, "aside" just before an existing target is replaced.
// `write` must create `marker` in the directory it is given (checked). Throws cwb::Error naming `target` (not the temporary directory); rethrows
// what `write` throws after cleaning up.
void writeDirectoryAtomically(const std::string &target, const std::string &marker,
                              const std::function<void(const std::string &tempDir)> &write,
                              const AtomicWriteHooks &hooks = {});

} // namespace cwb
