// SPDX-License-Identifier: MIT
#include "cli/options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace cwb::cli {
namespace {

// The option as written in messages and the synopsis: "--ctx N", "--json".
std::string spelled(const OptionSpec &o)
{
    if (o.kind == ValueKind::Flag)
        return o.name;
    if (!o.metavar.empty())
        return o.name + " " + o.metavar;
    if (o.kind == ValueKind::Choice) {
        std::string list;
        for (const auto &c : o.choices)
            list += (list.empty() ? "" : "|") + c;
        return o.name + " " + list;
    }
    return o.name + " VALUE";
}

std::string numberText(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}

// "an integer >= 2", "a positive integer", "an integer in 0..1024".
std::string integerRange(const OptionSpec &o)
{
    if (o.intMax >= kOpenEndedInteger)
        return o.intMin == 1 ? "a positive integer" : "an integer >= " + std::to_string(o.intMin);
    return "an integer in " + std::to_string(o.intMin) + ".." + std::to_string(o.intMax);
}

std::string realRange(const OptionSpec &o)
{
    return std::string("a number in ") + (o.realMinExclusive ? "(" : "[") + numberText(o.realMin)
        + ", " + numberText(o.realMax) + "]";
}

std::string choiceList(const OptionSpec &o)
{
    std::string list;
    for (size_t i = 0; i < o.choices.size(); ++i) {
        if (i > 0)
            list += i + 1 == o.choices.size() ? " or " : ", ";
        list += o.choices[i];
    }
    return list;
}

std::string withNote(std::string text, const OptionSpec &o)
{
    if (!o.rangeNote.empty())
        text += " (" + o.rangeNote + ")";
    return text;
}

// What follows "needs a value": "RECIPE.json", "llama|full".
std::string valueName(const OptionSpec &o)
{
    const std::string s = spelled(o);
    return s.substr(o.name.size() + 1);
}

// Whole-string decimal integer; false for anything else (empty, trailing text, overflow).
bool readInteger(const std::string &text, int64_t &out)
{
    if (text.empty())
        return false;
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    out = v;
    return true;
}

bool readReal(const std::string &text, double &out)
{
    if (text.empty())
        return false;
    char *end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (errno != 0 || *end != '\0' || !std::isfinite(v))
        return false;
    out = v;
    return true;
}

OptionValue convert(const CommandSpec &cmd, const OptionSpec &o, const std::string &text)
{
    auto bad = [&](const std::string &what) {
        return UsageError(cmd.name, o.name + " must be " + what + ", got '" + text + "'");
    };
    switch (o.kind) {
    case ValueKind::Flag:
        return true;
    case ValueKind::Integer: {
        int64_t v = 0;
        if (!readInteger(text, v) || v < o.intMin)
            throw bad(withNote(integerRange(o), o));
        if (v > o.intMax)
            throw bad(o.intMax >= kOpenEndedInteger ? "at most " + std::to_string(o.intMax)
                                                    : withNote(integerRange(o), o));
        return v;
    }
    case ValueKind::Real: {
        double v = 0;
        if (!readReal(text, v) || (o.realMinExclusive ? !(v > o.realMin) : v < o.realMin)
            || v > o.realMax)
            throw bad(withNote(realRange(o), o));
        return v;
    }
    case ValueKind::Path:
    case ValueKind::Text:
        return text;
    case ValueKind::Choice:
        for (const auto &c : o.choices)
            if (c == text)
                return text;
        throw UsageError(cmd.name, o.name + " is " + choiceList(o) + ", not '" + text + "'");
    case ValueKind::Shape: {
        const size_t x = text.find('x');
        Shape s;
        if (x == std::string::npos || !readInteger(text.substr(0, x), s.rows)
            || !readInteger(text.substr(x + 1), s.cols) || s.rows < 1 || s.cols < 1
            || s.rows > kMaxShapeExtent || s.cols > kMaxShapeExtent)
            throw bad("RxC with R, C in 1.." + std::to_string(kMaxShapeExtent));
        return s;
    }
    }
    throw std::logic_error("cli: unhandled value kind");
}

const char *kindName(ValueKind k)
{
    switch (k) {
    case ValueKind::Flag: return "flag";
    case ValueKind::Integer: return "integer";
    case ValueKind::Real: return "number";
    case ValueKind::Path: return "path";
    case ValueKind::Text: return "text";
    case ValueKind::Choice: return "choice";
    case ValueKind::Shape: return "shape";
    }
    return "?";
}

bool storedAs(ValueKind declared, ValueKind asked)
{
    // Paths, texts and choices are all strings; asking for any of them as text is fine.
    auto stringy = [](ValueKind k) {
        return k == ValueKind::Path || k == ValueKind::Text || k == ValueKind::Choice;
    };
    return declared == asked || (stringy(declared) && stringy(asked));
}

// A member of a oneOf group that goes with another member (its `needs`), not on its own.
bool attachedMember(const CommandSpec &cmd, const OptionSpec &o)
{
    const OptionSpec *target = o.needs.empty() ? nullptr : cmd.find(o.needs);
    return !o.oneOf.empty() && target && target->oneOf == o.oneOf;
}

// "--budget-bpw B | --budget-bytes N | --budget-latency MS --device PROFILE"
std::string oneOfText(const CommandSpec &cmd, const std::string &group)
{
    std::string text;
    for (const auto &o : cmd.options) {
        if (o.oneOf != group || attachedMember(cmd, o))
            continue;
        if (!text.empty())
            text.append(" | ");
        text.append(spelled(o));
        for (const auto &a : cmd.options)
            if (a.oneOf == group && attachedMember(cmd, a) && a.needs == o.name)
                text.append(" ").append(spelled(a));
    }
    return text;
}

void checkOneOfGroups(const CommandSpec &cmd, const ParsedArgs &parsed)
{
    std::vector<std::string> groups;
    for (const auto &o : cmd.options)
        if (!o.oneOf.empty() && std::find(groups.begin(), groups.end(), o.oneOf) == groups.end())
            groups.push_back(o.oneOf);
    for (const auto &group : groups) {
        std::vector<std::string> given;
        bool required = false;
        for (const auto &o : cmd.options) {
            if (o.oneOf != group)
                continue;
            required = required || o.required;
            if (attachedMember(cmd, o)) {
                if (parsed.has(o.needs) && !parsed.has(o.name))
                    throw UsageError(cmd.name, o.needs + " needs " + spelled(o));
            } else if (parsed.has(o.name)) {
                given.push_back(o.name);
            }
        }
        if (given.size() > 1)
            throw UsageError(cmd.name, given[0] + " and " + given[1]
                                           + " are alternatives: give one of "
                                           + oneOfText(cmd, group));
        if (required && given.empty())
            throw UsageError(cmd.name, "one of " + oneOfText(cmd, group) + " is required");
    }
}

// Checks that run once the whole line is read.
void checkRelations(const CommandSpec &cmd, const ParsedArgs &parsed)
{
    if (!cmd.positional.empty() && !cmd.positionalOptional && parsed.positional().empty())
        throw UsageError(cmd.name, "no " + (cmd.positionalHelp.empty() ? cmd.positional
                                                                       : cmd.positionalHelp)
                                       + " given");
    for (const auto &o : cmd.options)
        if (o.required && o.oneOf.empty() && !parsed.has(o.name))
            throw UsageError(cmd.name, spelled(o) + " is required");
    for (const auto &o : cmd.options)
        if (!o.requiredUnless.empty() && !parsed.has(o.name) && !parsed.has(o.requiredUnless))
            throw UsageError(cmd.name, spelled(o) + " is required (or " + o.requiredUnless + ")");
    for (const auto &o : cmd.options)
        if (!o.needs.empty() && parsed.has(o.name) && !parsed.has(o.needs))
            throw UsageError(cmd.name, o.name + " needs " + spelled(*cmd.find(o.needs)));
    for (const auto &o : cmd.options)
        if (!o.exclusiveWith.empty() && parsed.has(o.name) && parsed.has(o.exclusiveWith))
            throw UsageError(cmd.name, o.name + " and " + o.exclusiveWith + " are exclusive");
    checkOneOfGroups(cmd, parsed);
}

// One synopsis item per option; the partner of an exclusive pair or a requiredUnless shares
// its item, so it is left out on its own.
std::vector<std::string> synopsisItems(const CommandSpec &cmd)
{
    std::vector<std::string> items;
    if (!cmd.positional.empty())
        items.push_back(cmd.positionalOptional ? "[" + cmd.positional + "]" : cmd.positional);
    std::vector<std::string> shared;
    for (const auto &o : cmd.options) {
        if (!o.exclusiveWith.empty())
            shared.push_back(o.exclusiveWith);
        if (!o.requiredUnless.empty())
            shared.push_back(o.requiredUnless);
    }
    std::vector<std::string> groupsShown;
    for (const auto &o : cmd.options) {
        bool partner = false;
        for (const auto &s : shared)
            partner = partner || s == o.name;
        if (partner)
            continue;
        if (!o.oneOf.empty()) {
            if (std::find(groupsShown.begin(), groupsShown.end(), o.oneOf) != groupsShown.end())
                continue;
            groupsShown.push_back(o.oneOf);
            bool required = false;
            for (const auto &m : cmd.options)
                required = required || (m.oneOf == o.oneOf && m.required);
            std::string item(required ? "(" : "[");
            item.append(oneOfText(cmd, o.oneOf)).append(required ? ")" : "]");
            items.push_back(std::move(item));
            continue;
        }
        // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "(" + string.
        std::string item;
        if (!o.requiredUnless.empty())
            item.append("(").append(spelled(o)).append(" | ")
                .append(spelled(*cmd.find(o.requiredUnless))).append(")");
        else if (!o.exclusiveWith.empty())
            item.append("[").append(spelled(o)).append(" | ")
                .append(spelled(*cmd.find(o.exclusiveWith))).append("]");
        else if (o.required)
            item = spelled(o);
        else
            item.append("[").append(spelled(o)).append(o.repeatable ? "]..." : "]");
        items.push_back(std::move(item));
    }
    return items;
}

// What `cwb help COMMAND` says about the value beyond the option's own help.
std::string valueNote(const CommandSpec &cmd, const OptionSpec &o)
{
    std::string note;
    switch (o.kind) {
    case ValueKind::Integer: note = integerRange(o); break;
    case ValueKind::Real: note = realRange(o); break;
    case ValueKind::Choice: note = choiceList(o); break;
    case ValueKind::Shape: note = "RxC"; break;
    default: break;
    }
    auto add = [&](const std::string &s) { note += (note.empty() ? "" : "; ") + s; };
    if (!o.rangeNote.empty())
        add(o.rangeNote);
    if (!o.defaultValue.empty())
        add("default " + o.defaultValue);
    if (o.required && o.oneOf.empty())
        add("required");
    if (!o.requiredUnless.empty())
        add("required unless " + o.requiredUnless);
    if (!o.needs.empty())
        add("needs " + o.needs);
    if (!o.oneOf.empty()) {
        std::string others;
        for (const auto &m : cmd.options)
            if (m.oneOf == o.oneOf && m.name != o.name && !attachedMember(cmd, m)
                && m.name != o.needs)
                others += (others.empty() ? "" : ", ") + m.name;
        if (!attachedMember(cmd, o) && !others.empty())
            add("instead of " + others + (o.required ? " (one is required)" : ""));
    }
    if (!o.exclusiveWith.empty())
        add("not with " + o.exclusiveWith);
    if (o.repeatable)
        add("may be repeated");
    for (const auto &a : o.aliases)
        add("also " + a);
    return note;
}

} // namespace

const OptionSpec *CommandSpec::find(const std::string &optionName) const
{
    for (const auto &o : options) {
        if (o.name == optionName)
            return &o;
        for (const auto &a : o.aliases)
            if (a == optionName)
                return &o;
    }
    return nullptr;
}

UsageError::UsageError(const std::string &command, const std::string &problem)
    : std::runtime_error(command.empty() ? problem : command + ": " + problem),
      command_(command)
{
}

void ParsedArgs::add(const std::string &name, OptionValue value)
{
    values_[name].push_back(std::move(value));
}

const std::vector<OptionValue> *ParsedArgs::values(const std::string &name, ValueKind kind) const
{
    const OptionSpec *o = command_->find(name);
    if (!o || o->name != name)
        throw std::logic_error("cli: " + command_->name + " declares no option " + name);
    if (!storedAs(o->kind, kind))
        throw std::logic_error("cli: " + command_->name + " " + name + " is a "
                               + kindName(o->kind) + ", not a " + kindName(kind));
    const auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
}

bool ParsedArgs::has(const std::string &name) const
{
    const OptionSpec *o = command_->find(name);
    if (!o || o->name != name)
        throw std::logic_error("cli: " + command_->name + " declares no option " + name);
    return values_.count(name) > 0;
}

int64_t ParsedArgs::integer(const std::string &name, int64_t fallback) const
{
    const auto *v = values(name, ValueKind::Integer);
    return v ? std::get<int64_t>(v->back()) : fallback;
}

double ParsedArgs::real(const std::string &name, double fallback) const
{
    const auto *v = values(name, ValueKind::Real);
    return v ? std::get<double>(v->back()) : fallback;
}

std::string ParsedArgs::text(const std::string &name, const std::string &fallback) const
{
    const auto *v = values(name, ValueKind::Text);
    return v ? std::get<std::string>(v->back()) : fallback;
}

std::vector<Shape> ParsedArgs::shapes(const std::string &name) const
{
    std::vector<Shape> out;
    if (const auto *v = values(name, ValueKind::Shape))
        for (const auto &s : *v)
            out.push_back(std::get<Shape>(s));
    return out;
}

std::vector<std::string> ParsedArgs::texts(const std::string &name) const
{
    std::vector<std::string> out;
    if (const auto *v = values(name, ValueKind::Text))
        for (const auto &s : *v)
            out.push_back(std::get<std::string>(s));
    return out;
}

ParsedArgs parseArguments(const CommandSpec &cmd, const std::vector<std::string> &args)
{
    ParsedArgs parsed(cmd);
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        if (!a.starts_with("-") || a == "-") {
            if (cmd.positional.empty())
                throw UsageError(cmd.name, "unexpected argument '" + a + "'");
            if (cmd.positionalCount > 1 && parsed.positionals().size() >= cmd.positionalCount)
                throw UsageError(cmd.name, "unexpected argument '" + a + "' after "
                                               + cmd.positional);
            if (!parsed.positional().empty() && cmd.positionalCount <= 1)
                throw UsageError(cmd.name, "more than one " + (cmd.positionalHelp.empty()
                                                                   ? cmd.positional
                                                                   : cmd.positionalHelp)
                                               + " given");
            parsed.setPositional(a);
            continue;
        }
        // "unknown option or missing value" is the wording scripts and tests already match.
        const OptionSpec *o = cmd.find(a);
        if (!o && (a == "--help" || a == "-h")) {
            parsed.requestHelp();
            return parsed;
        }
        if (!o)
            throw UsageError(cmd.name, "unknown option or missing value: " + a + " (cwb "
                                           + cmd.name + " has no option " + a + ")");
        if (parsed.has(o->name) && !o->repeatable)
            throw UsageError(cmd.name, o->name + " given more than once");
        if (o->kind == ValueKind::Flag) {
            parsed.add(o->name, true);
            continue;
        }
        if (i + 1 >= args.size())
            throw UsageError(cmd.name, "unknown option or missing value: " + a + " (" + o->name
                                           + " needs a value: " + valueName(*o) + ")");
        parsed.add(o->name, convert(cmd, *o, args[++i]));
    }
    if (!parsed.positionals().empty() && parsed.positionals().size() < cmd.positionalCount)
        throw UsageError(cmd.name, std::to_string(parsed.positionals().size()) + " of "
                                       + std::to_string(cmd.positionalCount) + " "
                                       + cmd.positionalHelp + " given (" + cmd.positional + ")");
    checkRelations(cmd, parsed);
    return parsed;
}

std::string synopsis(const CommandSpec &cmd, int width)
{
    const std::string head = "cwb " + cmd.name;
    const std::string indent(head.size() + 1, ' ');
    std::string out = head, line = head;
    for (const auto &item : synopsisItems(cmd)) {
        if (line.size() + 1 + item.size() > size_t(width) && line.size() > indent.size()) {
            out += "\n" + indent + item;
            line = indent + item;
        } else {
            out += " " + item;
            line += " " + item;
        }
    }
    return out;
}

std::string usageLine(const CommandSpec &cmd)
{
    const std::string prefix = "usage: ";
    std::string out = prefix + synopsis(cmd, 100 - int(prefix.size()));
    for (size_t at = out.find('\n'); at != std::string::npos; at = out.find('\n', at + 1))
        out.insert(at + 1, std::string(prefix.size(), ' '));
    return out;
}

std::string commandHelp(const CommandSpec &cmd)
{
    std::string out = usageLine(cmd) + "\n\n" + cmd.summary + "\n";
    if (cmd.options.empty())
        return out;
    out += "\noptions:\n";
    constexpr size_t kHelpColumn = 28, kWidth = 100;
    for (const auto &o : cmd.options) {
        std::string line = "  " + spelled(o);
        line += line.size() < kHelpColumn ? std::string(kHelpColumn - line.size(), ' ') : "  ";
        const std::string note = valueNote(cmd, o);
        std::istringstream words(o.help + (note.empty() ? "" : " (" + note + ")"));
        bool first = true;
        for (std::string word; words >> word; first = false) {
            if (!first && line.size() + 1 + word.size() > kWidth) {
                out += line + "\n";
                line = std::string(kHelpColumn, ' ') + word;
            } else {
                line += (first ? "" : " ") + word;
            }
        }
        out += line + "\n";
    }
    return out;
}

} // namespace cwb::cli
