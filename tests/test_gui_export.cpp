// SPDX-License-Identifier: MIT
// File > Export… on stories260K: the dialog previews what each tensor becomes without writing
// anything, the export runs as a Jobs dock job and the table then shows the verification (the
// file read back, every tensor compared); a compressed model's tensors say how they were
// written; Cancel from the Jobs dock leaves nothing behind and an earlier file as it was; the
// table model passes QAbstractItemModelTester.

#include "compression_panel.h"
#include "document.h"
#include "export_dialog.h"
#include "export_table_model.h"
#include "job_service.h"
#include "jobs_panel.h"
#include "layer_plan_model.h"
#include "layer_plan_view.h"
#include "main_window.h"
#include "test_support.h"

#include "recipe/recipe.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

namespace {

constexpr int kTimeoutMs = 30'000;
const char *const kModel = "models/stories260K/stories260K.gguf";

QString q(const std::string &s) { return QString::fromStdString(s); }

std::string firstLine(const QString &path)
{
    std::ifstream in(path.toStdString());
    std::string line;
    std::getline(in, line);
    return line;
}

} // namespace

class TestGuiExport : public QObject {
    Q_OBJECT

    bool openStories(cwb::gui::MainWindow &w)
    {
        w.show();
        QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
        w.openModel(q(cwbtest::sharedPath(kModel)));
        return loaded.wait(kTimeoutMs) || !loaded.isEmpty();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_export"));
        QSettings().clear();
    }

    void previewThenExportAndVerify()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w));
        QTemporaryDir dir;
        cwb::gui::ExportDialog *dialog = w.showExportDialog();
        new QAbstractItemModelTester(dialog->table(), &w);
        dialog->setTarget(cwb::ExportTarget::Gguf);
        const QString out = dir.filePath(QStringLiteral("stories.gguf"));
        QSignalSpy previewed(dialog, &cwb::gui::ExportDialog::previewShown);
        dialog->setOutputPath(out);
        QVERIFY(previewed.wait(kTimeoutMs));
        // The preview plans every tensor and writes nothing.
        QCOMPARE(dialog->table()->rowCount(), 48); // stories260K.gguf has output.weight
        QVERIFY(!dialog->table()->result().written);
        QVERIFY(!QFile::exists(out));
        QVERIFY2(dialog->statusText().contains(QStringLiteral("nothing written")),
                 qPrintable(dialog->statusText()));
        // No model compressed yet: the source is the model as it is.
        QCOMPARE(dialog->sourceBox()->currentIndex(), 1);
        QVERIFY(!dialog->sourceBox()->isEnabled());

        QSignalSpy finished(dialog, &cwb::gui::ExportDialog::exportFinished);
        QVERIFY(dialog->startExport());
        const int job = dialog->exportJobId();
        QVERIFY(w.jobsPanel()->rowOf(job) >= 0); // the export is a Jobs dock job
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.first().first().toBool(), true);
        const cwb::ExportResult &r = dialog->table()->result();
        QVERIFY(r.written && r.verified);
        QCOMPARE(r.exactCount(), int64_t(48));
        QVERIFY(QFile::exists(out));
        QVERIFY2(dialog->statusText().contains(QStringLiteral("compared every tensor")),
                 qPrintable(dialog->statusText()));
        QCOMPARE(w.jobsPanel()->stateOf(w.jobsPanel()->rowOf(job)),
                 cwb::gui::JobsPanel::State::Done);
    }

    void compressedTensorsSayHowTheyWereWritten()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w));
        auto *panel = w.compressionPanel();
        panel->planView()->planModel()->setRecipe(cwb::parseRecipe(
            R"({"version": 1, "rules": [
                {"match": "layers.*.attn.*", "methods": [{"method": "rtn",
                    "params": {"bits": 8, "group": 32}}]},
                {"match": "layers.*.mlp.gate", "methods": [{"method": "nf4",
                    "params": {"block_size": 64}}]}]})",
            "test recipe"));
        QSignalSpy ready(panel, &cwb::gui::CompressionPanel::resultReady);
        QVERIFY(panel->compress());
        QVERIFY(ready.wait(kTimeoutMs));
        cwb::gui::ExportDialog *dialog = w.showExportDialog();
        QTRY_COMPARE_WITH_TIMEOUT(dialog->sourceBox()->currentIndex(), 0, kTimeoutMs);
        QTemporaryDir dir;
        QSignalSpy previewed(dialog, &cwb::gui::ExportDialog::previewShown);
        dialog->setOutputPath(dir.filePath(QStringLiteral("c.gguf")));
        dialog->requantizeBox()->setCurrentIndex(
            dialog->requantizeBox()->findText(QStringLiteral("Q8_0")));
        QVERIFY(previewed.wait(kTimeoutMs));
        QSignalSpy finished(dialog, &cwb::gui::ExportDialog::exportFinished);
        QVERIFY(dialog->startExport());
        QVERIFY(finished.wait(kTimeoutMs));
        const cwb::ExportResult &r = dialog->table()->result();
        int repacked = 0, requantized = 0;
        for (const auto &t : r.tensors) {
            if (t.name.find("attn_") != std::string::npos && t.name.ends_with(".weight")
                && t.name.find("norm") == std::string::npos) {
                QCOMPARE(t.written, std::string("Q8_0")); // rtn 8-bit g32 repacked: exact
                QVERIFY(t.exact());
                ++repacked;
            }
            if (t.name.find("ffn_gate") != std::string::npos) {
                QCOMPARE(t.written, std::string("Q8_0")); // nf4 re-quantized: error measured
                QCOMPARE(t.fate, cwb::ExportFate::Converted);
                QVERIFY(t.maxAbsError > 0);
                ++requantized;
            }
        }
        QCOMPARE(repacked, 20);
        QCOMPARE(requantized, 5);
        QVERIFY(dialog->table()->summary().contains(QStringLiteral("5 converted")));
    }

    void cancelFromTheJobsDockLeavesTheOldFile()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w));
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("old.gguf"));
        {
            std::ofstream(out.toStdString()) << "previous";
        }
        cwb::gui::ExportDialog *dialog = w.showExportDialog();
        dialog->setOutputPath(out);
        QSignalSpy finished(dialog, &cwb::gui::ExportDialog::exportFinished);
        // Cancelled as soon as it starts, through the Jobs dock's button as a user would.
        QVERIFY(dialog->startExport());
        const int row = w.jobsPanel()->rowOf(dialog->exportJobId());
        w.jobsPanel()->cancelButton(row)->click();
        QVERIFY(finished.wait(kTimeoutMs));
        // Either the cancel arrived in time (nothing written) or the export had already
        // finished; the previous file is replaced only by a complete, verified one.
        if (!finished.first().first().toBool()) {
            QCOMPARE(firstLine(out), std::string("previous"));
            QVERIFY2(dialog->statusText().contains(QStringLiteral("nothing was written")),
                     qPrintable(dialog->statusText()));
        } else {
            QVERIFY(dialog->table()->result().verified);
        }
        for (const auto &e : std::filesystem::directory_iterator(dir.path().toStdString()))
            QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos,
                     e.path().c_str());
    }

    void errorsAreShownNotThrown()
    {
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w));
        QTemporaryDir dir;
        cwb::gui::ExportDialog *dialog = w.showExportDialog();
        QSignalSpy finished(dialog, &cwb::gui::ExportDialog::exportFinished);
        dialog->setOutputPath(dir.path()); // an existing directory, not a .gguf file
        QVERIFY(dialog->startExport());
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.first().first().toBool(), false);
        QVERIFY2(dialog->statusText().contains(QStringLiteral("is a directory")),
                 qPrintable(dialog->statusText()));
    }
};

QTEST_MAIN(TestGuiExport)
#include "test_gui_export.moc"
