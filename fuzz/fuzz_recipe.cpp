// SPDX-License-Identifier: MIT
// Recipes: JSON parsed leniently (every problem collected), resolved against a small llama-like
// model (rules, overrides, provenance, method parameters through the registry, size estimates),
// and the plan printed as text and JSON, as `cwb compress --dry-run` does.
#include "fuzz_support.h"
#include "recipe/plan_report.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"

namespace {

cwb::Tensor tensor(std::string name, std::string canonical, std::vector<int64_t> shape)
{
    cwb::Tensor t;
    t.name = std::move(name);
    t.canonical = std::move(canonical);
    t.shape = std::move(shape);
    t.dtype = cwb::DType::F32;
    t.byteSize = static_cast<uint64_t>(t.numel()) * 4;
    return t;
}

// Names, shapes and types are all a plan looks at.
cwb::Model smallModel()
{
    cwb::Model m;
    m.path = "small.gguf";
    m.tensors.push_back(tensor("token_embd.weight", "embed", {512, 64}));
    m.tensors.push_back(tensor("output_norm.weight", "final_norm", {64}));
    for (int l = 0; l < 2; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        const std::string c = "layers." + std::to_string(l) + ".";
        m.tensors.push_back(tensor(b + "attn_norm.weight", c + "attn_norm", {64}));
        m.tensors.push_back(tensor(b + "attn_q.weight", c + "attn.q", {64, 64}));
        m.tensors.push_back(tensor(b + "attn_k.weight", c + "attn.k", {32, 64}));
        m.tensors.push_back(tensor(b + "attn_v.weight", c + "attn.v", {32, 64}));
        m.tensors.push_back(tensor(b + "attn_output.weight", c + "attn.o", {64, 64}));
        m.tensors.push_back(tensor(b + "ffn_gate.weight", c + "mlp.gate", {172, 64}));
        m.tensors.push_back(tensor(b + "ffn_up.weight", c + "mlp.up", {172, 64}));
        m.tensors.push_back(tensor(b + "ffn_down.weight", c + "mlp.down", {64, 172}));
    }
    cwb::Tensor head = tensor("output.weight", "head", {512, 64});
    head.tiedTo = "token_embd.weight";
    m.tensors.push_back(head);
    return m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace cwb;
    static const Model model = smallModel();
    fuzz::expectRefusalOrSuccess([&] {
        const ParsedRecipe parsed = parseRecipeLenient(fuzz::textOf(data, size), "input.json");
        for (bool calibration : {false, true}) {
            PlanOptions options;
            options.calibration = calibration;
            const Plan plan = resolvePlan(parsed, model, options);
            (void)planText(plan);
            // The JSON form takes most of an input's time (a DOM of every tensor's entry): one
            // of the two plans is enough for the printer, the resolver's work stays doubled.
            if (calibration)
                (void)planJson(plan);
        }
    });
    return 0;
}
