// SPDX-License-Identifier: MIT
#include "recipe/plan_structures.h"

#include "model/canonical_name.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace cwb {

namespace {

constexpr std::string_view kChannels = "prune_channels";
constexpr std::string_view kHeads = "prune_heads";
constexpr std::string_view kDrop = "drop_block";

const std::vector<std::string> kFfnRoles = {"mlp.gate", "mlp.up", "mlp.down"};
const std::vector<std::string> kAttnRoles = {"attn.q", "attn.k", "attn.v", "attn.o"};

// The settings a structure slot carries, for comparing slots ("none" when unused).
std::string settingsOf(const SlotPlan &s)
{
    return s.used() ? s.describe() : std::string("none");
}

class StructureResolver {
public:
    StructureResolver(Plan &plan, const Model &model) : plan_(plan), model_(model) {}

    PlanStructures run()
    {
        PlanStructures out;
        for (TensorPlan &tp : plan_.tensors)
            tp.structure = {};
        for (const TensorPlan &tp : plan_.tensors)
            out.any = out.any || tp.slot(MethodSlot::Structure).used();
        if (!out.any)
            return out;
        if (model_.family != ArchFamily::Llama) {
            error("structure", "structure methods run on the llama family only; this model is "
                                   + model_.architecture);
            return out;
        }
        byCanonical();
        if (!checkPlacement())
            return out;
        const int64_t nLayers = model_.hparams.nLayers;
        const std::vector<int64_t> widths = ffnWidths(model_);
        out.plan.ffnKeep.assign(size_t(nLayers), -1);
        std::map<int64_t, std::string> kvByLayer; // layer -> who set it, for the message
        for (int64_t l = 0; l < nLayers; ++l) {
            if (const SlotPlan *s = layerSlot(l, kDrop, allMatricesOf(l))) {
                out.plan.dropBlocks.push_back(l);
                shared(*s, out.plan);
                continue;
            }
            if (const SlotPlan *s = layerSlot(l, kChannels, kFfnRoles)) {
                shared(*s, out.plan);
                out.plan.ffnKeep[size_t(l)] = keepCount(*s, widths[size_t(l)]);
            }
            if (const SlotPlan *s = layerSlot(l, kHeads, kAttnRoles)) {
                shared(*s, out.plan);
                const int64_t k = keepCount(*s, model_.hparams.nKvHeads);
                kvByLayer[l] = s->describe();
                if (out.plan.kvGroupsKeep >= 0 && k != out.plan.kvGroupsKeep)
                    error(layerPrefix(l) + "attn.q",
                          "prune_heads keeps " + std::to_string(k) + " KV groups here and "
                              + std::to_string(out.plan.kvGroupsKeep)
                              + " in an earlier layer; this workbench's engine runs one head "
                                "count in every layer (set one keep for all layers)");
                out.plan.kvGroupsKeep = k;
            }
        }
        if (!kvByLayer.empty()) {
            for (int64_t l = 0; l < nLayers; ++l)
                if (!kvByLayer.contains(l)
                    && std::find(out.plan.dropBlocks.begin(), out.plan.dropBlocks.end(), l)
                           == out.plan.dropBlocks.end())
                    error(layerPrefix(l) + "attn.q",
                          "has no prune_heads while other layers do; this workbench's engine "
                          "runs one head count in every layer (set prune_heads on every layer)");
            for (const TensorPlan &tp : plan_.tensors)
                if (tp.canonical.ends_with(".bias") && tp.canonical.find(".attn.") != std::string::npos)
                    error(tp.displayName(), "prune_heads in a recipe does not slice attention "
                                            "biases yet (cwb prune does)");
        }
        for (const std::string &r : planRefusals(model_, out.plan, PruneTarget::Engine))
            error("structure", r);
        if (plan_.errors.empty())
            describeTensors(out.plan);
        return out;
    }

private:
    void error(const std::string &where, std::string what)
    {
        plan_.errors.push_back({where, std::move(what)});
    }

    void byCanonical()
    {
        for (TensorPlan &tp : plan_.tensors)
            if (!tp.canonical.empty())
                index_[tp.canonical] = &tp;
    }

    TensorPlan *find(const std::string &canonical)
    {
        const auto it = index_.find(canonical);
        return it == index_.end() ? nullptr : it->second;
    }

    std::vector<std::string> allMatricesOf(int64_t l) const
    {
        std::vector<std::string> roles;
        for (const TensorPlan &tp : plan_.tensors)
            if (tp.shape.size() >= 2 && canonicalLayerIndex(tp.canonical) == l)
                roles.emplace_back(splitLayerTensorName(tp.canonical)->role);
        return roles;
    }

    // Every structure slot sits on a tensor its method applies to.
    bool checkPlacement()
    {
        bool ok = true;
        for (const TensorPlan &tp : plan_.tensors) {
            const SlotPlan &s = tp.slot(MethodSlot::Structure);
            if (!s.used())
                continue;
            const auto split = splitLayerTensorName(tp.canonical);
            const std::string role = split ? std::string(split->role) : std::string();
            const std::string by = " (" + s.method + " set by " + s.from.label() + ")";
            std::string why;
            if (!split || tp.shape.size() < 2)
                why = s.method + " applies to the matrices of a layer; this tensor is none";
            else if (s.method == kChannels
                     && std::find(kFfnRoles.begin(), kFfnRoles.end(), role) == kFfnRoles.end())
                why = "prune_channels applies to a layer's mlp.gate, mlp.up and mlp.down only";
            else if (s.method == kHeads
                     && std::find(kAttnRoles.begin(), kAttnRoles.end(), role) == kAttnRoles.end())
                why = "prune_heads applies to a layer's attn.q, attn.k, attn.v and attn.o only";
            if (!why.empty()) {
                error(tp.displayName(), why + by);
                ok = false;
            }
        }
        return ok;
    }

    // The slot `method` has on layer l's `roles`, when any of them has it; every role must
    // then have it with the same settings (an error names the first that differs).
    const SlotPlan *layerSlot(int64_t l, std::string_view method,
                              const std::vector<std::string> &roles)
    {
        const SlotPlan *first = nullptr;
        std::string firstName;
        for (const std::string &role : roles)
            if (TensorPlan *tp = find(layerTensorName(l, role));
                tp && tp->slot(MethodSlot::Structure).method == method) {
                first = &tp->slot(MethodSlot::Structure);
                firstName = tp->canonical;
                break;
            }
        if (!first)
            return nullptr;
        for (const std::string &role : roles) {
            const TensorPlan *tp = find(layerTensorName(l, role));
            if (!tp) {
                error(layerTensorName(l, role),
                      std::string(method) + " needs this tensor, which the model does not have "
                                            "(fused projections are not pruned in recipes)");
                return nullptr;
            }
            const SlotPlan &s = tp->slot(MethodSlot::Structure);
            if (settingsOf(s) != settingsOf(*first)) {
                error(tp->displayName(),
                      std::string(method) + " must be set alike on every tensor of the structure: "
                          + firstName + " has " + settingsOf(*first) + ", this tensor "
                          + settingsOf(s));
                return nullptr;
            }
        }
        return first;
    }

    // Score, repair and ridge: one setting for the whole plan.
    void shared(const SlotPlan &s, StructuredPlan &p)
    {
        const bool repair = paramBool(s.value("repair"));
        const double ridge = paramFloat(s.value("ridge"));
        std::optional<StructureScore> score;
        if (const ResolvedParam *sc = s.find("score"))
            score = structureScoreFromName(paramText(sc->value));
        std::string settings = std::string("repair=") + (repair ? "true" : "false")
                               + ", ridge=" + formatParamValue(ParamValue{ridge});
        if (score)
            settings += ", score=" + std::string(structureScoreName(*score));
        if (!sharedFrom_.empty()) {
            const bool differs = repair != p.repair || ridge != p.repairParams.ridge
                                 || (score && scoreSet_ && *score != p.score);
            if (differs)
                error("structure", "every structure of a plan is scored and repaired with one "
                                   "setting: " + s.describe() + " (" + s.from.label()
                                       + ") differs from " + sharedFrom_);
        }
        if (sharedFrom_.empty())
            sharedFrom_ = s.describe() + " (" + s.from.label() + ")";
        p.repair = repair;
        p.repairParams.ridge = ridge;
        if (score && !scoreSet_) {
            p.score = *score;
            scoreSet_ = true;
        }
    }

    static int64_t keepCount(const SlotPlan &s, int64_t width)
    {
        const int64_t count = paramInt(s.value("keep_count"));
        if (count > 0)
            return count;
        const double f = paramFloat(s.value("keep"));
        return std::max<int64_t>(1, std::llround(f * double(width)));
    }

    // Each tensor's shape after the step, and what happens to it.
    void describeTensors(const StructuredPlan &p)
    {
        const HyperParams &h = model_.hparams;
        const std::set<int64_t> dropped(p.dropBlocks.begin(), p.dropBlocks.end());
        const std::vector<int64_t> widths = ffnWidths(model_);
        const bool heads = p.kvGroupsKeep > 0 && p.kvGroupsKeep < h.nKvHeads;
        const int64_t qRows = heads ? h.nHeads / h.nKvHeads * p.kvGroupsKeep * h.headDim : 0;
        const int64_t kvRows = heads ? p.kvGroupsKeep * h.headDim : 0;
        for (TensorPlan &tp : plan_.tensors) {
            const int64_t l = canonicalLayerIndex(tp.canonical);
            if (l < 0)
                continue;
            TensorStructure &st = tp.structure;
            if (dropped.contains(l)) {
                st.removed = true;
                st.what = "block " + std::to_string(l) + " dropped";
                continue;
            }
            const std::string role(splitLayerTensorName(tp.canonical)->role);
            const int64_t keep = p.ffnKeep.empty() ? -1 : p.ffnKeep[size_t(l)];
            const int64_t width = widths[size_t(l)];
            const std::string ffn = "ffn channels " + std::to_string(width) + " -> "
                                    + std::to_string(keep);
            if (keep > 0 && keep < width && tp.shape.size() == 2) {
                if (role == "mlp.gate" || role == "mlp.up")
                    st.shape = {keep, tp.shape[1]};
                if (role == "mlp.down") {
                    st.shape = {tp.shape[0], keep};
                    st.refitted = p.repair;
                }
                if (!st.shape.empty())
                    st.what = ffn;
            }
            const std::string kv = "kv groups " + std::to_string(h.nKvHeads) + " -> "
                                   + std::to_string(p.kvGroupsKeep);
            if (heads && tp.shape.size() == 2) {
                if (role == "attn.q")
                    st.shape = {qRows, tp.shape[1]};
                if (role == "attn.k" || role == "attn.v")
                    st.shape = {kvRows, tp.shape[1]};
                if (role == "attn.o") {
                    st.shape = {tp.shape[0], qRows};
                    st.refitted = p.repair;
                }
                if (!st.shape.empty() && role.starts_with("attn."))
                    st.what = kv;
            }
            if (role == "mlp.down" && p.repair && dropped.contains(l + 1)) {
                st.refitted = true;
                st.what += std::string(st.what.empty() ? "" : "; ") + "carries block "
                           + std::to_string(l + 1) + "'s update";
            }
            if (const int64_t after = layerAfterDrops(l, p.dropBlocks); after != l)
                st.what += std::string(st.what.empty() ? "" : "; ") + "becomes layer "
                           + std::to_string(after);
        }
    }

    Plan &plan_;
    const Model &model_;
    std::map<std::string, TensorPlan *> index_;
    std::string sharedFrom_;
    bool scoreSet_ = false;
};

} // namespace

void resolveStructures(Plan &plan, const Model &model)
{
    StructureResolver(plan, model).run();
}

std::vector<size_t> structureMembers(const Plan &plan, size_t tensor, std::string_view method)
{
    if (tensor >= plan.tensors.size())
        return {};
    const TensorPlan &self = plan.tensors[tensor];
    const int64_t layer = canonicalLayerIndex(self.canonical);
    const std::vector<std::string> *roles = method == kChannels ? &kFfnRoles
                                            : method == kHeads  ? &kAttnRoles
                                                                : nullptr;
    if (layer < 0 || (!roles && method != kDrop))
        return {tensor};
    std::vector<size_t> out;
    for (size_t i = 0; i < plan.tensors.size(); ++i) {
        const TensorPlan &tp = plan.tensors[i];
        if (canonicalLayerIndex(tp.canonical) != layer || tp.shape.size() < 2)
            continue;
        const std::string role(splitLayerTensorName(tp.canonical)->role);
        if (!roles || std::find(roles->begin(), roles->end(), role) != roles->end())
            out.push_back(i);
    }
    if (std::find(out.begin(), out.end(), tensor) == out.end())
        out.insert(out.begin(), tensor);
    return out;
}

PlanStructures planStructures(const Plan &plan, const Model &model)
{
    Plan copy = plan;
    copy.errors.clear();
    PlanStructures out = StructureResolver(copy, model).run();
    if (!copy.errors.empty())
        throwProblems(plan.recipeSource.empty() ? std::string("recipe") : plan.recipeSource,
                      "structure plan for " + plan.modelPath, copy.errors);
    return out;
}

} // namespace cwb
