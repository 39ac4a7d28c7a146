// SPDX-License-Identifier: MIT
#include "cli/environment.h"

#include <iomanip>

namespace cwb::cli {

JobContext Environment::job(bool progress) const
{
    JobContext ctx;
    ctx.cancelFlag = cancel;
    if (progress && errIsTerminal)
        ctx.progress = [stream = err, last = -1](double f, const std::string &what) mutable {
            const int pct = static_cast<int>(f * 100.0);
            if (pct != last) {
                last = pct;
                *stream << '\r' << std::setw(3) << pct << "% " << what << "\033[K" << std::flush;
            }
        };
    else if (progress)
        ctx.progress = [stream = err, last = -1](double f, const std::string &what) mutable {
            const int tenth = static_cast<int>(f * 10.0);
            if (tenth != last) {
                last = tenth;
                *stream << std::setw(3) << 10 * tenth << "% " << what << "\n" << std::flush;
            }
        };
    return ctx;
}

} // namespace cwb::cli
