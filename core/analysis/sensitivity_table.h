// SPDX-License-Identifier: MIT
#pragma once
// What a sensitivity analysis found, as plain data: for every tensor the engine can swap and
// every candidate option (a method and setting), the damage when only that tensor is stored in
// that option and every other tensor is left as it is, next to cheap proxies of it and the
// stored bytes the method registry gives for it. The measure of record is dKLD: the mean over
// calibration positions of KL(p_original || p_with_that_tensor_compressed), in nats per token.
// The proxies are the relative weight error ||W - W'||_F / ||W||_F, the relative output error
// sqrt(tr(D H D^T) / tr(W H W^T)) and the absolute output error tr(D H D^T) / tokens on the
// calibration Hessian H = X^T X (D = W - W'), so a user can see how far each predicts dKLD.
//
// The table is computed by choose/sensitivity.h, cached in the project file (/sensitivity,
// project/project_file.h) under `key`, and read by the budget solver (choose/solve_recipe.h).
// It lives here, below project/, because it is analysis data like the rest of the project.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cwb {

// One candidate option (choose/candidates.h writes and parses `id`).
struct SensitivityOption {
    std::string id;    // canonical text: "q4_k:imatrix=true", "rtn:bits=4:group=32", "keep"
    std::string label; // for people: "Q4_K + imatrix", "int4 g32 sym + f16 scales"
};

// One tensor in one option.
struct SensitivityCell {
    bool fits = false;         // false: the option cannot store this tensor (`why` says so)
    std::string why;           // e.g. "row length 64 is not a multiple of 256"
    uint64_t bytes = 0;        // stored bytes, from the registry (the dry-run estimate)
    double deltaKld = 0;       // nats per token; 0 for an option that changes nothing
    double relativeError = 0;  // ||W - W'||_F / ||W||_F
    double outputError = -1;   // sqrt(tr(D H D^T) / tr(W H W^T)); -1 without a Hessian
    double hessianError = -1;  // tr(D H D^T) / calibration tokens; -1 without a Hessian
};

struct SensitivityTensor {
    std::string name, canonical;
    int64_t parameters = 0;
    uint64_t storedBytes = 0;            // as stored in the model now
    std::vector<SensitivityCell> cells; // one per option, in SensitivityTable::options order
};

struct SensitivityTable {
    // Hash (16 hex digits) of everything the numbers depend on: the model's content hash, the
    // options, the calibration text and how much of it was used (choose/sensitivity.h).
    std::string key;
    std::map<std::string, std::string> settings; // the same, readable ("calibration.text", ...)
    std::vector<SensitivityOption> options;
    std::vector<SensitivityTensor> tensors; // the tensors the engine can swap, model order
    int64_t windows = 0;         // calibration windows the dKLD was measured on
    int64_t tokensPerWindow = 0; // with BOS
    int64_t positions = 0;       // positions per dKLD mean (windows x (tokensPerWindow - 1))
    double baseNll = 0;          // mean next-token NLL of the original model on those positions
    double seconds = 0;          // wall time of the analysis

    [[nodiscard]] const SensitivityTensor *find(const std::string &nameOrCanonical) const;
    [[nodiscard]] std::optional<size_t> optionIndex(const std::string &id) const;
};

// Spearman's rank correlation of x and y (average ranks for ties); nullopt with fewer than 3
// pairs or when either side is constant.
[[nodiscard]] std::optional<double> spearman(std::span<const double> x, std::span<const double> y);

// How well each proxy orders the options and tensors the way dKLD does: Spearman over every
// cell that fits and changes the tensor (dKLD > 0 or a non-zero weight error), per proxy.
struct ProxyCorrelation {
    std::string proxy; // "relative_error", "output_error", "hessian_error"
    int64_t pairs = 0;
    std::optional<double> spearman;
};
[[nodiscard]] std::vector<ProxyCorrelation> proxyCorrelations(const SensitivityTable &table);

} // namespace cwb
