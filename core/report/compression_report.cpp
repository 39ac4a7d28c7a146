// SPDX-License-Identifier: MIT
#include "report/compression_report.h"

#include "util/text_format.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace cwb {

using nlohmann::ordered_json;

std::string compressionText(const CompressedModel &m, const std::string &archivePath)
{
    std::ostringstream o;
    const CompressionTotals &t = m.totals;
    o << "archive      " << archivePath << "\n"
      << "source       " << m.sourcePath << " (" << m.sourceFormat << ", hash " << m.sourceHash
      << ")\n";
    if (!m.calibrationSource.empty())
        o << "calibration  " << m.calibrationSource << " (" << m.calibrationTokens << " tokens"
          << (m.calibrationSequential ? ", sequential: layer by layer on the compressed prefix"
                                      : "")
          << ")\n";
    o << "tensors      " << t.tensors << " compressed\n"
      << "size         " << humanBytes(t.originalBytes) << " -> " << humanBytes(t.compressedBytes)
      << " (" << fixed(t.compressionRatio, 2) << "x, " << fixed(t.bitsPerWeight, 3)
      << " bits/weight over " << t.parameters << " parameters)\n"
      << "time         " << fixed(t.seconds, 2) << " s\n";
    if (m.structure.any()) {
        const StructureRecord &st = m.structure;
        const double removed =
            st.parametersBefore > 0
                ? 100.0 * double(st.parametersBefore - st.parametersAfter) / double(st.parametersBefore)
                : 0.0;
        o << "structure    parameters " << st.parametersBefore << " -> " << st.parametersAfter
          << " (-" << fixed(removed, 1) << "%); " << st.layers << " blocks, FFN width "
          << st.ffnWidth << " (widest), " << st.heads << " heads / " << st.kvHeads
          << " KV heads\n";
        for (const StructureChange &c : st.changes) {
            o << "             layer " << c.layer << " " << c.what << " " << c.before << " -> "
              << c.after << ": " << c.tensor << " output error " << fixed(c.errorRemoved, 4);
            if (c.errorRepaired >= 0)
                o << " removed, " << fixed(c.errorRepaired, 4) << " repaired";
            o << "\n";
        }
    }
    o << "\n";
    size_t nameWidth = 6, formatWidth = 6;
    for (const CompressedTensor &c : m.tensors) {
        nameWidth = std::max(nameWidth, c.canonical.size());
        formatWidth = std::max(formatWidth, c.report.format.size());
    }
    o << padRight("tensor", nameWidth) << "  " << padRight("format", formatWidth)
      << "     bytes -> stored      bpw   rel err   out err  sparse  rank  calib tok       s\n";
    for (const CompressedTensor &c : m.tensors) {
        const TensorReport &r = c.report;
        char line[256];
        std::snprintf(line, sizeof line,
                      "%10llu -> %-9llu %6.3f  %8.5f  %8s  %5.1f%%  %4lld  %9lld  %6.2f",
                      static_cast<unsigned long long>(r.originalBytes),
                      static_cast<unsigned long long>(r.storedBytes), r.bitsPerWeight,
                      r.relativeError, r.outputError < 0 ? "-" : fixed(r.outputError, 5).c_str(),
                      100.0 * r.sparsity, static_cast<long long>(r.rank),
                      static_cast<long long>(r.calibrationTokens), r.seconds);
        o << padRight(c.canonical, nameWidth) << "  " << padRight(r.format, formatWidth) << "  "
          << line << "\n";
        for (const std::string &n : r.notes)
            o << padRight("", nameWidth) << "  note: " << n << "\n";
    }
    return o.str();
}

std::string compressionJson(const CompressedModel &m, const std::string &archivePath)
{
    ordered_json j;
    j["archive"] = archivePath;
    j["source"] = {{"path", m.sourcePath},
                   {"format", m.sourceFormat},
                   {"size", m.sourceFileSize},
                   {"hash", m.sourceHash}};
    j["calibration"] = {{"text", m.calibrationSource},
                        {"tokens", m.calibrationTokens},
                        {"sequential", m.calibrationSequential}};
    const CompressionTotals &t = m.totals;
    j["totals"] = {{"tensors", t.tensors},
                   {"original_bytes", t.originalBytes},
                   {"compressed_bytes", t.compressedBytes},
                   {"parameters", t.parameters},
                   {"bits_per_weight", t.bitsPerWeight},
                   {"compression_ratio", t.compressionRatio},
                   {"seconds", t.seconds}};
    if (m.structure.any()) {
        const StructureRecord &st = m.structure;
        ordered_json changes = ordered_json::array();
        for (const StructureChange &c : st.changes)
            changes.push_back({{"layer", c.layer},
                               {"tensor", c.tensor},
                               {"what", c.what},
                               {"before", c.before},
                               {"after", c.after},
                               {"output_error_removed", c.errorRemoved},
                               {"output_error_repaired", c.errorRepaired}});
        j["structure"] = {{"dropped_blocks", st.droppedBlocks},
                          {"layers", st.layers},
                          {"heads", st.heads},
                          {"kv_heads", st.kvHeads},
                          {"ffn_width", st.ffnWidth},
                          {"parameters_before", st.parametersBefore},
                          {"parameters_after", st.parametersAfter},
                          {"changes", changes}};
    }
    ordered_json tensors = ordered_json::array();
    for (const CompressedTensor &c : m.tensors) {
        const TensorReport &r = c.report;
        ordered_json e;
        e["name"] = c.name;
        e["canonical"] = c.canonical;
        e["shape"] = c.shape;
        e["plan"] = c.plan;
        e["format"] = r.format;
        e["original_bytes"] = r.originalBytes;
        e["stored_bytes"] = r.storedBytes;
        e["bits_per_weight"] = r.bitsPerWeight;
        e["relative_error"] = r.relativeError;
        e["output_error"] = r.outputError < 0 ? ordered_json(nullptr) : ordered_json(r.outputError);
        e["sparsity"] = r.sparsity;
        e["rank"] = r.rank;
        e["seconds"] = r.seconds;
        e["calibration_tokens"] = r.calibrationTokens;
        e["notes"] = r.notes;
        tensors.push_back(std::move(e));
    }
    j["tensors"] = std::move(tensors);
    return j.dump(2) + "\n";
}

} // namespace cwb
