// SPDX-License-Identifier: MIT
#include "jobs/job_context.h"

#include "util/error.h"

namespace cwb {

void JobContext::checkCancelled() const
{
    if (cancelled())
        throw Cancelled();
}

JobContext JobContext::stage(double from, double to, std::string label) const
{
    JobContext c = cancelOnly();
    if (progress)
        c.progress = [parent = progress, from, to, label = std::move(label)](
                         double f, const std::string &what) {
            const double clamped = f < 0 ? 0 : (f > 1 ? 1 : f);
            parent(from + (to - from) * clamped, label.empty() ? what : label + ": " + what);
        };
    return c;
}

} // namespace cwb
