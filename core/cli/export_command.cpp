// SPDX-License-Identifier: MIT
// cwb export MODEL|ARCHIVE --to gguf --out FILE.gguf: a GGUF llama.cpp loads, reopened and
// compared tensor by tensor (export/gguf_export.h).

#include "cli/commands.h"
#include "cli/common_options.h"
#include "export/gguf_export.h"
#include "export/gguf_export_report.h"
#include "io/open_model.h"
#include "pipeline/archive.h"

#include <optional>

namespace cwb::cli {

const CommandSpec &exportCommand()
{
    static const CommandSpec spec{
        .name = "export",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary = "a llama-family model or a .cwbarchive as a GGUF v3 file llama.cpp\n"
                   "loads: ggml block types byte for byte, other compressed tensors\n"
                   "dequantized to --float-type, norms F32; the file is reopened and\n"
                   "every tensor compared with the source (exact / converted + error)",
        .options =
            {
                {.name = "--to", .kind = ValueKind::Choice, .help = "target format",
                 .choices = {"gguf"}, .required = true},
                {.name = "--out", .kind = ValueKind::Path, .metavar = "FILE.gguf",
                 .help = "file to write (replaced atomically)", .required = true},
                {.name = "--float-type", .kind = ValueKind::Choice,
                 .help = "type of float matrices (norms stay F32)", .defaultValue = "f32",
                 .choices = {"f16", "f32"}},
                jsonOption(),
            },
    };
    return spec;
}

int runExport(const ParsedArgs &args, Environment &env)
{
    const std::string &path = args.positional();
    std::optional<OpenedArchive> archive;
    std::optional<Model> model;
    GgufExportParams p;
    if (isArchive(path)) {
        archive = openArchive(path);
        p.model = archive->source.get();
        p.compressed = &archive->compressed;
    } else {
        model = io::openModel(path);
        p.model = &*model;
    }
    p.outPath = args.text("--out");
    p.floatType = args.text("--float-type", "f32") == "f16" ? DType::F16 : DType::F32;
    const GgufExportResult r = exportGguf(p, env.job());
    *env.err << "\n";
    *env.out << (args.has("--json") ? ggufExportJson(r) : ggufExportText(r));
    return 0;
}

} // namespace cwb::cli
