// SPDX-License-Identifier: MIT
#include "util/write_steps.h"

#include "util/error.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace cwb {

struct WriteFaultInjection::State {
    int64_t failAt = 0;
    std::mutex mutex;
    std::vector<Step> steps;
    bool fired = false;
};

namespace {

std::atomic<int64_t> gProcessSteps{0};
std::mutex gArmedMutex;
std::shared_ptr<WriteFaultInjection::State> gArmed; // guarded by gArmedMutex
std::atomic<bool> gAnyArmed{false};

int64_t pauseAt()
{
    static const int64_t at = [] {
        const char *v = std::getenv("CWB_WRITE_PAUSE_AT");
        return v ? std::atoll(v) : int64_t{0};
    }();
    return at;
}

bool tracing()
{
    static const bool on = std::getenv("CWB_WRITE_TRACE") != nullptr;
    return on;
}

[[noreturn]] void pauseForever(int64_t step, WriteStepKind kind, std::string_view path)
{
    std::fprintf(stderr, "cwb: paused before step %lld: %.*s %.*s\n",
                 static_cast<long long>(step), static_cast<int>(writeStepName(kind).size()),
                 writeStepName(kind).data(), static_cast<int>(path.size()), path.data());
    std::fflush(stderr);
    for (;;)
        ::pause();
}

} // namespace

std::string_view writeStepName(WriteStepKind kind)
{
    switch (kind) {
    case WriteStepKind::Write: return "write";
    case WriteStepKind::Sync: return "fsync";
    case WriteStepKind::Rename: return "rename";
    }
    return "step";
}

void writeStep(WriteStepKind kind, std::string_view path)
{
    const int64_t n = gProcessSteps.fetch_add(1, std::memory_order_relaxed) + 1;
    if (tracing())
        std::fprintf(stderr, "cwb: write step %lld: %.*s %.*s\n", static_cast<long long>(n),
                     static_cast<int>(writeStepName(kind).size()), writeStepName(kind).data(),
                     static_cast<int>(path.size()), path.data());
    if (pauseAt() > 0 && n == pauseAt())
        pauseForever(n, kind, path);
    if (!gAnyArmed.load(std::memory_order_acquire))
        return;
    std::shared_ptr<WriteFaultInjection::State> armed;
    {
        std::lock_guard lock(gArmedMutex);
        armed = gArmed;
    }
    if (!armed)
        return;
    std::lock_guard lock(armed->mutex);
    armed->steps.push_back({kind, std::string(path)});
    if (armed->failAt > 0 && static_cast<int64_t>(armed->steps.size()) == armed->failAt) {
        armed->fired = true;
        throwIn(path, "injected failure of step " + std::to_string(armed->failAt) + " ("
                          + std::string(writeStepName(kind)) + ")");
    }
}

WriteFaultInjection::WriteFaultInjection(int64_t failAt) : state_(std::make_shared<State>())
{
    state_->failAt = failAt;
    std::lock_guard lock(gArmedMutex);
    gArmed = state_;
    gAnyArmed.store(true, std::memory_order_release);
}

WriteFaultInjection::~WriteFaultInjection()
{
    std::lock_guard lock(gArmedMutex);
    gArmed.reset();
    gAnyArmed.store(false, std::memory_order_release);
}

std::vector<WriteFaultInjection::Step> WriteFaultInjection::steps() const
{
    std::lock_guard lock(state_->mutex);
    return state_->steps;
}

bool WriteFaultInjection::fired() const
{
    std::lock_guard lock(state_->mutex);
    return state_->fired;
}

} // namespace cwb
