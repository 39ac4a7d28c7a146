// SPDX-License-Identifier: MIT
#include "export/gguf_export_report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace cwb {
namespace {

std::string pad(const std::string &s, size_t width)
{
    return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string errorText(const ExportedTensor &t)
{
    if (t.exact)
        return "exact";
    char buf[48];
    std::snprintf(buf, sizeof buf, "converted %.3g", t.maxAbsError);
    return buf;
}

} // namespace

std::string ggufExportText(const GgufExportResult &r)
{
    size_t nameW = 6, sourceW = 6;
    for (const auto &t : r.tensors) {
        nameW = std::max(nameW, t.name.size() + 1);
        sourceW = std::max(sourceW, t.source.size() + 1);
    }
    std::string out = "wrote " + r.path + " (" + std::to_string(r.fileBytes)
                    + " bytes, GGUF v3, llama), reopened and verified: "
                    + std::to_string(r.exactCount()) + " of " + std::to_string(r.tensors.size())
                    + " tensors exact\n\n";
    out += pad("tensor", nameW) + pad("source", sourceW) + pad("written", 8)
         + pad("verified", 20) + "note\n";
    for (const auto &t : r.tensors)
        out += pad(t.name, nameW) + pad(t.source, sourceW) + pad(t.written, 8)
             + pad(errorText(t), 20) + t.note + "\n";
    if (!r.notes.empty()) {
        out += "\nnotes:\n";
        for (const auto &n : r.notes)
            out += "  " + n + "\n";
    }
    return out;
}

std::string ggufExportJson(const GgufExportResult &r)
{
    nlohmann::ordered_json j;
    j["schema"] = "cwb.export/1";
    j["target"] = "gguf";
    j["path"] = r.path;
    j["file_bytes"] = r.fileBytes;
    j["exact_tensors"] = r.exactCount();
    auto &list = j["tensors"] = nlohmann::ordered_json::array();
    for (const auto &t : r.tensors)
        list.push_back({{"name", t.name},
                        {"source", t.source},
                        {"written", t.written},
                        {"exact", t.exact},
                        {"max_abs_error", t.maxAbsError},
                        {"note", t.note}});
    j["notes"] = r.notes;
    return j.dump(1) + "\n";
}

} // namespace cwb
