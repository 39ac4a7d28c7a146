// SPDX-License-Identifier: MIT
#pragma once
// One-line description of an open model for the status bar:
// "GGUF · llama · 48 tensors · 260,032 parameters · 1.02 MiB · 32.00 bits/weight".

#include <QCoreApplication>
#include <QString>

namespace cwb {
struct Model;
} // namespace cwb

namespace cwb::gui {

class ModelSummary {
    Q_DECLARE_TR_FUNCTIONS(cwb::gui::ModelSummary)

public:
    [[nodiscard]] static QString formatLabel(const cwb::Model &model);
    [[nodiscard]] static QString text(const cwb::Model &model);
};

} // namespace cwb::gui
