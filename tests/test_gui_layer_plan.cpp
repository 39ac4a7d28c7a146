// SPDX-License-Identifier: MIT
// The Layer Plan table on the real stories260K.gguf: the model under QAbstractItemModelTester,
// cells that show the resolved plan (empty and read-only where a field does not apply),
// edits through setData and through the delegates' editors, bulk edits over a multi-row
// selection and fill-down as one undo command each, undo / redo restoring the recipe and the
// totals exactly, a shape-invalid edit showing as an error on its row, refused values, the Last
// error column, export -> parse round trips and import errors naming the file, and a screenshot.

#include "layer_plan_commands.h"
#include "layer_plan_model.h"
#include "layer_plan_view.h"
#include "test_support.h"

#include "io/open_model.h"
#include "model/model.h"
#include "recipe/recipe_edit.h"
#include "recipe/resolve.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFont>
#include <QHeaderView>
#include <QImage>
#include <QLocale>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QUndoStack>

#include <memory>

using cwb::gui::LayerPlanModel;
using cwb::gui::LayerPlanView;
using cwb::MethodSlot;

namespace {

const char *const kModel = "models/stories260K/stories260K.gguf";

// Every matrix 4-bit per row; attention 4-bit in groups of 32 (its rows are 64 long).
const char *const kRecipe = R"({
  "version": 1,
  "name": "stories plan",
  "defaults": {"methods": [{"method": "rtn", "params": {"bits": 4, "group": -1}}]},
  "rules": [{"match": "layers.*.attn.*", "methods": [{"method": "rtn", "params": {"group": 32}}],
             "comment": "attention in groups"}]
})";

cwb::Recipe baseRecipe() { return cwb::parseRecipe(kRecipe, "stories.json"); }

const cwb::TensorPlan &planOf(const LayerPlanModel &m, const char *canonical)
{
    for (const cwb::TensorPlan &tp : m.plan().tensors)
        if (tp.canonical == canonical)
            return tp;
    throw std::runtime_error(std::string("no tensor ") + canonical);
}

int tensorIndex(const LayerPlanModel &m, const char *canonical)
{
    return static_cast<int>(planOf(m, canonical).index);
}

QString cell(const LayerPlanModel &m, const char *canonical, int column,
             int role = Qt::DisplayRole)
{
    return m.indexOfTensor(QString::fromUtf8(canonical), column).data(role).toString();
}

int64_t bitsOf(const LayerPlanModel &m, const char *canonical)
{
    return cwb::paramInt(planOf(m, canonical).slot(MethodSlot::Quantize).value("bits"));
}

// What undo / redo must restore exactly.
struct State {
    std::string json;
    cwb::PlanTotals totals;
    size_t errors = 0;
};

State stateOf(const LayerPlanModel &m)
{
    return {cwb::recipeToJson(m.recipe()), m.totals(), m.plan().errors.size()};
}

bool sameState(const State &a, const State &b)
{
    return a.json == b.json && a.totals.changed == b.totals.changed
        && a.totals.estimatedBytes == b.totals.estimatedBytes
        && a.totals.estimatedBitsPerWeight == b.totals.estimatedBitsPerWeight
        && a.totals.compressionRatio == b.totals.compressionRatio && a.errors == b.errors;
}

void selectTensors(QTreeView *tree, const LayerPlanModel &m, const QStringList &names)
{
    QItemSelection selection;
    for (const QString &n : names) {
        const QModelIndex i = m.indexOfTensor(n);
        selection.select(i, i);
    }
    tree->selectionModel()->select(selection,
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QStringList layerTensors(const char *role)
{
    QStringList out;
    for (int l = 0; l < 5; ++l)
        out << QStringLiteral("layers.%1.%2").arg(l).arg(QString::fromUtf8(role));
    return out;
}

} // namespace

class TestGuiLayerPlan : public QObject {
    Q_OBJECT

    std::shared_ptr<const cwb::Model> stories_;

    // Opens the editor of `index` in the view (as F2 does) and returns it.
    template <typename Editor>
    Editor *openEditor(LayerPlanView &view, const QModelIndex &index)
    {
        view.treeView()->selectionModel()->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
        view.treeView()->edit(index);
        return qobject_cast<Editor *>(view.treeView()->indexWidget(index));
    }

private Q_SLOTS:
    void initTestCase()
    {
        CWB_SHARED_FILE(path, kModel);
        stories_ = std::make_shared<const cwb::Model>(cwb::io::openModel(path));
        QCOMPARE(stories_->tensors.size(), size_t(48));
    }

    void modelPassesTester()
    {
        LayerPlanModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        QCOMPARE(m.rowCount(), 6); // model, layers.0 .. layers.4
        QCOMPARE(m.index(0, 0).data().toString(), QStringLiteral("model"));
        QCOMPARE(m.index(1, 0).data().toString(), QStringLiteral("layers.0"));
        QCOMPARE(m.rowCount(m.index(1, 0)), 9);
        QVERIFY(m.setData(m.indexOfTensor(QStringLiteral("layers.1.attn.k"),
                                          LayerPlanModel::BitsColumn),
                          3));
        m.setModel(nullptr);
        QCOMPARE(m.rowCount(), 0);
        m.setModel(stories_);
        m.undoStack()->undo();
        QCOMPARE(m.rowCount(), 6);
    }

    void cellsShowTheResolvedPlan()
    {
        LayerPlanModel m;
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        QVERIFY(m.plan().valid());
        using M = LayerPlanModel;
        QCOMPARE(cell(m, "layers.0.attn.q", M::QuantizeColumn), QStringLiteral("rtn"));
        QCOMPARE(cell(m, "layers.0.attn.q", M::BitsColumn), QStringLiteral("4"));
        QCOMPARE(cell(m, "layers.0.attn.q", M::GroupColumn), QStringLiteral("32"));
        QCOMPARE(cell(m, "layers.0.attn.q", M::FormatColumn),
                 QStringLiteral("int4 g32 sym + f16 scales"));
        QCOMPARE(cell(m, "layers.0.mlp.down", M::GroupColumn), QStringLiteral("row"));
        QCOMPARE(m.indexOfTensor(QStringLiteral("layers.0.mlp.down"), M::GroupColumn)
                     .data(Qt::EditRole)
                     .toLongLong(),
                 -1LL);
        QCOMPARE(cell(m, "layers.0.mlp.down", M::FormatColumn),
                 QStringLiteral("int4 per-row sym + f16 scales"));
        QCOMPARE(cell(m, "layers.0.mlp.down", M::PruneColumn), QStringLiteral("none"));
        // Where a field does not apply: empty and read-only.
        const QModelIndex normPrune =
            m.indexOfTensor(QStringLiteral("layers.0.attn_norm"), M::PruneColumn);
        QVERIFY(normPrune.data().isNull());
        QVERIFY(!(normPrune.flags() & Qt::ItemIsEditable));
        QCOMPARE(cell(m, "layers.0.attn_norm", M::QuantizeColumn), QStringLiteral("keep"));
        QCOMPARE(cell(m, "layers.0.attn_norm", M::FormatColumn), QStringLiteral("F32 (kept)"));
        for (int c :
             {M::BitsColumn, M::GroupColumn, M::SparsityColumn, M::NmColumn, M::RankColumn}) {
            const QModelIndex i = m.indexOfTensor(QStringLiteral("layers.0.attn_norm"), c);
            QVERIFY2(i.data().isNull() && !(i.flags() & Qt::ItemIsEditable),
                     qPrintable(QString::number(c)));
        }
        QVERIFY(m.indexOfTensor(QStringLiteral("layers.0.attn_norm"), M::QuantizeColumn).flags()
                & Qt::ItemIsEditable);
        const QModelIndex sparsity =
            m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::SparsityColumn);
        QVERIFY(sparsity.data().isNull() && !(sparsity.flags() & Qt::ItemIsEditable));
        QVERIFY(!(m.index(1, M::QuantizeColumn).flags() & Qt::ItemIsEditable)); // group row
        QVERIFY(!(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::FormatColumn).flags()
                  & Qt::ItemIsEditable));

        // Estimates are the plan's, labelled as estimates.
        const cwb::TensorPlan &q0 = planOf(m, "layers.0.attn.q");
        QCOMPARE(cell(m, "layers.0.attn.q", M::BytesColumn),
                 QLocale().formattedDataSize(static_cast<qint64>(q0.estimate.total()), 2,
                                             QLocale::DataSizeIecFormat));
        // 64 x 64 at 4 bits + 64 x 2 f16 scales = 2048 + 256 bytes: 4.50 bits per weight.
        QCOMPARE(q0.estimate.total(), uint64_t(2304));
        QCOMPARE(cell(m, "layers.0.attn.q", M::BitsPerWeightColumn),
                 QLocale().toString(4.5, 'f', 2));
        QVERIFY(m.headerData(M::BytesColumn, Qt::Horizontal, Qt::ToolTipRole).toString().contains(
            QStringLiteral("Estimated")));
        QVERIFY(m.headerData(M::BitsPerWeightColumn, Qt::Horizontal, Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("Estimated")));
        QCOMPARE(m.totals().estimatedBytes, m.plan().totals.estimatedBytes);
        QCOMPARE(m.totals().tensors, int64_t(48));
        // Provenance in the tooltip.
        QVERIFY(cell(m, "layers.0.attn.q", M::GroupColumn, Qt::ToolTipRole)
                    .contains(QStringLiteral("Set by rules[0] \"layers.*.attn.*\"")));
    }

    void setDataEditsTheOverride()
    {
        LayerPlanModel m;
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        QSignalSpy changed(&m, &LayerPlanModel::planChanged);
        using M = LayerPlanModel;
        QVERIFY(m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::BitsColumn), 3));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(m.undoStack()->count(), 1);
        QCOMPARE(m.undoStack()->text(0), QStringLiteral("Set bits = 3 on layers.0.attn.q"));
        QCOMPARE(m.recipe().overrides.size(), size_t(1));
        QCOMPARE(m.recipe().overrides[0].tensor, std::string("layers.0.attn.q"));
        QCOMPARE(bitsOf(m, "layers.0.attn.q"), int64_t(3));
        // Group still from the rule, bits from the override (shown bold).
        const cwb::SlotPlan &s = planOf(m, "layers.0.attn.q").slot(MethodSlot::Quantize);
        QCOMPARE(s.find("group")->from.source, cwb::Provenance::Source::Rule);
        QCOMPARE(s.find("bits")->from.source, cwb::Provenance::Source::Override);
        QVERIFY(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::BitsColumn)
                    .data(Qt::FontRole)
                    .value<QFont>()
                    .bold());
        QCOMPARE(cell(m, "layers.0.attn.q", M::FormatColumn),
                 QStringLiteral("int3 g32 sym + f16 scales"));
        // The same value again changes nothing and pushes nothing.
        QVERIFY(m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::BitsColumn), 3));
        QCOMPARE(m.undoStack()->count(), 1);

        // A method edit replaces the slot: the rule's group 32 goes with rtn.
        QVERIFY(m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::QuantizeColumn),
                          QStringLiteral("q8_0")));
        QCOMPARE(m.undoStack()->text(1), QStringLiteral("Set quantize = q8_0 on layers.0.attn.q"));
        QCOMPARE(cell(m, "layers.0.attn.q", M::FormatColumn), QStringLiteral("Q8_0"));
        QVERIFY(cell(m, "layers.0.attn.q", M::BitsColumn).isEmpty());
        QVERIFY(cell(m, "layers.0.attn.q", M::GroupColumn).isEmpty());
        m.undoStack()->undo();
        QCOMPARE(bitsOf(m, "layers.0.attn.q"), int64_t(3));
        m.undoStack()->undo();
        QVERIFY(cwb::sameRecipe(m.recipe(), baseRecipe()));
        m.undoStack()->redo();
        QCOMPARE(bitsOf(m, "layers.0.attn.q"), int64_t(3));
    }

    void refusedValuesPushNothing()
    {
        LayerPlanModel m;
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        QSignalSpy refused(&m, &LayerPlanModel::editRefused);
        using M = LayerPlanModel;
        QVERIFY(!m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::BitsColumn), 9));
        QCOMPARE(refused.count(), 1);
        QCOMPARE(m.lastEditError(),
                 QStringLiteral("layers.0.attn.q: rtn bits: 9 is out of range 2..8"));
        QVERIFY(!m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::GroupColumn), 48));
        QVERIFY(m.lastEditError().contains(QStringLiteral("group: 48 is not one of")));
        QVERIFY(!m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::QuantizeColumn),
                           QStringLiteral("magnitude")));
        QVERIFY(m.lastEditError().contains(QStringLiteral("magnitude is a prune method")));
        QCOMPARE(m.undoStack()->count(), 0);
        QVERIFY(cwb::sameRecipe(m.recipe(), baseRecipe()));
        // Not editable: refused before anything is tried.
        QVERIFY(!m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn_norm"), M::PruneColumn),
                           QStringLiteral("magnitude")));
    }

    // Delegates, bulk edits, fill-down, an invalid edit, then undo / redo of all of it.
    void editsThroughTheViewUndoAndRedo()
    {
        LayerPlanView view;
        view.resize(1280, 800);
        view.show();
        LayerPlanModel &m = *view.planModel();
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        QTreeView *tree = view.treeView();
        using M = LayerPlanModel;
        std::vector<State> states{stateOf(m)};

        // 1. One cell through setData.
        QVERIFY(m.setData(m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::BitsColumn), 3));
        states.push_back(stateOf(m));

        // 2. Bulk edit through the spin box of the Bits column over 15 selected MLP rows.
        const QStringList mlp =
            layerTensors("mlp.gate") + layerTensors("mlp.down") + layerTensors("mlp.up");
        selectTensors(tree, m, mlp);
        QCOMPARE(view.selectedTensors().size(), 15);
        auto *spin = openEditor<QSpinBox>(view, m.indexOfTensor(QStringLiteral("layers.2.mlp.up"),
                                                                M::BitsColumn));
        QVERIFY(spin);
        QCOMPARE(spin->value(), 4);
        QCOMPARE(spin->minimum(), 2);
        QCOMPARE(spin->maximum(), 8);
        spin->setValue(3);
        QTest::keyClick(spin, Qt::Key_Return); // the delegate commits (queued) and closes
        QTRY_COMPARE(m.undoStack()->count(), 2);
        QCOMPARE(m.undoStack()->text(1), QStringLiteral("Set bits = 3 on 15 tensors"));
        for (const QString &t : mlp)
            QCOMPARE(bitsOf(m, qPrintable(t)), int64_t(3));
        QCOMPARE(bitsOf(m, "layers.2.attn.k"), int64_t(4)); // not selected
        QCOMPARE(m.recipe().overrides.size(), size_t(16));
        states.push_back(stateOf(m));

        // 3. A selected group row stands for its tensors: prune = magnitude on layers.1's
        //    matrices (its two norms cannot be pruned), through the method combo box.
        QItemSelection group;
        group.select(m.index(2, 0), m.index(2, 0)); // "layers.1"
        tree->selectionModel()->select(group, QItemSelectionModel::ClearAndSelect
                                                  | QItemSelectionModel::Rows);
        tree->selectionModel()->select(m.indexOfTensor(QStringLiteral("layers.1.attn.q")),
                                       QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(view.selectedTensors().size(), 9);
        auto *box = openEditor<QComboBox>(
            view, m.indexOfTensor(QStringLiteral("layers.1.attn.q"), M::PruneColumn));
        QVERIFY(box);
        QCOMPARE(box->itemData(0).toString(), QStringLiteral("none"));
        QCOMPARE(box->currentData().toString(), QStringLiteral("none"));
        QVERIFY(box->findData(QStringLiteral("rtn")) < 0); // prune methods only
        box->setCurrentIndex(box->findData(QStringLiteral("magnitude")));
        Q_EMIT box->activated(box->currentIndex());
        QCOMPARE(m.undoStack()->count(), 3);
        QCOMPARE(m.undoStack()->text(2), QStringLiteral("Set prune = magnitude on 7 tensors"));
        QVERIFY(planOf(m, "layers.1.mlp.down").slot(MethodSlot::Prune).used());
        QVERIFY(!planOf(m, "layers.1.attn_norm").slot(MethodSlot::Prune).used());
        QVERIFY(!planOf(m, "layers.2.attn.q").slot(MethodSlot::Prune).used());
        QCOMPARE(cell(m, "layers.1.attn.q", M::SparsityColumn), QLocale().toString(0.5, 'f', 2));
        QCOMPARE(cell(m, "layers.1.attn.q", M::NmColumn), QStringLiteral("none"));
        states.push_back(stateOf(m));

        // 4. Fill down: layers.0.attn.q's bits (3) into the selected rows below it; the norm
        //    has no bits and is skipped, the current row itself is not "below".
        selectTensors(tree, m,
                      {QStringLiteral("layers.0.attn.q"), QStringLiteral("layers.0.attn.k"),
                       QStringLiteral("layers.0.attn.v"), QStringLiteral("layers.0.attn_norm"),
                       QStringLiteral("layers.3.attn.o")});
        tree->selectionModel()->setCurrentIndex(
            m.indexOfTensor(QStringLiteral("layers.0.attn.q"), M::BitsColumn),
            QItemSelectionModel::NoUpdate);
        QVERIFY(view.fillDownAction()->isEnabled());
        view.fillDownAction()->trigger();
        QCOMPARE(m.undoStack()->count(), 4);
        QCOMPARE(m.undoStack()->text(3), QStringLiteral("Fill down bits = 3 on 3 tensors"));
        for (const char *t : {"layers.0.attn.k", "layers.0.attn.v", "layers.3.attn.o"})
            QCOMPARE(bitsOf(m, t), int64_t(3));
        QCOMPARE(bitsOf(m, "layers.0.attn.o"), int64_t(4)); // not selected
        states.push_back(stateOf(m));

        // 5. Group 64 is an allowed value, but layers.0.mlp.down's rows are 172 long: the edit
        //    goes in and the row shows the plan error, in red, with the reason as its tooltip.
        const QModelIndex downGroup = m.indexOfTensor(QStringLiteral("layers.0.mlp.down"),
                                                      M::GroupColumn);
        tree->selectionModel()->clearSelection();
        auto *groupBox = openEditor<QComboBox>(view, downGroup);
        QVERIFY(groupBox);
        QCOMPARE(groupBox->currentData().toLongLong(), -1LL);
        QCOMPARE(groupBox->itemText(0), QStringLiteral("row (-1)"));
        groupBox->setCurrentIndex(groupBox->findData(64LL));
        QTest::keyClick(groupBox, Qt::Key_Return);
        QTRY_COMPARE(m.undoStack()->count(), 5);
        QCOMPARE(m.undoStack()->text(4), QStringLiteral("Set group = 64 on layers.0.mlp.down"));
        QCOMPARE(m.plan().errors.size(), size_t(1));
        const QModelIndex downRow = m.indexOfTensor(QStringLiteral("layers.0.mlp.down"));
        QCOMPARE(downRow.data(M::ProblemRole).toInt(), 2);
        QCOMPARE(downRow.data(Qt::BackgroundRole).value<QColor>(),
                 m.indexOfTensor(QStringLiteral("layers.0.mlp.down"), M::BitsColumn)
                     .data(Qt::BackgroundRole)
                     .value<QColor>());
        QVERIFY(downRow.data(Qt::BackgroundRole).isValid());
        const QString tip = downRow.data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("does not divide the row length 172")),
                 qPrintable(tip));
        QCOMPARE(m.index(1, 0).data(M::ProblemRole).toInt(), 2); // its group "layers.0"
        QCOMPARE(m.indexOfTensor(QStringLiteral("layers.0.mlp.up")).data(M::ProblemRole).toInt(),
                 0);
        QCOMPARE(m.rowErrors(tensorIndex(m, "layers.0.mlp.down")).size(), 1);
        QVERIFY(view.problemsText().startsWith(QStringLiteral("Errors: 1")));
        states.push_back(stateOf(m));

        // Undo count = number of edits; undo walks back through every state exactly, then redo.
        QCOMPARE(m.undoStack()->count(), 5);
        for (int i = 5; i > 0; --i) {
            QVERIFY(view.undoAction()->isEnabled());
            view.undoAction()->trigger();
            QVERIFY2(sameState(stateOf(m), states[static_cast<size_t>(i - 1)]),
                     qPrintable(QStringLiteral("after undo to state %1").arg(i - 1)));
        }
        QVERIFY(!view.undoAction()->isEnabled());
        QVERIFY(cwb::sameRecipe(m.recipe(), baseRecipe()));
        QVERIFY(m.plan().valid());
        QCOMPARE(downRow.data(M::ProblemRole).toInt(), 0);
        for (size_t i = 1; i < states.size(); ++i) {
            view.redoAction()->trigger();
            QVERIFY2(sameState(stateOf(m), states[i]),
                     qPrintable(QStringLiteral("after redo to state %1").arg(i)));
        }
        QVERIFY(!view.redoAction()->isEnabled());
        QCOMPARE(downRow.data(M::ProblemRole).toInt(), 2);

        // The totals line follows the plan.
        const cwb::PlanTotals &t = m.totals();
        const QString totals = QStringLiteral("%1 of 48 tensors compressed (%2 edited)")
                                   .arg(t.changed)
                                   .arg(m.overriddenTensors());
        QVERIFY2(view.totalsText().startsWith(totals), qPrintable(view.totalsText()));
        QVERIFY(view.totalsText().contains(QLocale().toString(t.compressionRatio, 'f', 2)));
        QCOMPARE(m.overriddenTensors(), 1 + 15 + 4 + 3); // layers.1's MLP rows had one already
    }

    void doubleClickKeepsTheSelection()
    {
        LayerPlanView view;
        view.resize(1280, 800);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        LayerPlanModel &m = *view.planModel();
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        QTreeView *tree = view.treeView();
        const QStringList rows = {QStringLiteral("layers.0.attn.q"),
                                  QStringLiteral("layers.0.attn.k"),
                                  QStringLiteral("layers.0.attn.v")};
        selectTensors(tree, m, rows);
        const QModelIndex target = m.indexOfTensor(QStringLiteral("layers.0.attn.k"),
                                                   LayerPlanModel::BitsColumn);
        const QPoint at = tree->visualRect(target).center();
        // A real double-click, as QWidget receives it: press, release, double-click, release.
        // The first release shrinks the selection to the clicked row...
        QTest::mousePress(tree->viewport(), Qt::LeftButton, {}, at);
        QTest::mouseRelease(tree->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(view.selectedTensors().size(), 1);
        QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, at);
        QTest::mouseRelease(tree->viewport(), Qt::LeftButton, {}, at);
        auto *spin = qobject_cast<QSpinBox *>(tree->indexWidget(target));
        QVERIFY(spin); // ...but a double-click edits the whole selection
        QCOMPARE(view.editTargets(target).size(), 3);
        spin->setValue(6);
        QTest::keyClick(spin, Qt::Key_Return);
        QTRY_COMPARE(m.undoStack()->count(), 1);
        QCOMPARE(m.undoStack()->text(0), QStringLiteral("Set bits = 6 on 3 tensors"));
        for (const QString &r : rows)
            QCOMPARE(bitsOf(m, qPrintable(r)), int64_t(6));
    }

    void calibrationAndLastError()
    {
        LayerPlanModel m;
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        using M = LayerPlanModel;
        QVERIFY(m.setField({tensorIndex(m, "layers.0.attn.q"), tensorIndex(m, "layers.0.attn.k")},
                           M::QuantizeColumn, QStringLiteral("gptq")));
        QCOMPARE(m.undoStack()->text(0), QStringLiteral("Set quantize = gptq on 2 tensors"));
        // A new method keeps the tensor's grid (bits, group and sym carry over from rtn), so
        // only gptq's need of calibration text is new.
        QCOMPARE(m.plan().errors.size(), size_t(2));
        QStringList errors = m.rowErrors(tensorIndex(m, "layers.0.attn.k"));
        QCOMPARE(errors.size(), 1);
        QVERIFY(errors[0].contains(QStringLiteral("needs calibration text")));
        // A group that does not fit the rows shows on them.
        QVERIFY(m.setField({tensorIndex(m, "layers.0.attn.q"), tensorIndex(m, "layers.0.attn.k")},
                           M::GroupColumn, 128));
        QCOMPARE(m.plan().errors.size(), size_t(4));
        errors = m.rowErrors(tensorIndex(m, "layers.0.attn.k"));
        QCOMPARE(errors.size(), 2);
        QVERIFY(errors[1].contains(QStringLiteral("group 128 does not divide the row length 64")));
        QVERIFY(m.setField({tensorIndex(m, "layers.0.attn.q"), tensorIndex(m, "layers.0.attn.k")},
                           M::GroupColumn, 32));
        QCOMPARE(m.plan().errors.size(), size_t(2));
        m.setCalibrationAvailable(true);
        QVERIFY(m.plan().valid());
        QCOMPARE(m.undoStack()->count(), 3); // the flag is not an edit of the recipe
        QCOMPARE(planOf(m, "layers.0.attn.q").slot(MethodSlot::Quantize).describe(),
                 std::string("gptq(bits=4, group=32, sym=true, damp=0.01, act_order=true, "
                             "block_size=128)"));

        QSignalSpy cells(&m, &QAbstractItemModel::dataChanged);
        m.setTensorErrors({{QStringLiteral("layers.0.attn.q"), 0.0123},
                           {QStringLiteral("blk.1.ffn_up.weight"), 0.5}}); // by original name
        QVERIFY(cells.count() > 0);
        QCOMPARE(cell(m, "layers.0.attn.q", M::ErrorColumn), QLocale().toString(0.0123, 'g', 3));
        QCOMPARE(cell(m, "layers.1.mlp.up", M::ErrorColumn), QLocale().toString(0.5, 'g', 3));
        QVERIFY(cell(m, "layers.0.attn.k", M::ErrorColumn).isEmpty());
        QCOMPARE(m.index(1, M::ErrorColumn).data().toString(), QLocale().toString(0.0123, 'g', 3));
        m.clearTensorErrors();
        QVERIFY(cell(m, "layers.0.attn.q", M::ErrorColumn).isEmpty());
    }

    // One structure edit sets the whole structure; the shapes after follow it.
    void structureEditsTakeTheWholeStructure()
    {
        LayerPlanView view;
        LayerPlanModel &m = *view.planModel();
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        m.setCalibrationAvailable(true);
        using M = LayerPlanModel;
        QVERIFY(m.setField({tensorIndex(m, "layers.1.mlp.gate")}, M::StructureColumn,
                           QStringLiteral("prune_channels")));
        for (const char *t : {"layers.1.mlp.gate", "layers.1.mlp.up", "layers.1.mlp.down"})
            QCOMPARE(cell(m, t, M::StructureColumn), QStringLiteral("prune_channels"));
        QCOMPARE(cell(m, "layers.1.attn.q", M::StructureColumn), QStringLiteral("none"));
        QCOMPARE(cell(m, "layers.2.mlp.up", M::StructureColumn), QStringLiteral("none"));
        QVERIFY2(m.plan().valid(), m.plan().errors.empty() ? "" : m.plan().errors[0].text().c_str());
        // keep 0.75 of 172 = 129 channels.
        QCOMPARE(cell(m, "layers.1.mlp.gate", M::ShapeColumn),
                 QStringLiteral("172\u00d764 \u2192 129\u00d764"));
        QVERIFY(m.setField({tensorIndex(m, "layers.1.mlp.down")}, M::KeepColumn, 0.5));
        for (const char *t : {"layers.1.mlp.gate", "layers.1.mlp.up", "layers.1.mlp.down"})
            QCOMPARE(cell(m, t, M::KeepColumn), QLocale().toString(0.5, 'f', 2));
        QCOMPARE(cell(m, "layers.1.mlp.down", M::ShapeColumn),
                 QStringLiteral("64\u00d7172 \u2192 64\u00d786"));
        QVERIFY(m.totals().parametersAfter < m.totals().parameters);
        // Dropping the block marks every tensor of it; "none" on one row takes it all back.
        QVERIFY(m.setField({tensorIndex(m, "layers.3.attn.o")}, M::StructureColumn,
                           QStringLiteral("drop_block")));
        QCOMPARE(cell(m, "layers.3.mlp.down", M::StructureColumn), QStringLiteral("drop_block"));
        QVERIFY(cell(m, "layers.3.attn_norm", M::ShapeColumn).endsWith(QStringLiteral("dropped")));
        QVERIFY(m.plan().valid());
        QVERIFY(m.setField({tensorIndex(m, "layers.3.mlp.up")}, M::StructureColumn,
                           QStringLiteral("none")));
        QCOMPARE(cell(m, "layers.3.attn.q", M::StructureColumn), QStringLiteral("none"));
        QVERIFY(m.undoStack()->canUndo());
        m.undoStack()->undo();
        QCOMPARE(cell(m, "layers.3.attn.q", M::StructureColumn), QStringLiteral("drop_block"));
    }

    void exportImportRoundTrip()
    {
        QTemporaryDir dir;
        LayerPlanView view;
        LayerPlanModel &m = *view.planModel();
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        using M = LayerPlanModel;
        QVERIFY(m.setField({tensorIndex(m, "layers.4.mlp.down")}, M::PruneColumn,
                           QStringLiteral("magnitude")));
        QVERIFY(m.setField({tensorIndex(m, "layers.4.mlp.down")}, M::NmColumn,
                           QStringLiteral("2:4")));
        QVERIFY(m.setField({tensorIndex(m, "layers.4.mlp.down")}, M::LowRankColumn,
                           QStringLiteral("svd")));
        QVERIFY(m.setField({tensorIndex(m, "layers.4.mlp.down")}, M::RankColumn, 16));
        QVERIFY(m.setField({tensorIndex(m, "embed")}, M::QuantizeColumn, QStringLiteral("q8_0")));
        QCOMPARE(cell(m, "layers.4.mlp.down", M::RankColumn), QStringLiteral("16"));
        QVERIFY(cell(m, "layers.4.mlp.down", M::FormatColumn)
                    .startsWith(QStringLiteral("rank 16: int4 per-row")));
        QVERIFY(m.plan().valid());

        const QString path = dir.filePath(QStringLiteral("plan.json"));
        QString error;
        QVERIFY2(view.exportRecipeFile(path, &error), qPrintable(error));
        const cwb::ParsedRecipe back = cwb::readRecipeFile(path.toStdString());
        QVERIFY(back.problems.empty());
        QVERIFY(cwb::sameRecipe(back.recipe, m.recipe()));
        const cwb::Plan again = cwb::resolvePlan(back.recipe, *stories_);
        QCOMPARE(again.totals.estimatedBytes, m.totals().estimatedBytes);
        QCOMPARE(again.tensors[static_cast<size_t>(tensorIndex(m, "layers.4.mlp.down"))].summary(),
                 planOf(m, "layers.4.mlp.down").summary());

        // Importing is one undoable command.
        const cwb::Recipe edited = m.recipe();
        m.setRecipe(baseRecipe());
        QCOMPARE(m.undoStack()->count(), 0); // setRecipe starts a new document
        QVERIFY2(view.importRecipeFile(path, &error), qPrintable(error));
        QVERIFY(cwb::sameRecipe(m.recipe(), edited));
        QCOMPARE(m.undoStack()->count(), 1);
        QCOMPARE(m.undoStack()->text(0), QStringLiteral("Import recipe plan.json"));
        m.undoStack()->undo();
        QVERIFY(cwb::sameRecipe(m.recipe(), baseRecipe()));

        // Errors name the file; a failed import changes nothing.
        const QString bad = dir.filePath(QStringLiteral("bad.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"version": 1, "rules": [{"match": "layers.*",
                    "methods": [{"method": "rtn", "params": {"bits": 12}}]}]})");
        f.close();
        QVERIFY(!view.importRecipeFile(bad, &error));
        QVERIFY2(error.startsWith(bad) && error.contains(QStringLiteral("12 is out of range 2..8")),
                 qPrintable(error));
        QVERIFY(!view.importRecipeFile(dir.filePath(QStringLiteral("missing.json")), &error));
        QVERIFY2(error.contains(QStringLiteral("missing.json")), qPrintable(error));
        QCOMPARE(m.undoStack()->count(), 1);
        QVERIFY(cwb::sameRecipe(m.recipe(), baseRecipe()));
        const QString unwritable = dir.filePath(QStringLiteral("no/such/dir/plan.json"));
        QVERIFY(!view.exportRecipeFile(unwritable, &error));
        QVERIFY2(error.contains(unwritable), qPrintable(error));
    }

    // Clear Overrides gives selected tensors back to the recipe, as one command.
    void clearOverrides()
    {
        LayerPlanView view;
        LayerPlanModel &m = *view.planModel();
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        QVERIFY(m.setField({tensorIndex(m, "layers.0.attn.q"), tensorIndex(m, "layers.0.attn.k"),
                            tensorIndex(m, "layers.1.attn.q")},
                           LayerPlanModel::BitsColumn, 5));
        selectTensors(view.treeView(), m,
                      {QStringLiteral("layers.0.attn.q"), QStringLiteral("layers.0.attn.k"),
                       QStringLiteral("layers.0.attn.v")});
        QVERIFY(view.clearOverridesAction()->isEnabled());
        view.clearOverridesAction()->trigger();
        QCOMPARE(m.undoStack()->count(), 2);
        QCOMPARE(m.undoStack()->text(1), QStringLiteral("Clear overrides on 2 tensors"));
        QCOMPARE(bitsOf(m, "layers.0.attn.q"), int64_t(4));
        QCOMPARE(bitsOf(m, "layers.1.attn.q"), int64_t(5));
        QCOMPARE(m.recipe().overrides.size(), size_t(1));
        m.undoStack()->undo();
        QCOMPARE(m.recipe().overrides.size(), size_t(3));
    }

    void screenshot()
    {
        LayerPlanView view;
        view.resize(1280, 800);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        LayerPlanModel &m = *view.planModel();
        m.setModel(stories_);
        m.setRecipe(baseRecipe());
        using M = LayerPlanModel;
        QVERIFY(m.setField({tensorIndex(m, "layers.1.mlp.gate"), tensorIndex(m, "layers.1.mlp.up")},
                           M::BitsColumn, 3));
        QVERIFY(m.setField({tensorIndex(m, "layers.1.mlp.down")}, M::PruneColumn,
                           QStringLiteral("magnitude")));
        QVERIFY(m.setField({tensorIndex(m, "layers.1.mlp.down")}, M::NmColumn,
                           QStringLiteral("2:4")));
        QVERIFY(m.setField({tensorIndex(m, "embed")}, M::QuantizeColumn, QStringLiteral("q8_0")));
        QVERIFY(m.setField({tensorIndex(m, "layers.0.attn.v")}, M::QuantizeColumn,
                           QStringLiteral("nf4")));
        QVERIFY(m.setField({tensorIndex(m, "layers.0.mlp.down")}, M::GroupColumn, 64));
        m.setTensorErrors({{QStringLiteral("layers.0.attn.q"), 0.0412},
                           {QStringLiteral("layers.0.attn.k"), 0.0387}});
        selectTensors(view.treeView(), m,
                      {QStringLiteral("layers.1.mlp.gate"), QStringLiteral("layers.1.mlp.up")});
        // Every header label fits its column.
        QHeaderView *header = view.treeView()->header();
        for (int c = 0; c < M::ColumnCount; ++c) {
            const QString label = m.headerData(c, Qt::Horizontal).toString();
            QVERIFY2(header->sectionSize(c) >= header->fontMetrics().horizontalAdvance(label),
                     qPrintable(label));
        }
        QVERIFY2(header->length() <= view.treeView()->viewport()->width(),
                 qPrintable(QStringLiteral("columns %1 px, viewport %2 px")
                                .arg(header->length())
                                .arg(view.treeView()->viewport()->width())));
        QCoreApplication::processEvents(); // the view's delayed layout (scroll bars)
        QVERIFY(!view.treeView()->horizontalScrollBar()->isVisible());
        QVERIFY(view.problemsText().startsWith(QStringLiteral("Errors: 1")));
        const QImage image = view.grab().toImage();
        QCOMPARE(image.size(), QSize(1280, 800));
        QTemporaryDir dir;
        QVERIFY(image.save(dir.filePath(QStringLiteral("layer-plan.png"))));
        // scripts and people who want the picture: CWB_SCREENSHOT_DIR=/path/to/screenshots
        const QString out = qEnvironmentVariable("CWB_SCREENSHOT_DIR");
        if (!out.isEmpty())
            QVERIFY(image.save(QDir(out).filePath(QStringLiteral("layer-plan.png"))));
    }
};

QTEST_MAIN(TestGuiLayerPlan)
#include "test_gui_layer_plan.moc"
