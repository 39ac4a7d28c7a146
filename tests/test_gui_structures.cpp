// SPDX-License-Identifier: MIT
// The Model Overview's Structures tab: scoring runs as a job on stories260K, the FFN chart has
// one sorted curve per layer with the cut at the kept fraction, the block chart marks the
// least important block, and the summary says what the cut saves and whether llama.cpp loads
// it; the keep box moves the cut; a model change drops the scores.

#include "document.h"
#include "job_service.h"
#include "structure_panel.h"
#include "structure_score_chart.h"
#include "test_support.h"

#include "io/open_model.h"

#include <QSignalSpy>
#include <QTest>

#include <qcustomplot.h>

using namespace cwb::gui;

namespace {

constexpr int kTimeoutMs = 60'000;
constexpr const char *kModel = "models/stories260K/stories260K.gguf";
constexpr const char *kText = "data/tinystories/tinystories_validation_head.txt";

} // namespace

class TestGuiStructures : public QObject {
    Q_OBJECT

private slots:
    void scoresShowWithTheCut()
    {
        CWB_SHARED_FILE(path, kModel);
        CWB_SHARED_FILE(text, kText);
        JobService jobs;
        Document document(&jobs);
        StructurePanel panel(&document);
        QVERIFY(!panel.run(QString::fromStdString(text))); // no model yet
        QVERIFY(panel.statusText().contains(QStringLiteral("Open a model")));
        document.setModel(std::make_shared<cwb::Model>(cwb::io::openModel(path)));
        QVERIFY(!panel.run(QStringLiteral("  ")));
        QSignalSpy finished(&panel, &StructurePanel::finished);
        QVERIFY(panel.run(QString::fromStdString(text)));
        QVERIFY(!panel.run(QString::fromStdString(text))); // one at a time
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QCOMPARE(finished.first().first().toBool(), true);

        QCOMPARE(panel.channelChart()->seriesCount(), 5); // one curve per layer
        QCOMPARE(panel.channelChart()->markX(), 0.75);
        // Sorted, most important first.
        const auto *graph = panel.channelChart()->plot()->graph(0)->data().data();
        QVERIFY(graph->size() > 100);
        QVERIFY(graph->at(0)->value >= graph->at(graph->size() - 1)->value);
        QCOMPARE(panel.blockChart()->seriesCount(), 2);
        QVERIFY(panel.blockChart()->markX() >= 0 && panel.blockChart()->markX() < 5);
        QVERIFY2(panel.summaryText().contains(QStringLiteral("172 \u2192 129"))
                     && panel.summaryText().contains(QStringLiteral("llama.cpp loads")),
                 qPrintable(panel.summaryText()));
        QVERIFY(panel.summaryText().contains(QStringLiteral("Spearman")));

        panel.setKeepPercent(50);
        QCOMPARE(panel.channelChart()->markX(), 0.5);
        QVERIFY(panel.summaryText().contains(QStringLiteral("172 \u2192 86")));

        // Another model: the scores belong to the old one and go.
        document.setModel(std::make_shared<cwb::Model>(cwb::io::openModel(path)));
        QCOMPARE(panel.channelChart()->seriesCount(), 0);
        QVERIFY(panel.summaryText().isEmpty());
    }
};

QTEST_MAIN(TestGuiStructures)
#include "test_gui_structures.moc"
