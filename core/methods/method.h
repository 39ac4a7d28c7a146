// SPDX-License-Identifier: MIT
#pragma once
// One compression method as the workbench knows it: its stable name, the pipeline slot it fills
// (prune -> lowrank -> quantize), its parameter schema, what calibration it needs, the exact
// bytes it stores, the form it stores them in, its label for people, the export types that
// decode to exactly its values, how other tools' recipes state it (llm-compressor, GPTQModel,
// llama.cpp), and how it runs. Every method is one descriptor, defined in its
// own file under methods/ and listed once in methods/registry.cpp; recipe validation and
// resolution, the dry-run estimate, the pipeline, the archive and the Layer Plan ask the
// registry instead of comparing names. Names never change once published: a recipe written
// today has to mean the same thing next year (add a method, never rename one).
//
// Layering: methods/ sits above the algorithms (compress/gptq.h, pruning.h, ...) and below
// recipe/ and the pipeline, so its functions take a ParamReader (methods/method_schema.h), not a
// recipe's SlotPlan.

#include "compress/awq.h"
#include "compress/stored_matrix.h"
#include "formats/dtype.h"
#include "formats/quant_params.h"
#include "methods/method_schema.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

// Marks a label text for Qt's lupdate (widgets/CMakeLists.txt aliases it to QT_TRANSLATE_NOOP)
// without core including Qt; the text itself is the English source.
#define CWB_TRANSLATE_NOOP(context, text) text

namespace cwb {

struct JobContext;

// What a matrix's input looked like on the calibration text (all optional).
struct InputStats {
    std::shared_ptr<const std::vector<double>> hessian; // raw X^T X, cols x cols; null: none
    int64_t tokens = 0;
    std::vector<double> meanSquare; // per input channel; empty: none
    std::vector<double> meanAbs;    // per input channel; empty: none
    // The raw X^T X~ of the original model's inputs against these (compressed prefix's) ones,
    // cols x cols: only from sequential calibration for a method with needsOriginalCross.
    std::shared_ptr<const std::vector<double>> originalCross;
    [[nodiscard]] bool empty() const { return !hessian && meanSquare.empty(); }
};

// Stored bytes of one tensor after compression, by component, computed from shapes and
// settings alone. The quantize methods' storedSize() gives exactly what their StoredMatrix holds
// (tests/test_method_registry.cpp compares them for every method).
struct ByteEstimate {
    uint64_t codes = 0;  // weight codes or float values (ggml: block payload without scales)
    uint64_t scales = 0; // group / block / channel scales, absmax values, second-level scales
    uint64_t zeros = 0;  // zero points of asymmetric grids
    uint64_t masks = 0;  // pruning bitmap or N:M indices, when the stored form needs them
    uint64_t extra = 0;  // tensor-wide scalars, AWQ's per-input-channel scales
    int64_t rank = 0;    // low rank kept (0: none or chosen from the spectrum at run time)
    std::string note;    // what the estimate assumes, when it is not plain
    [[nodiscard]] uint64_t total() const { return codes + scales + zeros + masks + extra; }
    void add(const ByteEstimate &o)
    {
        codes += o.codes;
        scales += o.scales;
        zeros += o.zeros;
        masks += o.masks;
        extra += o.extra;
    }
};

// The matrix a quantize method stores (rows x cols, cols the contiguous row) and what "keep"
// stores for it.
struct StoredShape {
    uint64_t rows = 1, cols = 1;
    DType keepType = DType::F32; // what "keep" writes when it writes (keepStorageType)
    uint64_t keptBytes = 0;      // the tensor's bytes as stored when nothing changed its values
};

// A label for people in English: `text` with %1, %2, ... replaced by `args` in order. The GUI
// translates `text` and the args marked `translate` in context kMethodLabelContext (the texts
// are marked with CWB_TRANSLATE_NOOP, so lupdate finds them).
struct MethodLabel {
    struct Arg {
        std::string text;
        bool translate = false;
    };
    std::string text;
    std::vector<Arg> args;
    [[nodiscard]] std::string english() const;
};
inline constexpr const char *kMethodLabelContext = "cwb::methods";

// The export forms that decode to exactly the values the method stores (the GGUF / safetensors
// export reads these). "none" when no such form exists or it is not known to be exact; `note`
// says why, or what the export must do (repack nibbles, add an offset).
struct ExportForms {
    std::string gguf = "none";              // ggml type name: "Q4_0", "F16", ...
    std::string compressedTensors = "none"; // compressed-tensors format: "dense",
                                            // "pack-quantized", "float-quantized"
    std::string note;
};

// One setting in another tool's recipe: a key and a YAML / JSON scalar (monostate = null).
using ToolValue = std::variant<std::monostate, bool, int64_t, double, std::string>;
struct ToolArg {
    std::string key;
    ToolValue value;
    bool operator==(const ToolArg &) const = default;
};
// "null", "true", "4", "0.01", "static"
[[nodiscard]] std::string toolValueText(const ToolValue &v);

// A method as one quantization tool's recipe states it (the recipe exports in export/). The tool
// runs `algorithm` (its own name: "GPTQModifier", "gptq", "Q4_K"; empty: the tool does nothing to
// the tensor) with `args`, settings it takes per tensor, and `shared`, settings one instance of
// the algorithm takes for all its tensors (llm-compressor's modifier arguments, GPTQModel's
// model-wide fields). `exact`: the tool runs this method with these settings; otherwise the form
// is what the tool is given instead (possibly nothing) and `note` says what it lacks.
struct ToolForm {
    std::string algorithm;
    std::vector<ToolArg> args;
    std::vector<ToolArg> shared;
    bool exact = false;
    std::string note;
};

// The recipe forms of a method in every tool a recipe export targets.
struct RecipeForms {
    // llm-compressor: the modifier class; quantize methods' args are a config group's `weights`
    // (num_bits, type, symmetric, strategy, group_size), shared ones the modifier's arguments.
    ToolForm llmCompressor;
    // GPTQModel: "gptq" or "rtn"; args are the per-module fields (bits, group_size, sym,
    // desc_act), shared ones the model-wide fields (damp_percent, static_groups).
    ToolForm gptqModel;
    // llama.cpp's llama-quantize: the ggml type name; args: imatrix (bool).
    ToolForm llamaCpp;
};

// A problem with a parameter combination the schema's ranges allow but the method does not.
struct ParamProblem {
    std::string param;
    std::string what;
};

struct PruneOutcome {
    std::vector<float> weights;   // pruned positions exactly 0
    std::vector<uint8_t> keep;    // bitmap, 1 = kept
    std::vector<uint8_t> nmIndices;
    int nmN = 0, nmM = 0;
    double sparsity = 0;          // fraction removed
    uint64_t maskBytes = 0;       // bitmap or N:M indices as pruning.h stores them
};

struct LowRankOutcome {
    std::vector<float> a, b; // rows x rank, rank x cols
    int64_t rank = 0;
    double truncationError = 0;
};

// One matrix for a quantize method. `keepType`: what "keep" stores; `keepMask`: a pruning bitmap
// the method must hold at zero (gptq) or null.
struct QuantizeInput {
    const float *w = nullptr; // rows x cols, row-major
    int64_t rows = 0, cols = 0;
    const InputStats *in = nullptr;
    DType keepType = DType::F32;
    const uint8_t *keepMask = nullptr;
    const JobContext *job = nullptr;
    std::vector<std::string> *notes = nullptr; // what the method decided, for the report
};

// How a quantize method's result is stored (the archive's `@kind`, and which form).
enum class StorageKind : uint8_t {
    AsStored,  // keep: the tensor's own type (float, or its ggml type re-quantized)
    Float,     // F32 / F16 / BF16 values
    Quantized, // a QuantizedTensor (quantizedForm says which)
    Ggml,      // ggml blocks, llama.cpp's bytes
};

struct MethodSpec {
    std::string name;
    MethodSlot slot = MethodSlot::Quantize;
    std::vector<ParamSpec> params;
    // Calibration statistics: always, or only when the Bool parameter `calibrationParam` is
    // true (ggml types' imatrix); needsHessian: they include the Hessian X^T X.
    bool needsCalibration = false;
    std::string calibrationParam;
    bool needsHessian = false;
    // Also the cross moment of the original model's inputs with those of the compressed prefix
    // (InputStats::originalCross): only sequential calibration collects it, so the pipeline
    // turns sequential calibration on for a plan holding such a method, refuses statistics
    // collected before, and the default candidate sets leave the method out (the sensitivity
    // table measures each tensor on one-pass statistics, where the prefix is the original).
    bool needsOriginalCross = false;
    std::string summary;

    // ---- quantize slot ----
    bool keepsAsStored = false;     // "keep": a plan with only this changes nothing
    bool reportsMethodName = false; // its stored form is a plain grid another method also writes
                                    // (gptq, awq -> rtn): the report says "gptq int4 g32 ..."
    // awq, awq_ggml: the search's params for a recipe entry; set, the projections reading one
    // norm run one joint search whose input scales fold into that norm (pipeline/awq_fold.h).
    std::function<AwqParams(const ParamReader &)> awqFold;
    StorageKind storage = StorageKind::Float;
    std::optional<QuantParams> quantizedForm; // Quantized: the params struct it writes
    // The parameter the row multiple comes from ("group", "block_size"); empty: the format's.
    std::string rowMultipleParam;
    std::function<int64_t(const ParamReader &)> rowMultiple; // 1 = any row length
    std::function<std::optional<ParamProblem>(const ParamReader &)> checkParams;
    std::function<ByteEstimate(const ParamReader &, const StoredShape &)> storedSize;
    // True when pruned (zero) weights decode as exactly 0, so no pruning mask is stored.
    std::function<bool(const ParamReader &, DType keepType)> exactZeros;
    // `keptLabel`: the tensor's type as the plan shows it (for "keep").
    std::function<MethodLabel(const ParamReader &, const std::string &keptLabel)> label;
    std::function<ExportForms(const ParamReader &, DType keepType)> exportForms;
    std::function<StoredMatrix(const ParamReader &, const QuantizeInput &)> quantize;

    // ---- every slot ----
    // How llm-compressor, GPTQModel and llama.cpp recipes state this method (`keepType`: the
    // tensor as stored, for "keep").
    std::function<RecipeForms(const ParamReader &, DType keepType)> recipeForms;

    // ---- prune slot ----
    // Bytes of the mask (pruning.h's layout) for a rows x cols matrix; stored when the quantize
    // method does not decode zeros exactly.
    std::function<uint64_t(const ParamReader &, int64_t rows, int64_t cols)> maskBytes;
    std::function<PruneOutcome(const ParamReader &, const std::vector<float> &w, int64_t rows,
                               int64_t cols, const InputStats &in, const JobContext &job)>
        prune;

    // ---- lowrank slot ----
    // The rank the factors get; 0 = chosen from the spectrum at run time (not known before).
    std::function<int64_t(const ParamReader &)> plannedRank;
    std::function<LowRankOutcome(const ParamReader &, const std::vector<float> &w, int64_t rows,
                                 int64_t cols, const InputStats &in, const JobContext &job)>
        lowRank;

    [[nodiscard]] const ParamSpec *findParam(std::string_view param) const;
    [[nodiscard]] std::string paramNames() const; // "bits, group, sym" or "none"
    [[nodiscard]] bool needsCalibrationWith(const ParamReader &p) const;
};

} // namespace cwb
