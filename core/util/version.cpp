// SPDX-License-Identifier: MIT
#include "util/version.h"

#ifndef CWB_VERSION
#define CWB_VERSION "unknown"
#endif

namespace cwb {

const char *createdBy() { return "Compression Workbench " CWB_VERSION; }

} // namespace cwb
