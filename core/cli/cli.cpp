// SPDX-License-Identifier: MIT
#include "cli/cli.h"

#include "cli/commands.h"
#include "util/error.h"

namespace cwb::cli {
namespace {

struct Resolved {
    const Command *command = nullptr;
    std::vector<std::string> rest; // the arguments after the command's name
};

// The command the line names: two words for a group ("bench open"), else one.
Resolved resolve(const std::vector<std::string> &args)
{
    // `cwb --help [COMMAND]` is `cwb help [COMMAND]`.
    const std::string first = args[0] == "--help" || args[0] == "-h" ? "help" : args[0];
    if (args.size() >= 2)
        if (const Command *c = findCommand(first + " " + args[1]))
            return {c, {args.begin() + 2, args.end()}};
    if (const Command *c = findCommand(first)) {
        std::vector<std::string> rest(args.begin() + 1, args.end());
        // `cwb help bench open`: the command's name is one positional.
        if (c->spec().name == "help" && rest.size() > 1) {
            std::string name;
            for (const auto &word : rest)
                name += (name.empty() ? "" : " ") + word;
            rest = {name};
        }
        return {c, rest};
    }
    std::string members;
    for (const auto &c : commands()) {
        const std::string &name = c.spec().name;
        if (name.starts_with(first + " "))
            members += (members.empty() ? "" : ", ") + name.substr(first.size() + 1);
    }
    if (members.empty())
        throw UsageError("", "unknown command '" + first + "'");
    if (args.size() < 2)
        throw UsageError(first, "name one of " + members);
    throw UsageError(first, "unknown " + first + " command '" + args[1] + "' (" + members + ")");
}

void printUsageError(const UsageError &e, Environment &env)
{
    if (e.command().empty()) {
        *env.err << "cwb: " << e.what() << "\n\n" << usageText();
        return;
    }
    *env.err << "cwb " << e.what() << "\n";
    if (const Command *c = findCommand(e.command())) {
        *env.err << usageLine(c->spec()) << "\n(`cwb help " << e.command()
                 << "` explains every option)\n";
        return;
    }
    // A group ("bench"): the synopses of its members.
    for (const auto &c : commands())
        if (c.spec().name.starts_with(e.command() + " ")) {
            std::string lines = "  " + synopsis(c.spec(), 98);
            for (size_t at = lines.find('\n'); at != std::string::npos;
                 at = lines.find('\n', at + 1))
                lines.insert(at + 1, "  ");
            *env.err << lines << "\n";
        }
}

} // namespace

int runCli(const std::vector<std::string> &args, Environment &env)
{
    if (args.empty()) {
        *env.out << usageText();
        return 2;
    }
    try {
        const Resolved r = resolve(args);
        const ParsedArgs parsed = parseArguments(r.command->spec(), r.rest);
        if (parsed.helpRequested()) {
            *env.out << commandHelp(r.command->spec());
            return 0;
        }
        return r.command->run(parsed, env);
    } catch (const UsageError &e) {
        printUsageError(e, env);
        return 2;
    } catch (const Cancelled &) {
        *env.err << "\ncwb: cancelled\n";
        return 130;
    } catch (const Error &e) {
        *env.err << "cwb: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception &e) {
        *env.err << "cwb: internal error: " << e.what() << "\n";
        return 3;
    }
}

} // namespace cwb::cli
