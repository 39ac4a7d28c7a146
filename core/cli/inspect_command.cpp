// SPDX-License-Identifier: MIT
// cwb inspect MODEL: what a model (or an archive) holds.

#include "cli/commands.h"
#include "cli/common_options.h"
#include "io/open_model.h"
#include "pipeline/archive.h"
#include "report/compression_report.h"
#include "report/model_report.h"

namespace cwb::cli {

const CommandSpec &inspectCommand()
{
    static const CommandSpec spec{
        .name = "inspect",
        .positional = "MODEL",
        .positionalHelp = "model",
        .summary = "format, architecture, hyper-parameters, every tensor, totals\n"
                   "MODEL: .gguf, .safetensors, model.safetensors.index.json,\n"
                   "a Hugging Face directory, a llama2.c .bin or a Keras .h5\n"
                   "(or a .cwbarchive: its tensors, errors and bytes)",
        .options = {jsonOption()},
    };
    return spec;
}

int runInspect(const ParsedArgs &args, Environment &env)
{
    const std::string &path = args.positional();
    const bool json = args.has("--json");
    if (isArchive(path)) {
        const CompressedModel archive = readArchive(path);
        *env.out << (json ? compressionJson(archive, path) : compressionText(archive, path));
        return 0;
    }
    const Model model = io::openModel(path);
    *env.out << (json ? inspectJson(model) : inspectText(model));
    return 0;
}

} // namespace cwb::cli
