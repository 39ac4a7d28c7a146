// SPDX-License-Identifier: MIT
#include "bench/llama_bench.h"

#include "bench/tool_process.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace cwb::bench {

std::vector<LlamaBenchFigure> parseLlamaBenchJson(std::string_view json, const std::string &source)
{
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json);
    } catch (const nlohmann::json::parse_error &e) {
        throwAt(source, e.byte > 0 ? e.byte - 1 : 0,
                std::string("llama-bench printed no valid JSON: ") + e.what());
    }
    if (!doc.is_array())
        throwIn(source, "llama-bench's JSON is not an array of tests");
    std::vector<LlamaBenchFigure> out;
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < doc.size(); ++i) {
        const auto &t = doc[i];
        const auto field = [&](const char *name) -> const nlohmann::json & {
            if (!t.is_object() || !t.contains(name))
                throwIn(source, "test " + std::to_string(i) + " has no \"" + name + "\"");
            return t[name];
        };
        const auto &file = field("model_filename");
        const auto &nPrompt = field("n_prompt");
        const auto &nGen = field("n_gen");
        const auto &avg = field("avg_ts");
        if (!file.is_string() || !nPrompt.is_number() || !nGen.is_number() || !avg.is_number())
            throwIn(source, "test " + std::to_string(i)
                                + ": model_filename, n_prompt, n_gen or avg_ts has the wrong type");
        const std::string model = file.get<std::string>();
        auto [it, added] = index.emplace(model, out.size());
        if (added)
            out.push_back({model, 0, 0});
        LlamaBenchFigure &f = out[it->second];
        const int64_t p = nPrompt.get<int64_t>(), g = nGen.get<int64_t>();
        if (p > 0 && g == 0)
            f.prefillTokPerS = avg.get<double>();
        else if (p == 0 && g > 0)
            f.decodeTokPerS = avg.get<double>();
    }
    return out;
}

std::vector<std::string> llamaBenchArguments(const LlamaBenchParams &p)
{
    std::vector<std::string> a{p.tool};
    for (const auto &m : p.models) {
        a.push_back("-m");
        a.push_back(m);
    }
    for (const auto &[flag, value] :
         std::initializer_list<std::pair<const char *, std::string>>{
             {"-p", std::to_string(p.promptTokens)},
             {"-n", std::to_string(p.genTokens)},
             {"-t", std::to_string(p.threads)},
             {"-r", std::to_string(p.repetitions)},
             {"-ctk", p.cacheTypeK},
             {"-ctv", p.cacheTypeV},
             {"-o", "json"}}) {
        a.push_back(flag);
        a.push_back(value);
    }
    return a;
}

std::vector<LlamaBenchFigure> runLlamaBench(const LlamaBenchParams &p, const JobContext &ctx)
{
    if (p.models.empty())
        return {};
    const ToolOutput output = runTool({llamaBenchArguments(p), p.workDir, "llama-bench"}, ctx);
    const auto parsed = parseLlamaBenchJson(output.out, p.tool + " -o json");
    std::vector<LlamaBenchFigure> out;
    for (const auto &m : p.models) {
        const auto it = std::find_if(parsed.begin(), parsed.end(),
                                     [&](const LlamaBenchFigure &f) { return f.model == m; });
        if (it == parsed.end())
            throwIn(p.tool, "llama-bench printed no test for " + m);
        out.push_back(*it);
    }
    return out;
}

} // namespace cwb::bench
