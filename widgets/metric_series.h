// SPDX-License-Identifier: MIT
#pragma once
// The metrics an error chart can show, each a named list of entries, kept in step with the
// chart's metric box: the first metric added is the one shown, set() replaces a metric's entries
// or adds it, select() changes the one shown. One place for what the per-layer error chart and
// the comparison's error chart both do.

#include <QComboBox>
#include <QSignalBlocker>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <vector>

namespace cwb::gui {

template <class Entry>
class MetricSeries {
public:
    struct Metric {
        QString name;
        std::vector<Entry> entries;
    };

    // The chart's metric box, once it exists (before the first set()).
    void attach(QComboBox *box) { box_ = box; }

    // Adds the metric (or replaces its entries); true when it is the one shown.
    bool set(const QString &name, std::vector<Entry> entries)
    {
        auto it = std::find_if(metrics_.begin(), metrics_.end(),
                               [&](const Metric &m) { return m.name == name; });
        if (it != metrics_.end()) {
            it->entries = std::move(entries);
        } else {
            metrics_.push_back({name, std::move(entries)});
            const QSignalBlocker block(box_);
            box_->addItem(name);
        }
        if (current_.isEmpty())
            current_ = name;
        syncBox();
        return current_ == name;
    }
    // Shows `name`; false when it is shown already or unknown.
    bool select(const QString &name)
    {
        if (name == current_ || box_->findText(name) < 0)
            return false;
        current_ = name;
        syncBox();
        return true;
    }
    void clear()
    {
        metrics_.clear();
        current_.clear();
        const QSignalBlocker block(box_);
        box_->clear();
    }

    [[nodiscard]] const QString &current() const { return current_; }
    [[nodiscard]] QStringList names() const
    {
        QStringList out;
        for (const Metric &m : metrics_)
            out.append(m.name);
        return out;
    }
    // The shown metric's entries (none before the first set()).
    [[nodiscard]] const std::vector<Entry> &entries() const
    {
        static const std::vector<Entry> none;
        for (const Metric &m : metrics_)
            if (m.name == current_)
                return m.entries;
        return none;
    }
    [[nodiscard]] const std::vector<Metric> &all() const { return metrics_; }

private:
    void syncBox()
    {
        const QSignalBlocker block(box_);
        box_->setCurrentIndex(box_->findText(current_));
    }

    QComboBox *box_ = nullptr;
    std::vector<Metric> metrics_;
    QString current_;
};

} // namespace cwb::gui
