// SPDX-License-Identifier: MIT
// The German translation is complete (no unfinished or empty message in translations/cwb_de.ts),
// the compiled .qm is embedded under :/i18n, and installTranslations() switches the UI to it.

#include "app_setup.h"
#include "main_window.h"

#include <QApplication>
#include <QBuffer>
#include <QFile>
#include <QLocale>
#include <QProcess>
#include <QSet>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>
#include <QXmlStreamReader>

namespace {

const QString kTsPath = QStringLiteral(CWB_SOURCE_DIR "/translations/cwb_de.ts");

struct TsScan {
    int messages = 0;
    QStringList problems; // "context: source (reason)"
    QSet<QString> keys;   // "context: source" of every message
};

// Walks every <message>: its <translation> must be finished and non-empty (each <numerusform>
// too, for plural messages).
TsScan scanTs(QIODevice &in)
{
    TsScan scan;
    QXmlStreamReader xml(&in);
    QString context, source, type, text;
    QStringList forms;
    bool inTranslation = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            const auto name = xml.name();
            if (name == QLatin1String("name")) {
                context = xml.readElementText();
            } else if (name == QLatin1String("source")) {
                source = xml.readElementText();
            } else if (name == QLatin1String("message")) {
                ++scan.messages;
            } else if (name == QLatin1String("translation")) {
                inTranslation = true;
                type = xml.attributes().value(QLatin1String("type")).toString();
                text.clear();
                forms.clear();
            } else if (name == QLatin1String("numerusform") && inTranslation) {
                forms << xml.readElementText();
            }
        } else if (xml.isCharacters() && inTranslation) {
            text += xml.text();
        } else if (xml.isEndElement() && xml.name() == QLatin1String("translation")) {
            inTranslation = false;
            const QString where = context + QStringLiteral(": ") + source;
            scan.keys.insert(where);
            if (!type.isEmpty())
                scan.problems << where + QStringLiteral(" (") + type + QLatin1Char(')');
            else if (forms.isEmpty() ? text.trimmed().isEmpty() : forms.contains(QString()))
                scan.problems << where + QStringLiteral(" (empty)");
        }
    }
    if (xml.hasError())
        scan.problems << QStringLiteral("XML error: ") + xml.errorString();
    return scan;
}

} // namespace

class TestGuiTranslations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("CompressionWorkbenchTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_gui_translations"));
        QSettings().clear();
    }

    // The committed .ts holds every tr() string the widgets have now, and the method registry's
    // labels (CWB_TRANSLATE_NOOP in core/methods): lupdate over the sources
    // into a fresh file, then each of its messages must be in the committed one (a string changed
    // in the code but not in the .ts would otherwise show in English, unnoticed).
    void tsFileCoversTheSources()
    {
        QTemporaryDir dir;
        const QString fresh = dir.filePath(QStringLiteral("fresh.ts"));
        QProcess lupdate;
        lupdate.start(QStringLiteral(CWB_LUPDATE),
                      {QStringLiteral("-no-obsolete"), QStringLiteral("-locations"),
                       QStringLiteral("none"), QStringLiteral("-tr-function-alias"),
                       QStringLiteral("QT_TRANSLATE_NOOP+=CWB_TRANSLATE_NOOP"),
                       QStringLiteral(CWB_SOURCE_DIR "/widgets"),
                       QStringLiteral(CWB_SOURCE_DIR "/core/methods"), QStringLiteral("-ts"),
                       fresh});
        QVERIFY2(lupdate.waitForFinished(60'000) && lupdate.exitCode() == 0,
                 lupdate.readAllStandardError().constData());
        QFile freshFile(fresh), committed(kTsPath);
        QVERIFY(freshFile.open(QIODevice::ReadOnly) && committed.open(QIODevice::ReadOnly));
        const TsScan now = scanTs(freshFile), have = scanTs(committed);
        QVERIFY(now.messages > 500);
        QStringList missing;
        for (const QString &key : now.keys)
            if (!have.keys.contains(key))
                missing << key;
        missing.sort();
        QVERIFY2(missing.isEmpty(),
                 qPrintable(QStringLiteral("not in cwb_de.ts (run the update_translations target "
                                           "and translate):\n")
                            + missing.join(QLatin1Char('\n'))));
    }

    void tsFileIsComplete()
    {
        QFile ts(kTsPath);
        QVERIFY2(ts.open(QIODevice::ReadOnly), qPrintable(kTsPath));
        const TsScan scan = scanTs(ts);
        QVERIFY2(scan.problems.isEmpty(), qPrintable(scan.problems.join(QLatin1Char('\n'))));
        QVERIFY2(scan.messages >= 80, qPrintable(QString::number(scan.messages))); // lupdate ran
    }

    // The scanner itself catches what it must: an unfinished and an empty message.
    void scannerFindsProblems()
    {
        QByteArray bad
            = "<TS><context><name>C</name>"
              "<message><source>A</source><translation "
              "type=\"unfinished\">x</translation></message>"
              "<message><source>B</source><translation></translation></message>"
              "<message numerus=\"yes\"><source>%n</source><translation>"
              "<numerusform>eins</numerusform><numerusform></numerusform></translation></message>"
              "<message><source>D</source><translation>gut</translation></message>"
              "</context></TS>";
        QBuffer buffer(&bad);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        const TsScan scan = scanTs(buffer);
        QCOMPARE(scan.messages, 4);
        QCOMPARE(scan.problems.size(), qsizetype(3));
    }

    void embeddedQmTranslates_data()
    {
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("german");
        QTest::newRow("menu") << "cwb::gui::MainWindow"
                              << "&File"
                              << "&Datei";
        QTest::newRow("open") << "cwb::gui::MainWindow"
                              << "&Open Model File\u2026"
                              << "Modelldatei &öffnen\u2026";
        QTest::newRow("log") << "cwb::gui::HistogramPanel"
                             << "Log counts"
                             << "Anzahl logarithmisch";
        QTest::newRow("axis") << "cwb::gui::HistogramChart"
                              << "count"
                              << "Anzahl";
        QTest::newRow("column") << "cwb::gui::ModelTreeModel"
                                << "Parameters"
                                << "Parameter";
        QTest::newRow("summary") << "cwb::gui::ModelSummary"
                                 << "%1 parameters"
                                 << "%1 Parameter";
    }
    void embeddedQmTranslates()
    {
        QFETCH(QString, context);
        QFETCH(QString, source);
        QFETCH(QString, german);
        QTranslator t;
        QVERIFY(t.load(QStringLiteral(":/i18n/cwb_de.qm")));
        QCOMPARE(t.translate(context.toUtf8().constData(), source.toUtf8().constData()), german);
    }

    void installTranslationsFollowsSetting()
    {
        auto &app = *qobject_cast<QApplication *>(QCoreApplication::instance());
        QSettings settings;
        settings.setValue(QLatin1String(cwb::gui::kLanguageKey), QStringLiteral("en"));
        QCOMPARE(cwb::gui::installTranslations(app, settings), QString());
        QCOMPARE(cwb::gui::MainWindow::tr("&File"), QStringLiteral("&File"));

        settings.setValue(QLatin1String(cwb::gui::kLanguageKey), QStringLiteral("de"));
        QCOMPARE(cwb::gui::installTranslations(app, settings), QStringLiteral("de"));
        QCOMPARE(cwb::gui::MainWindow::tr("&File"), QStringLiteral("&Datei"));
        QCOMPARE(QLocale().language(), QLocale::German);
        cwb::gui::MainWindow w; // builds every menu with the German strings
        QCOMPARE(w.windowTitle(), QStringLiteral("Compression Workbench"));
    }
};

QTEST_MAIN(TestGuiTranslations)
#include "test_gui_translations.moc"
