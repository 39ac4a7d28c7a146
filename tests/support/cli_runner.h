// SPDX-License-Identifier: MIT
#pragma once
// Runs the real `cwb` executable (CWB_CLI_PATH, defined for test_cli* targets) the way a user
// or a script would, with CWB_SHARED passed through. Header-only: only CLI tests include it.

#include "test_support.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace cwbtest {

struct CliResult {
    int exitCode = -1; // -1: crashed or timed out
    QString out;
    QString err;
};

inline CliResult runCli(const QStringList &args, int timeoutMs = 120000)
{
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CWB_SHARED"), QString::fromStdString(sharedDir()));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CWB_CLI_PATH), args);
    CliResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace cwbtest
