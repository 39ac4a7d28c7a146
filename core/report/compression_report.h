// SPDX-License-Identifier: MIT
#pragma once
// What `cwb compress` prints after a run and `cwb inspect ARCHIVE` prints for an archive: the
// totals (size before and after, bits per weight, ratio, time) and one line per compressed
// tensor (what it got, stored format, bytes, bits per weight, relative Frobenius error, output
// error on the calibration Hessian, sparsity, rank, seconds, notes). JSON: the same fields.

#include "compress/compressed_model.h"

#include <string>

namespace cwb {

[[nodiscard]] std::string compressionText(const CompressedModel &m, const std::string &archivePath);
[[nodiscard]] std::string compressionJson(const CompressedModel &m, const std::string &archivePath);

} // namespace cwb
