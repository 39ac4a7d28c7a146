// SPDX-License-Identifier: MIT
// The project file's optional /sensitivity group (README "Project file (.cwbproj) layout"):
//   /sensitivity           @key @seconds @windows @tokens_per_window @positions @base_nll
//                          @option_count @tensor_count
//     settings             one string attribute per key (escaped like /settings)
//     option_id, option_label                    strings [options]
//     tensor_name, tensor_canonical              strings [tensors]
//     parameters (int64), stored_bytes (uint64)  [tensors]
//     fits (uint8), bytes (uint64), delta_kld, relative_error, output_error, hessian_error
//                          (float64)             [tensors x options], row-major
//     why_index (int64), why (strings)           the cells that do not fit: flat index, reason
// Builds without it never open the group, so adding it needs no new schema_version.
#include "project/project_codec.h"

#include <functional>

namespace cwb::projectio {
namespace {

using h5::Node;

size_t count(const h5::Reader &r, const Node &g, const char *name)
{
    const int64_t v = r.attrInt(g, name);
    if (v < 0 || v > (int64_t{1} << 32))
        r.fail(g.path, std::string("@") + name + " = " + std::to_string(v) + " is out of range");
    return size_t(v);
}

template <class T>
std::vector<T> cellsOf(const SensitivityTable &t,
                       const std::function<T(const SensitivityCell &)> &f)
{
    std::vector<T> out;
    for (const auto &tensor : t.tensors)
        for (const auto &c : tensor.cells)
            out.push_back(f(c));
    return out;
}

} // namespace

void writeSensitivity(const h5::Writer &w, const SensitivityTable &t)
{
    const Node g = w.createGroup(w.root(), "sensitivity");
    w.attr(g, "key", t.key);
    w.attr(g, "seconds", t.seconds);
    w.attr(g, "windows", t.windows);
    w.attr(g, "tokens_per_window", t.tokensPerWindow);
    w.attr(g, "positions", t.positions);
    w.attr(g, "base_nll", t.baseNll);
    w.attr(g, "option_count", int64_t(t.options.size()));
    w.attr(g, "tensor_count", int64_t(t.tensors.size()));
    const Node settings = w.createGroup(g, "settings");
    for (const auto &[key, value] : t.settings)
        w.attr(settings, h5::escapeName(key).c_str(), value);

    std::vector<std::string> ids, labels, names, canonicals;
    for (const auto &o : t.options) {
        ids.push_back(o.id);
        labels.push_back(o.label);
    }
    std::vector<int64_t> parameters;
    std::vector<uint64_t> stored;
    for (const auto &tensor : t.tensors) {
        names.push_back(tensor.name);
        canonicals.push_back(tensor.canonical);
        parameters.push_back(tensor.parameters);
        stored.push_back(tensor.storedBytes);
    }
    w.strings(g, "option_id", ids);
    w.strings(g, "option_label", labels);
    w.strings(g, "tensor_name", names);
    w.strings(g, "tensor_canonical", canonicals);
    w.dataset<int64_t>(g, "parameters", parameters);
    w.dataset<uint64_t>(g, "stored_bytes", stored);

    const std::vector<uint64_t> dims{t.tensors.size(), t.options.size()};
    const auto fits = cellsOf<uint8_t>(t, [](const SensitivityCell &c) { return c.fits; });
    const auto bytes = cellsOf<uint64_t>(t, [](const SensitivityCell &c) { return c.bytes; });
    w.dataset<uint8_t>(g, "fits", fits, dims);
    w.dataset<uint64_t>(g, "bytes", bytes, dims);
    const std::pair<const char *, double SensitivityCell::*> reals[] = {
        {"delta_kld", &SensitivityCell::deltaKld},
        {"relative_error", &SensitivityCell::relativeError},
        {"output_error", &SensitivityCell::outputError},
        {"hessian_error", &SensitivityCell::hessianError}};
    for (const auto &[name, field] : reals) {
        const auto v = cellsOf<double>(t, [f = field](const SensitivityCell &c) { return c.*f; });
        w.dataset<double>(g, name, v, dims);
    }
    std::vector<int64_t> whyIndex;
    std::vector<std::string> why;
    int64_t flat = 0;
    for (const auto &tensor : t.tensors)
        for (const auto &c : tensor.cells) {
            if (!c.why.empty()) {
                whyIndex.push_back(flat);
                why.push_back(c.why);
            }
            ++flat;
        }
    w.dataset<int64_t>(g, "why_index", whyIndex);
    w.strings(g, "why", why);
}

std::optional<SensitivityTable> readSensitivity(const h5::Reader &r)
{
    if (!r.has(r.root(), "sensitivity"))
        return std::nullopt;
    const Node g = r.openGroup(r.root(), "sensitivity");
    SensitivityTable t;
    t.key = r.attrString(g, "key");
    t.seconds = r.attrDouble(g, "seconds");
    t.windows = r.attrInt(g, "windows");
    t.tokensPerWindow = r.attrInt(g, "tokens_per_window");
    t.positions = r.attrInt(g, "positions");
    t.baseNll = r.attrDouble(g, "base_nll");
    const size_t nOptions = count(r, g, "option_count");
    const size_t nTensors = count(r, g, "tensor_count");
    const Node settings = r.openGroup(g, "settings");
    for (const auto &name : r.attrNames(settings))
        t.settings[h5::unescapeName(name)] = r.attrString(settings, name.c_str());

    const auto expect = [&](const char *what, size_t got, size_t want) {
        if (got != want)
            r.fail(g.child(what), "has " + std::to_string(got) + " values, expected "
                                      + std::to_string(want));
    };
    const auto ids = r.strings(g, "option_id");
    const auto labels = r.strings(g, "option_label");
    expect("option_id", ids.size(), nOptions);
    expect("option_label", labels.size(), nOptions);
    for (size_t i = 0; i < nOptions; ++i)
        t.options.push_back({ids[i], labels[i]});
    const auto names = r.strings(g, "tensor_name");
    const auto canonicals = r.strings(g, "tensor_canonical");
    const auto parameters = r.dataset<int64_t>(g, "parameters");
    const auto stored = r.dataset<uint64_t>(g, "stored_bytes");
    expect("tensor_name", names.size(), nTensors);
    expect("tensor_canonical", canonicals.size(), nTensors);
    expect("parameters", parameters.size(), nTensors);
    expect("stored_bytes", stored.size(), nTensors);

    const size_t cells = nTensors * nOptions;
    const auto fits = r.dataset<uint8_t>(g, "fits");
    const auto bytes = r.dataset<uint64_t>(g, "bytes");
    expect("fits", fits.size(), cells);
    expect("bytes", bytes.size(), cells);
    std::vector<std::vector<double>> reals;
    for (const char *name : {"delta_kld", "relative_error", "output_error", "hessian_error"}) {
        reals.push_back(r.dataset<double>(g, name));
        expect(name, reals.back().size(), cells);
    }
    for (size_t i = 0; i < nTensors; ++i) {
        SensitivityTensor tensor{names[i], canonicals[i], parameters[i], stored[i], {}};
        for (size_t j = 0; j < nOptions; ++j) {
            const size_t k = i * nOptions + j;
            tensor.cells.push_back({fits[k] != 0, {}, bytes[k], reals[0][k], reals[1][k],
                                    reals[2][k], reals[3][k]});
        }
        t.tensors.push_back(std::move(tensor));
    }
    const auto whyIndex = r.dataset<int64_t>(g, "why_index");
    const auto why = r.strings(g, "why");
    expect("why", why.size(), whyIndex.size());
    for (size_t i = 0; i < why.size(); ++i) {
        if (whyIndex[i] < 0 || size_t(whyIndex[i]) >= cells)
            r.fail(g.child("why_index"), "index " + std::to_string(whyIndex[i])
                                             + " is outside the table");
        const size_t k = size_t(whyIndex[i]);
        t.tensors[k / nOptions].cells[k % nOptions].why = why[i];
    }
    return t;
}

} // namespace cwb::projectio
