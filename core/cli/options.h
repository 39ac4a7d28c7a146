// SPDX-License-Identifier: MIT
#pragma once
// The command line of `cwb` as data: every command declares a table of options (name, value
// kind, range, help) and one generic parser turns the arguments into a typed ParsedArgs, or a
// UsageError whose message names the command, the option and the value. The usage and help
// texts are generated from the same tables, so they cannot drift from what is parsed.
//
// Parsing rules (the same for every command):
//   - an option that takes a value consumes the next argument whatever it looks like
//     (`--prompt -x` is the prompt "-x"; `--gb -1` is a value, rejected by its range);
//   - any other argument starting with '-' is an unknown option (but --help and -h ask for the
//     command's help unless it declares them); the rest are positionals;
//   - an option given twice is an error unless it is `repeatable` (its values are kept in order);
//   - after the whole line is read: the positional, `required` options, `requiredUnless`,
//     `needs`, `exclusiveWith` and `oneOf` groups are checked, in that order.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace cwb::cli {

enum class ValueKind {
    Flag,    // no value: present or not
    Integer, // whole-string decimal integer in [intMin, intMax]
    Real,    // decimal number in [realMin, realMax] (or (realMin, ...] with realMinExclusive)
    Path,    // a file or directory, taken as given
    Text,    // any string
    Choice,  // one of `choices`
    Shape,   // RxC, both whole integers in 1 .. kMaxShapeExtent
};

// R and C of a Shape option.
struct Shape {
    int64_t rows = 0, cols = 0;
    bool operator==(const Shape &) const = default;
};
inline constexpr int64_t kMaxShapeExtent = int64_t{1} << 20;

// Integer ranges whose upper bound is at least this are a sanity cap, not a documented limit:
// messages then say "an integer >= lo" (and "at most hi" only for a value above it).
inline constexpr int64_t kOpenEndedInteger = int64_t{1} << 20;

struct OptionSpec {
    std::string name;                 // "--ctx" or "-n"
    std::vector<std::string> aliases; // other spellings ("--tokens" for "-n")
    ValueKind kind = ValueKind::Flag;
    std::string metavar;              // "N", "FILE": in the synopsis and messages
    std::string help;                 // one line for `cwb help COMMAND`
    std::string defaultValue;         // shown in that help: "512", "all cores"; empty: none
    int64_t intMin = 0, intMax = 0;   // Integer
    double realMin = 0, realMax = 0;  // Real
    bool realMinExclusive = false;
    std::vector<std::string> choices; // Choice
    std::string rangeNote;            // what a special value means: "0 = all cores"
    bool repeatable = false;          // may be given again; every value is kept
    bool required = false;            // "--text FILE is required"
    std::string requiredUnless;       // required unless this flag is given ("--dry-run")
    std::string needs;                // only together with this option (--hessians: --calib)
    std::string exclusiveWith;        // never together with this option
    // Alternatives: the options naming the same group are one choice, given at most once; with
    // `required` on a member the group is required (one of them), not each member. A member
    // whose `needs` names another member goes with it, both ways ("--budget-latency MS
    // --device PROFILE"), and is not an alternative of its own.
    std::string oneOf;
};

struct CommandSpec {
    std::string name;       // "eval", "bench open"
    std::string positional; // "MODEL"; empty: the command takes none
    std::string positionalHelp; // how messages name it: "no model given"
    bool positionalOptional = false;
    size_t positionalCount = 1; // how many `positional` names ("A B": 2), all required
    std::string summary;    // the paragraph under the synopsis in `cwb help`
    std::vector<OptionSpec> options;

    // The option called `name` (or one of its aliases); nullptr when there is none.
    [[nodiscard]] const OptionSpec *find(const std::string &name) const;
};

// A mistake on the command line (exit status 2). what() is "<command>: <problem>", or the
// problem alone when no command could be named (an unknown one).
class UsageError : public std::runtime_error {
public:
    UsageError(const std::string &command, const std::string &problem);
    [[nodiscard]] const std::string &command() const { return command_; }

private:
    std::string command_;
};

using OptionValue = std::variant<bool, int64_t, double, std::string, Shape>;

// What the parser read, typed by each option's kind. Accessors take the option's main name;
// asking for a name the command does not declare, or with the wrong kind, is a programming
// error (std::logic_error), not a usage error.
class ParsedArgs {
public:
    explicit ParsedArgs(const CommandSpec &command) : command_(&command) {}

    [[nodiscard]] const CommandSpec &command() const { return *command_; }
    [[nodiscard]] const std::string &positional() const { return positional_; } // "" if none
    // Every positional given, in order (the first is positional()).
    [[nodiscard]] const std::vector<std::string> &positionals() const { return positionals_; }
    // --help or -h stood where an option could: the rest was not read or checked.
    [[nodiscard]] bool helpRequested() const { return help_; }
    [[nodiscard]] bool has(const std::string &name) const;  // given at least once (or the flag)
    [[nodiscard]] int64_t integer(const std::string &name, int64_t fallback) const;
    [[nodiscard]] double real(const std::string &name, double fallback) const;
    [[nodiscard]] std::string text(const std::string &name, const std::string &fallback = {}) const;
    [[nodiscard]] std::vector<Shape> shapes(const std::string &name) const; // every value given
    [[nodiscard]] std::vector<std::string> texts(const std::string &name) const; // every value

    // Parser side.
    void setPositional(std::string value)
    {
        if (positionals_.empty())
            positional_ = value;
        positionals_.push_back(std::move(value));
    }
    void requestHelp() { help_ = true; }
    void add(const std::string &name, OptionValue value);

private:
    const std::vector<OptionValue> *values(const std::string &name, ValueKind kind) const;

    const CommandSpec *command_;
    std::string positional_;
    std::vector<std::string> positionals_;
    bool help_ = false;
    std::map<std::string, std::vector<OptionValue>> values_;
};

// Reads `args` (everything after the command name) against `command`'s table.
// Throws UsageError for an unknown option, a missing or malformed value, a value out of range,
// an option given twice, a missing or extra positional and the table's cross-option rules.
[[nodiscard]] ParsedArgs parseArguments(const CommandSpec &command,
                                        const std::vector<std::string> &args);

// "cwb eval MODEL --text FILE [--ctx N] ... [--json]", wrapped at `width` columns with
// continuation lines indented under the first option.
[[nodiscard]] std::string synopsis(const CommandSpec &command, int width = 100);
// "usage: " and the synopsis, its continuation lines aligned under it, within 100 columns.
[[nodiscard]] std::string usageLine(const CommandSpec &command);
// The usage line, the summary, and one line per option with its help, range and default notes.
[[nodiscard]] std::string commandHelp(const CommandSpec &command);

} // namespace cwb::cli
