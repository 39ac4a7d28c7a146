// SPDX-License-Identifier: MIT
#pragma once
// Replacing a directory of exported files as one unit: `write` fills a fresh temporary sibling
// ("<target>.tmp-<pid>"), its files and itself are synced, and it then takes the target's place
// (an atomic exchange where the file system has one: renameat2 RENAME_EXCHANGE), the previous
// directory is removed and the parent synced. An existing target is replaced only when it is
// empty or `replaceable` says it is an earlier export of the same kind, so a user's directory is
// never swept away. Whatever fails before the exchange (an error, cwb::Cancelled, a failpoint)
// removes the temporary directory and leaves the target as it was.
//
// Small and self-contained on purpose: util/atomic_directory (branch ctensors) does the same for
// the model exports, and the two are to be unified.

#include "util/atomic_file.h"

#include <functional>
#include <string>

namespace cwb {

// `replaceable(path)`: true when the existing non-empty directory `path` may be replaced.
// `kind` names the export in the refusal ("a llama.cpp recipe export"). Throws cwb::Error naming
// `target` when it exists and is not a directory, is a directory that may not be replaced, or a
// step fails; rethrows what `write` throws after removing the temporary directory. The failpoints
// of `hooks` are "closed" (after `write`) and "synced" (after the sync).
void writeDirectoryAtomically(const std::string &target, const std::string &kind,
                              const std::function<void(const std::string &tempDir)> &write,
                              const std::function<bool(const std::string &dir)> &replaceable,
                              const AtomicWriteHooks &hooks = {});

} // namespace cwb
