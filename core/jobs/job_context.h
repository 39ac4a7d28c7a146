// SPDX-License-Identifier: MIT
#pragma once
// What long work in core receives: a progress sink and a cancellation flag, both optional.
// Core polls `cancelled()` between units of work and throws cwb::Cancelled; it never blocks
// on the caller. The GUI wraps this in a QFuture, the CLI in a SIGINT handler.

#include <atomic>
#include <functional>
#include <string>

namespace cwb {

struct JobContext {
    // fraction in [0,1]; `what` is a short human label ("tensor 3/48: blk.0.attn_q.weight").
    std::function<void(double fraction, const std::string &what)> progress;
    const std::atomic<bool> *cancelFlag = nullptr;

    [[nodiscard]] bool cancelled() const
    {
        return cancelFlag && cancelFlag->load(std::memory_order_relaxed);
    }
    void report(double fraction, const std::string &what = {}) const
    {
        if (progress)
            progress(fraction, what);
    }
    // Throws cwb::Cancelled when the flag is set; call between units of work.
    void checkCancelled() const;
    // A stage of this job: the same cancel flag, progress mapped into [from, to] of this job's
    // and labelled "<label>: <what>" (just <what> when `label` is empty).
    [[nodiscard]] JobContext stage(double from, double to, std::string label = {}) const;
    // The same cancel flag without progress: per-item work whose progress the caller reports.
    [[nodiscard]] JobContext cancelOnly() const
    {
        JobContext c;
        c.cancelFlag = cancelFlag;
        return c;
    }
};

} // namespace cwb
