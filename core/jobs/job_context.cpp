// SPDX-License-Identifier: MIT
#include "jobs/job_context.h"

#include "util/error.h"

namespace cwb {

void JobContext::checkCancelled() const
{
    if (cancelled())
        throw Cancelled();
}

} // namespace cwb
