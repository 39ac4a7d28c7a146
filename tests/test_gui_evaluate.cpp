// SPDX-License-Identifier: MIT
// The evaluation GUI: the runs table (under QAbstractItemModelTester, every column of synthetic
// results, numeric sorting, tooltips), and the Evaluate panel running real evaluations of
// stories260K off the GUI thread: a finished run adds a row that matches core, Cancel stops a
// long run, a bad text file is reported, a KLD base is recorded and compared against, and the
// launch options set up (and screenshot) an evaluation.

#include "document.h"
#include "evaluate_panel.h"
#include "evaluation_runs_model.h"
#include "job_service.h"
#include "launch_options.h"
#include "main_window.h"
#include "test_support.h"

#include "eval/evaluation.h"
#include "io/open_model.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using cwb::gui::EvaluationRun;
using cwb::gui::EvaluationRunsModel;

namespace {

constexpr int kLoadTimeoutMs = 20'000;
constexpr int kRunTimeoutMs = 20'000;

const char *const kModel = "models/stories260K/stories260K.gguf";
const char *const kText = "data/tinystories/tinystories_validation_head.txt";

QString q(const std::string &s) { return QString::fromStdString(s); }

// A quantized model compared with its base, latency measured.
EvaluationRun quantizedRun()
{
    EvaluationRun run;
    cwb::EvalResult &r = run.result;
    r.modelLabel = "tiny-q4.gguf";
    r.bitsPerWeight = 4.5;
    r.protocol = cwb::PplProtocol::LlamaCppHalfWindow;
    r.nCtx = 512;
    r.ppl = 12.34567;
    r.pplStderr = 0.12345;
    r.meanNll = std::log(r.ppl);
    r.tokensScored = 2560;
    r.windows = 10;
    r.textTokens = 5200;
    r.hasKld = true;
    r.kld.mean = 0.0123456;
    r.kld.meanStderr = 0.0001;
    r.kld.top1AgreementPct = 97.25;
    r.kld.p99 = 0.25;
    r.kld.positions = 2560;
    r.hasLatency = true;
    r.latency.prefillTokPerS = 1234.4;
    r.latency.decodeTokPerS = 56.78;
    r.latency.promptTokens = 128;
    r.latency.generatedTokens = 32;
    r.weightBytes = 3 * 1024 * 1024;
    r.kvCacheBytes = 64 * 1024;
    r.peakRssMiB = 100.0;
    r.notes = {"KL divergence against tiny.gguf (base.logits)"};
    run.textPath = QStringLiteral("/data/wiki.test.raw");
    run.emulateQ8 = true;
    return run;
}

// Full precision, no base, no latency.
EvaluationRun plainRun(double ppl = 20.0)
{
    EvaluationRun run;
    cwb::EvalResult &r = run.result;
    r.modelLabel = "tiny.gguf";
    r.bitsPerWeight = 32.0;
    r.protocol = cwb::PplProtocol::FullWindow;
    r.nCtx = 128;
    r.ppl = ppl;
    r.pplStderr = 0.5;
    r.weightBytes = 1024;
    r.peakRssMiB = 0.5;
    run.textPath = QStringLiteral("/data/tiny.txt");
    return run;
}

QString cell(const QAbstractItemModel &m, int row, int column, int role = Qt::DisplayRole)
{
    return m.index(row, column).data(role).toString();
}

} // namespace

class TestGuiEvaluate : public QObject {
    Q_OBJECT

    // Opens stories260K in `w` and fills the panel for a short run of `text`.
    bool openStories(cwb::gui::MainWindow &w, const QString &text, int nCtx, int chunks)
    {
        const std::string model = cwbtest::sharedPath(kModel);
        if (model.empty())
            return false;
        w.show();
        QSignalSpy loaded(w.document(), &cwb::gui::Document::modelChanged);
        w.openModel(q(model));
        if (!loaded.wait(kLoadTimeoutMs) && loaded.isEmpty())
            return false;
        auto *panel = w.evaluatePanel();
        panel->setTextPath(text);
        panel->contextBox()->setValue(nCtx);
        panel->chunksBox()->setValue(chunks);
        return panel->runButton()->isEnabled();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_evaluate"));
        QSettings().clear();
    }

    void runsModelPassesTester()
    {
        EvaluationRunsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.columnCount(), int(EvaluationRunsModel::ColumnCount));
        model.addRun(quantizedRun());
        model.addRun(plainRun());
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.runs().at(0).result.modelLabel, std::string("tiny-q4.gguf"));
        QCOMPARE(model.runs().at(1).result.ppl, 20.0); // the whole result is kept
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        model.addRun(plainRun());
        QCOMPARE(model.rowCount(), 1);
    }

    void runsModelColumns_data()
    {
        QTest::addColumn<int>("row");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("expected");
        const QLocale l;
        const QString none = QStringLiteral("\u2014");
        using M = EvaluationRunsModel;
        QTest::newRow("model") << 0 << int(M::ModelColumn) << QStringLiteral("tiny-q4.gguf");
        QTest::newRow("llama protocol") << 0 << int(M::ProtocolColumn)
                                        << M::tr("llama.cpp, %1").arg(512);
        QTest::newRow("full protocol") << 1 << int(M::ProtocolColumn) << M::tr("full, %1").arg(128);
        QTest::newRow("ppl") << 0 << int(M::PerplexityColumn)
                             << M::tr("%1 \u00b1 %2").arg(l.toString(12.3457, 'f', 4),
                                                          l.toString(0.1235, 'f', 4));
        QTest::newRow("kld") << 0 << int(M::KldColumn) << l.toString(0.01235, 'f', 5);
        QTest::newRow("no kld") << 1 << int(M::KldColumn) << none;
        QTest::newRow("top-1") << 0 << int(M::Top1Column)
                               << M::tr("%1 %").arg(l.toString(97.25, 'f', 2));
        QTest::newRow("no top-1") << 1 << int(M::Top1Column) << none;
        QTest::newRow("size") << 0 << int(M::SizeColumn)
                              << l.formattedDataSize(3 * 1024 * 1024, 2,
                                                     QLocale::DataSizeIecFormat);
        QTest::newRow("small size") << 1 << int(M::SizeColumn)
                                    << l.formattedDataSize(1024, 2, QLocale::DataSizeIecFormat);
        QTest::newRow("bits") << 0 << int(M::BitsColumn) << l.toString(4.5, 'f', 2);
        QTest::newRow("prefill") << 0 << int(M::PrefillColumn) << l.toString(1234.0, 'f', 0);
        QTest::newRow("decode") << 0 << int(M::DecodeColumn) << l.toString(56.8, 'f', 1);
        QTest::newRow("no prefill") << 1 << int(M::PrefillColumn) << none;
        QTest::newRow("no decode") << 1 << int(M::DecodeColumn) << none;
        QTest::newRow("peak rss") << 0 << int(M::PeakRssColumn)
                                  << l.formattedDataSize(100 * 1024 * 1024, 2,
                                                         QLocale::DataSizeIecFormat);
    }
    void runsModelColumns()
    {
        QFETCH(int, row);
        QFETCH(int, column);
        QFETCH(QString, expected);
        EvaluationRunsModel model;
        model.addRun(quantizedRun());
        model.addRun(plainRun());
        QCOMPARE(cell(model, row, column), expected);
        const auto align = model.index(row, column).data(Qt::TextAlignmentRole).toInt();
        QCOMPARE(bool(align & Qt::AlignRight), column != EvaluationRunsModel::ModelColumn);
        QVERIFY(!model.headerData(column, Qt::Horizontal).toString().isEmpty());
    }

    void runsModelToolTip()
    {
        EvaluationRunsModel model;
        model.addRun(quantizedRun());
        model.addRun(plainRun());
        const QString tip = cell(model, 0, EvaluationRunsModel::PerplexityColumn, Qt::ToolTipRole);
        const QLocale l;
        for (const QString &part :
             {QStringLiteral("/data/wiki.test.raw"), QStringLiteral("tiny-q4.gguf"),
              QStringLiteral("KL divergence against tiny.gguf (base.logits)"), // the core note
              l.toString(0.25, 'f', 5),                                         // KLD p99
              l.toString(qlonglong(2560)),                                      // positions
              l.formattedDataSize(64 * 1024, 2, QLocale::DataSizeIecFormat)})   // KV cache
            QVERIFY2(tip.contains(part), qPrintable(part + QStringLiteral(" not in:\n") + tip));
        QVERIFY(tip.contains(EvaluationRunsModel::tr(
            "Integer activations: matmul inputs quantized to Q8, integer dot products like "
            "llama.cpp's CPU path")));
        const QString plain = cell(model, 1, 0, Qt::ToolTipRole);
        QVERIFY(plain.contains(EvaluationRunsModel::tr("Float activations")));
        QVERIFY(plain.contains(EvaluationRunsModel::tr("Latency: not measured")));
        QVERIFY(
            plain.contains(EvaluationRunsModel::tr("KL divergence: not measured (no base run)")));
    }

    // Numbers sort as numbers (9 before 12.3 before 20), and "—" cells sort after every value.
    void runsModelSortsNumerically()
    {
        EvaluationRunsModel model;
        model.addRun(quantizedRun()); // ppl 12.3, KLD 0.0123
        model.addRun(plainRun(20.0)); // no KLD
        EvaluationRun low = quantizedRun();
        low.result.ppl = 9.0;
        low.result.kld.mean = 0.002;
        model.addRun(low);
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(EvaluationRunsModel::SortValueRole);
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);

        const auto order = [&proxy] {
            QList<double> ppl;
            for (int r = 0; r < proxy.rowCount(); ++r)
                ppl << proxy.index(r, EvaluationRunsModel::PerplexityColumn)
                           .data(EvaluationRunsModel::SortValueRole)
                           .toDouble();
            return ppl;
        };
        proxy.sort(EvaluationRunsModel::PerplexityColumn, Qt::AscendingOrder);
        QCOMPARE(order(), (QList<double>{9.0, 12.34567, 20.0}));
        proxy.sort(EvaluationRunsModel::PerplexityColumn, Qt::DescendingOrder);
        QCOMPARE(order(), (QList<double>{20.0, 12.34567, 9.0}));
        proxy.sort(EvaluationRunsModel::KldColumn, Qt::AscendingOrder);
        QCOMPARE(order(), (QList<double>{9.0, 12.34567, 20.0}));
        proxy.sort(EvaluationRunsModel::SizeColumn, Qt::AscendingOrder);
        QCOMPARE(order().first(), 20.0); // 1 KiB before 3 MiB
    }

    void launchOptions_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode"); // -1: parses
        QTest::addColumn<int>("context");
        QTest::addColumn<int>("chunks");
        const QString app = QStringLiteral("compression-workbench");
        const QString text = QStringLiteral("--evaluate=t.txt");
        QTest::newRow("none") << QStringList{app} << -1 << 0 << -1;
        QTest::newRow("text only") << QStringList{app, text} << -1 << 0 << -1;
        QTest::newRow("all") << QStringList{app,
                                            text,
                                            QStringLiteral("--eval-ctx=128"),
                                            QStringLiteral("--eval-chunks=0"),
                                            QStringLiteral("--eval-latency"),
                                            QStringLiteral("--run-evaluation"),
                                            QStringLiteral("m.gguf")}
                             << -1 << 128 << 0;
        QTest::newRow("run without text")
            << QStringList{app, QStringLiteral("--run-evaluation")} << 2 << 0 << -1;
        QTest::newRow("ctx too small")
            << QStringList{app, text, QStringLiteral("--eval-ctx=1")} << 2 << 0 << -1;
        QTest::newRow("ctx not a number")
            << QStringList{app, text, QStringLiteral("--eval-ctx=lots")} << 2 << 0 << -1;
        QTest::newRow("negative chunks")
            << QStringList{app, text, QStringLiteral("--eval-chunks=-3")} << 2 << 0 << -1;
    }
    void launchOptions()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(int, context);
        QFETCH(int, chunks);
        const auto r = cwb::gui::parseLaunchOptions(args);
        QCOMPARE(r.exit, exitCode >= 0);
        if (r.exit) {
            QCOMPARE(r.exitCode, exitCode);
            QVERIFY(!r.message.isEmpty());
            return;
        }
        QCOMPARE(r.options.evaluateText,
                 args.contains(QStringLiteral("--evaluate=t.txt")) ? QStringLiteral("t.txt")
                                                                   : QString());
        QCOMPARE(r.options.evalContext, context);
        QCOMPARE(r.options.evalChunks, chunks);
        QCOMPARE(r.options.evalLatency, args.contains(QStringLiteral("--eval-latency")));
        QCOMPARE(r.options.runEvaluation, args.contains(QStringLiteral("--run-evaluation")));
    }

    void panelNeedsModelAndText()
    {
        cwb::gui::JobService jobs;
        cwb::gui::Document document(&jobs);
        cwb::gui::EvaluatePanel panel(&document);
        QVERIFY(!panel.runButton()->isEnabled());
        QVERIFY(!panel.cancelButton()->isEnabled());
        panel.setTextPath(QStringLiteral("/some/text.txt"));
        QVERIFY(!panel.runButton()->isEnabled());
        QVERIFY(!panel.run());
        QCOMPARE(panel.contextBox()->value(), cwb::gui::EvaluatePanel::kDefaultContext);
        QCOMPARE(panel.params().textPath, std::string("/some/text.txt"));
        QCOMPARE(panel.params().nCtx, int64_t(512));
        QCOMPARE(panel.params().chunks, int64_t(0));
    }

    // Run on the real model: a row appears whose numbers are core's for the same settings.
    void panelRunsEvaluation()
    {
        CWB_SHARED_FILE(text, kText);
        cwb::gui::MainWindow w;
        QAbstractItemModelTester tester(w.runsModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(openStories(w, q(text), 128, 4));
        auto *panel = w.evaluatePanel();
        QCOMPARE(panel->contextBox()->value(), 128);
        QVERIFY(panel->contextBox()->maximum() >= 128);
        QSignalSpy moved(panel->progressBar(), &QProgressBar::valueChanged);

        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        QVERIFY(panel->isRunning());
        QVERIFY(!panel->runButton()->isEnabled());
        QVERIFY(panel->cancelButton()->isEnabled());
        QCOMPARE(w.runsModel()->rowCount(), 0); // computed off the GUI thread
        QTRY_COMPARE_WITH_TIMEOUT(w.runsModel()->rowCount(), 1, kRunTimeoutMs);
        QVERIFY(!panel->isRunning());
        QVERIFY(panel->runButton()->isEnabled());
        QVERIFY(!panel->cancelButton()->isEnabled());
        QVERIFY(panel->errorText().isEmpty());

        const cwb::EvalResult &r = w.runsModel()->runs().front().result;
        QVERIFY(std::isfinite(r.ppl));
        QVERIFY2(r.ppl > 1.0, qPrintable(QString::number(r.ppl)));
        QCOMPARE(r.windows, int64_t(4));
        QCOMPARE(r.nCtx, int64_t(128));
        QCOMPARE(r.tokensScored, int64_t(4 * 63)); // positions 64..126 of each window
        QCOMPARE(r.modelLabel, std::string("stories260K.gguf"));
        QVERIFY(!r.hasKld);
        QVERIFY(!r.hasLatency);
        QCOMPARE(w.runsModel()->runs().front().textPath, q(text));

        // The same settings through core directly give the same perplexity (up to the float
        // sums' dependence on how the work was split across threads: ~1e-7 relative).
        cwb::EvalParams p;
        p.modelPath = cwbtest::sharedPath(kModel);
        p.textPath = text;
        p.nCtx = 128;
        p.chunks = 4;
        const cwb::EvalResult direct = cwb::runEvaluation(p);
        QVERIFY2(std::abs(direct.ppl - r.ppl) <= 1e-6 * direct.ppl,
                 qPrintable(QStringLiteral("%1 vs %2")
                                .arg(direct.ppl, 0, 'g', 17)
                                .arg(r.ppl, 0, 'g', 17)));
        QCOMPARE(r.tokensScored, direct.tokensScored);

        // The progress bar moved while the windows ran (window 1 of 4 is always posted: the
        // throttle lets the first report through) and ends full; the status names the result.
        QList<int> values;
        for (const auto &args : moved)
            values << args.first().toInt();
        QVERIFY2(values.contains(1), qPrintable(QVariant::fromValue(values).toString()));
        QCOMPARE(panel->progressBar()->maximum(), 4);
        QCOMPARE(panel->progressBar()->value(), 4);
        QVERIFY2(panel->statusText().contains(QLocale().toString(r.ppl, 'f', 4)),
                 qPrintable(panel->statusText()));

        // The runs dock appeared and shows the row.
        QVERIFY(w.runsDock()->isVisible());
        QCOMPARE(w.runsView()->model()->rowCount(), 1);
        QVERIFY(cell(*w.runsView()->model(), 0, EvaluationRunsModel::PerplexityColumn)
                    .startsWith(QLocale().toString(r.ppl, 'f', 4)));
    }

    // Cancel during a run over the whole text: it stops within seconds and adds no row.
    void panelCancelsLongRun()
    {
        CWB_SHARED_FILE(text, kText);
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w, q(text), 128, 0));
        auto *panel = w.evaluatePanel();
        QSignalSpy cancelled(panel, &cwb::gui::EvaluatePanel::evaluationCancelled);
        QSignalSpy finished(panel, &cwb::gui::EvaluatePanel::evaluationFinished);
        QVERIFY(panel->run());
        // Wait for the windows to start, so the cancel lands in the middle of scoring.
        QTRY_VERIFY_WITH_TIMEOUT(panel->progressBar()->maximum() > 1, kRunTimeoutMs);
        const int windows = panel->progressBar()->maximum();
        QVERIFY2(panel->isRunning(), "the whole text finished before it could be cancelled");
        QElapsedTimer timer;
        timer.start();
        QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
        QVERIFY(!panel->cancelButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 5'000);
        QVERIFY2(timer.elapsed() < 3'000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(finished.count(), 0);
        QCOMPARE(w.runsModel()->rowCount(), 0);
        QVERIFY(!panel->isRunning());
        QVERIFY(panel->runButton()->isEnabled());
        QVERIFY(panel->errorText().isEmpty());
        QVERIFY(windows > 100); // the run was long: the cancel cut it short
        QTest::qWait(100);      // nothing arrives late
        QCOMPARE(w.runsModel()->rowCount(), 0);
    }

    void panelReportsBadTextPath()
    {
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("no-such-text.txt"));
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w, missing, 128, 4));
        auto *panel = w.evaluatePanel();
        QSignalSpy failed(panel, &cwb::gui::EvaluatePanel::evaluationFailed);
        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kRunTimeoutMs);
        const QString message = failed.first().first().toString();
        QVERIFY2(message.contains(QStringLiteral("no-such-text.txt")), qPrintable(message));
        QCOMPARE(panel->errorText(), message);
        QCOMPARE(w.runsModel()->rowCount(), 0);
        QVERIFY(panel->runButton()->isEnabled()); // the user can fix the path and retry

        QMessageBox *box = nullptr;
        QTRY_VERIFY((box = w.findChild<QMessageBox *>(QStringLiteral("evaluationErrorBox")))
                    != nullptr);
        QTRY_VERIFY(box->isVisible());
        QCOMPARE(box->informativeText(), message);
        box->close();
    }

    // Record a base, then compare the same model with it: KLD 0, top-1 100 %, ratio 1.
    void panelRecordsAndComparesBase()
    {
        CWB_SHARED_FILE(text, kText);
        QTemporaryDir dir;
        const QString base = dir.filePath(QStringLiteral("base.logits"));
        cwb::gui::MainWindow w;
        QVERIFY(openStories(w, q(text), 64, 3));
        auto *panel = w.evaluatePanel();
        auto *saveEdit = panel->findChild<QLineEdit *>(QStringLiteral("evaluateSaveBase"));
        auto *compareEdit = panel->findChild<QLineEdit *>(QStringLiteral("evaluateCompareBase"));
        QVERIFY(saveEdit && compareEdit);
        saveEdit->setText(base);
        QVERIFY(!compareEdit->isEnabled()); // a run records or compares, not both
        QVERIFY(panel->run());
        QTRY_COMPARE_WITH_TIMEOUT(w.runsModel()->rowCount(), 1, kRunTimeoutMs);
        QVERIFY(QFile::exists(base));

        saveEdit->clear();
        compareEdit->setText(base);
        QVERIFY(!saveEdit->isEnabled());
        panel->latencyBox()->setChecked(true);
        QVERIFY(panel->run());
        QTRY_COMPARE_WITH_TIMEOUT(w.runsModel()->rowCount(), 2, kRunTimeoutMs);
        const cwb::EvalResult &r = w.runsModel()->runs().back().result;
        QVERIFY(r.hasKld);
        QVERIFY2(r.kld.mean < 1e-3, qPrintable(QString::number(r.kld.mean)));
        QCOMPARE(r.kld.top1AgreementPct, 100.0);
        QVERIFY(r.hasLatency);
        QVERIFY(r.latency.decodeTokPerS > 0);
        const auto *runs = w.runsModel();
        QVERIFY(cell(*runs, 1, EvaluationRunsModel::KldColumn) != QStringLiteral("\u2014"));
        QVERIFY(cell(*runs, 1, EvaluationRunsModel::DecodeColumn) != QStringLiteral("\u2014"));
        QCOMPARE(cell(*runs, 0, EvaluationRunsModel::KldColumn), QStringLiteral("\u2014"));
    }

    // What scripts/screenshot.sh relies on: open, evaluate, wait for the row, write the PNG.
    // The dock scrolls only vertically, so a dock narrower than the panel cut its fields and
    // check boxes at the right edge (at 1280x800 it came up 216 px wide for a 348 px panel).
    void evaluateDockShowsThePanelWhole()
    {
        for (const QSize size : {QSize(1280, 800), QSize(1000, 700)}) {
            QSettings().clear();
            cwb::gui::MainWindow w;
            w.resize(size);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            auto *scroll = qobject_cast<QScrollArea *>(w.evaluateDock()->widget());
            QVERIFY(scroll && scroll->widget() == w.evaluatePanel());
            QTRY_VERIFY2(scroll->viewport()->width()
                             >= w.evaluatePanel()->minimumSizeHint().width(),
                         qPrintable(QStringLiteral("%1x%2: viewport %3 px, panel needs %4 px")
                                        .arg(size.width())
                                        .arg(size.height())
                                        .arg(scroll->viewport()->width())
                                        .arg(w.evaluatePanel()->minimumSizeHint().width())));
            QVERIFY(w.width() <= size.width()); // the window did not grow to make room
        }
    }

    void screenshotAfterEvaluation()
    {
        CWB_SHARED_FILE(model, kModel);
        CWB_SHARED_FILE(text, kText);
        QTemporaryDir dir;
        cwb::gui::LaunchOptions o;
        o.modelPath = q(model);
        o.selectTensor = QStringLiteral("layers.0.attn.q");
        o.screenshotFile = dir.filePath(QStringLiteral("evaluate.png"));
        o.windowSize = QSize(1000, 700);
        o.evaluateText = q(text);
        o.evalContext = 128;
        o.evalChunks = 2;
        o.runEvaluation = true;
        cwb::gui::MainWindow w;
        w.show();
        cwb::gui::applyLaunchOptions(w, o);
        QVERIFY(w.evaluateDock()->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(o.screenshotFile), kRunTimeoutMs);
        QTRY_VERIFY2(QImage(o.screenshotFile).size() == QSize(1000, 700),
                     qPrintable(QStringLiteral("%1x%2").arg(QImage(o.screenshotFile).width())
                                    .arg(QImage(o.screenshotFile).height())));
        QCOMPARE(w.runsModel()->rowCount(), 1); // grabbed after the run, not before
        QCOMPARE(w.runsModel()->runs().front().result.nCtx, int64_t(128));
        QCOMPARE(w.runsModel()->runs().front().result.windows, int64_t(2));
    }
};

QTEST_MAIN(TestGuiEvaluate)
#include "test_gui_evaluate.moc"
