// SPDX-License-Identifier: MIT
#include "export/export_result.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace cwb {
namespace {

std::string pad(const std::string &s, size_t width)
{
    return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string verdictText(const ExportedTensor &t, bool measured)
{
    if (t.fate != ExportFate::Converted || !measured)
        return std::string(exportFateName(t.fate));
    char buf[48];
    std::snprintf(buf, sizeof buf, "converted %.3g", t.maxAbsError);
    return buf;
}

} // namespace

std::string_view exportFateName(ExportFate f)
{
    switch (f) {
    case ExportFate::Exact: return "exact";
    case ExportFate::Converted: return "converted";
    case ExportFate::Dense: return "dense";
    case ExportFate::NotExpressible: return "not expressible";
    }
    return "?";
}

int64_t ExportResult::count(ExportFate f) const
{
    return std::count_if(tensors.begin(), tensors.end(),
                         [f](const ExportedTensor &t) { return t.fate == f; });
}

std::string exportText(const ExportResult &r)
{
    size_t nameW = 6, sourceW = 6, writtenW = 8;
    for (const auto &t : r.tensors) {
        nameW = std::max(nameW, t.name.size() + 1);
        sourceW = std::max(sourceW, t.source.size() + 1);
        writtenW = std::max(writtenW, t.written.size() + 1);
    }
    std::string out;
    const std::string counts = std::to_string(r.exactCount()) + " of "
                             + std::to_string(r.tensors.size()) + " exact";
    if (!r.written)
        out = "preview of " + r.target + " export to " + r.path + " (nothing written): "
            + counts + "\n\n";
    else
        out = "wrote " + r.path + " (" + r.target + ", " + std::to_string(r.files.size())
            + (r.files.size() == 1 ? " file, " : " files, ") + std::to_string(r.fileBytes)
            + " bytes)" + (r.verified ? ", reopened and verified: " : ": ") + counts + "\n\n";
    out += pad("tensor", nameW) + pad("source", sourceW) + pad("written", writtenW)
         + pad(r.verified ? "verified" : "outcome", 20) + "note\n";
    for (const auto &t : r.tensors)
        out += pad(t.name, nameW) + pad(t.source, sourceW) + pad(t.written, writtenW)
             + pad(verdictText(t, r.verified), 20) + t.note + "\n";
    if (r.files.size() > 1) {
        out += "\nfiles:\n";
        for (const auto &f : r.files)
            out += "  " + f + "\n";
    }
    if (!r.notes.empty()) {
        out += "\nnotes:\n";
        for (const auto &n : r.notes)
            out += "  " + n + "\n";
    }
    return out;
}

std::string exportJson(const ExportResult &r)
{
    nlohmann::ordered_json j;
    j["schema"] = "cwb.export/1";
    j["target"] = r.target;
    j["path"] = r.path;
    j["written"] = r.written;
    j["verified"] = r.verified;
    j["files"] = r.files;
    j["file_bytes"] = r.fileBytes;
    j["exact_tensors"] = r.exactCount();
    auto &list = j["tensors"] = nlohmann::ordered_json::array();
    for (const auto &t : r.tensors)
        list.push_back({{"name", t.name},
                        {"source", t.source},
                        {"written", t.written},
                        {"fate", exportFateName(t.fate)},
                        {"exact", t.exact()},
                        {"max_abs_error", t.maxAbsError},
                        {"note", t.note}});
    j["notes"] = r.notes;
    return j.dump(1) + "\n";
}

} // namespace cwb
