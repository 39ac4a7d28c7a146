// SPDX-License-Identifier: MIT
// Atomic writing, schema checks and staleness of project files; the layout itself lives in
// project_write.cpp / project_read.cpp.
#include "project/project_file.h"

#include "h5/hdf5_lock.h"
#include "project/project_codec.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/version.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace cwb {
namespace {

namespace fs = std::filesystem;

std::string sizeChange(uint64_t from, uint64_t to)
{
    return std::to_string(from) + " -> " + std::to_string(to) + " bytes";
}

} // namespace

Project makeProject(const Model &model, ModelAnalysis analysis, const ModelAnalysisParams &params)
{
    Project p;
    p.createdBy = createdBy();
    p.model = fingerprintModel(model);
    p.analysis = std::move(analysis);
    p.settings = analysisSettings(params);
    return p;
}

Project emptyProject(const Model &model)
{
    Project p;
    p.createdBy = createdBy();
    p.model = fingerprintModel(model);
    return p;
}

void writeProject(const std::string &path, const Project &project,
                  const ProjectWriteOptions &options)
{
    const std::string target = std::filesystem::absolute(std::filesystem::path(path)).string();
    AtomicWriteHooks hooks;
    hooks.failpoint = options.failpoint;
    writeFileAtomically(
        target,
        [&](const std::string &temp) {
            try {
                h5::Hdf5Lock lock;
                h5::Writer w(temp);
                w.attr(w.root(), "schema", std::string_view(kProjectSchema));
                w.attr(w.root(), "schema_version", kProjectSchemaVersion);
                w.attr(w.root(), "created_by", std::string_view(createdBy()));
                projectio::writeContents(w, project);
                if (options.failpoint)
                    options.failpoint("analysis-written");
                w.close();
            } catch (const Error &e) {
                // HDF5's messages name the temporary file; the user asked for the target.
                throwIn(target, std::string("cannot write the project: ") + e.what());
            }
        },
        hooks);
}

std::string projectio::checkSchema(const h5::Reader &r, const std::string &path)
{
    const h5::Node &root = r.root();
    if (!r.hasAttr(root, "schema"))
        throwIn(path, "not a Compression Workbench project: the HDF5 root has no @schema "
                      "attribute");
    const std::string schema = r.attrString(root, "schema");
    if (schema != kProjectSchema)
        throwIn(path, "not a Compression Workbench project: @schema is '" + schema
                          + "', expected '" + kProjectSchema + "'");
    const int64_t version = r.attrInt(root, "schema_version");
    const std::string writer = r.optString(root, "created_by").value_or("an unknown program");
    if (version > kProjectSchemaVersion)
        throwIn(path, "project schema_version " + std::to_string(version) + " (written by "
                          + writer + ") is newer than this build reads ("
                          + std::to_string(kProjectSchemaVersion)
                          + "); open it with a newer Compression Workbench");
    if (version < 1)
        throwIn(path, "invalid project schema_version " + std::to_string(version));
    return writer;
}

Project readProject(const std::string &path)
{
    h5::Hdf5Lock lock;
    h5::Reader r(path);
    const std::string writer = projectio::checkSchema(r, path);
    Project p = projectio::readContents(r);
    p.schemaVersion = r.attrInt(r.root(), "schema_version");
    p.createdBy = writer;
    return p;
}

ProjectMatch matchProject(const ModelFingerprint &recorded, const ModelFingerprint &current)
{
    ProjectMatch m;
    const std::string made = " (the project was made from " + recorded.path + ")";
    if (recorded.format != current.format) {
        m.reason = "model format differs: " + recorded.format + " -> " + current.format;
    } else if (recorded.fileCount != current.fileCount) {
        m.reason = "model file count differs: " + std::to_string(recorded.fileCount) + " -> "
            + std::to_string(current.fileCount);
    } else if (recorded.fileSize != current.fileSize) {
        m.reason = "model size differs: " + sizeChange(recorded.fileSize, current.fileSize);
    } else if (recorded.contentHash != current.contentHash) {
        m.reason = "model content differs: hash " + recorded.hashHex() + " -> " + current.hashHex();
    }
    if (!m.reason.empty()) {
        m.stale = true;
        m.reason += made;
    }
    return m;
}

OpenedProject openProject(const std::string &path, const Model &model)
{
    OpenedProject o;
    o.project = readProject(path);
    o.match = matchProject(o.project.model, fingerprintModel(model));
    return o;
}

std::vector<HistoryPoint> historyToKeep(const std::string &path, const ModelFingerprint &model)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return {};
    try {
        h5::Hdf5Lock lock;
        h5::Reader r(path);
        (void)projectio::checkSchema(r, path);
        if (matchProject(projectio::readModel(r), model).stale)
            return {};
        return projectio::readHistory(r);
    } catch (const Error &) {
        return {}; // not a project this build reads: it is replaced whole, as before
    }
}

} // namespace cwb
