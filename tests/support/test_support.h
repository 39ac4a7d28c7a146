// SPDX-License-Identifier: MIT
#pragma once
// Shared helpers for the Qt Test executables: where the real assets are, and temp files.
// Assets live in $CWB_SHARED (default: ../shared beside the source tree). A missing asset is a
// test failure with the path in the message, never a silent pass.

#include <QString>
#include <QTest>

#include <cmath>
#include <functional>
#include <string>

// Lets QCOMPARE print std::string values.
namespace QTest {
template <>
inline char *toString(const std::string &s)
{
    return qstrdup(s.c_str());
}
} // namespace QTest

namespace cwbtest {

// Absolute path of `relative` under the shared assets directory; empty if missing.
std::string sharedPath(const char *relative);
// The shared directory itself and how it was chosen (for messages).
std::string sharedDir();

// The message of the cwb::Error that `f` throws; empty when it throws none.
std::string errorOf(const std::function<void()> &f);

// |got - want| <= abs + rel |want|.
inline bool near(double got, double want, double rel, double abs = 0)
{
    return std::abs(got - want) <= abs + rel * std::abs(want);
}

} // namespace cwbtest

// cwbtest::near with both values in the failure message.
#define VERIFY_NEAR(got, want, rel, abs)                                                           \
    QVERIFY2(cwbtest::near((got), (want), (rel), (abs)),                                           \
             qPrintable(QStringLiteral("%1 = %2, expected %3")                                     \
                            .arg(QLatin1String(#got))                                              \
                            .arg((got), 0, 'g', 17)                                                \
                            .arg((want), 0, 'g', 17)))

// Declares `var` (std::string) holding the asset's path or fails the test naming it.
#define CWB_SHARED_FILE(var, relative)                                                             \
    const std::string var = cwbtest::sharedPath(relative);                                         \
    if (var.empty())                                                                               \
        QFAIL(qPrintable(QStringLiteral("missing test asset %1 under %2 (set CWB_SHARED)")         \
                             .arg(QString::fromUtf8(relative), QString::fromStdString(cwbtest::sharedDir()))))
