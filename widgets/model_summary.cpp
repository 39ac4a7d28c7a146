// SPDX-License-Identifier: MIT
#include "model_summary.h"

#include "model/model.h"

#include <QLocale>
#include <QStringList>

namespace cwb::gui {

QString ModelSummary::formatLabel(const cwb::Model &model)
{
    switch (model.format) {
    case cwb::ModelFormat::Gguf: return QStringLiteral("GGUF");
    case cwb::ModelFormat::Safetensors: return QStringLiteral("safetensors");
    case cwb::ModelFormat::HfDirectory: return tr("Hugging Face directory");
    case cwb::ModelFormat::Llama2c: return QStringLiteral("llama2.c");
    case cwb::ModelFormat::KerasH5: return tr("Keras HDF5");
    }
    return tr("unknown format");
}

QString ModelSummary::text(const cwb::Model &model)
{
    const cwb::ModelTotals t = model.totals();
    const QLocale locale;
    QStringList parts;
    parts << formatLabel(model);
    if (!model.architecture.empty())
        parts << QString::fromStdString(model.architecture);
    parts << tr("%1 tensors").arg(locale.toString(static_cast<qlonglong>(t.tensors)));
    if (t.unknownTensors > 0)
        parts << tr("%1 without a canonical name")
                     .arg(locale.toString(static_cast<qlonglong>(t.unknownTensors)));
    parts << tr("%1 parameters").arg(locale.toString(static_cast<qlonglong>(t.parameters)));
    parts << locale.formattedDataSize(static_cast<qint64>(t.bytes), 2, QLocale::DataSizeIecFormat);
    parts << tr("%1 bits/weight").arg(locale.toString(t.bitsPerWeight, 'f', 2));
    return parts.join(QStringLiteral("  \u00b7  "));
}

} // namespace cwb::gui
