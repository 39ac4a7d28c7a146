// SPDX-License-Identifier: MIT
#pragma once
// The fault-injection seam of every writer. Each step of saving a file that can fail in the
// field - a write of bytes, an fsync, a rename - is announced here first (writeStep), so that
//  - a test can make the k-th step fail and check that the previous file survives
//    (WriteFaultInjection below: the step throws cwb::Error as a full disk would), and
//  - a crash test can stop a real process at the k-th step and kill it: with
//    CWB_WRITE_PAUSE_AT=k in the environment, the k-th step of the process prints
//    "cwb: paused before step k: <kind> <path>" to stderr and sleeps until the process is killed
//    (CWB_WRITE_TRACE=1 prints "cwb: write step k: <kind> <path>" for every step, so a test can
//    find the k it wants, e.g. the final rename).
// Outside tests a step costs one relaxed atomic increment.
//
// Who announces what: util/atomic_file and util/atomic_directory (every fsync and rename), the
// GGUF and safetensors writers (every chunk written), h5/ (every dataset written and the final
// flush, for the project file and the archive), the exporters' small text files (one write each)
// and the logits file (every row block).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

enum class WriteStepKind : uint8_t { Write, Sync, Rename };

[[nodiscard]] std::string_view writeStepName(WriteStepKind kind); // "write", "fsync", "rename"

// Announces a step on `path`; throws cwb::Error naming `path` when a WriteFaultInjection armed a
// failure for it (and pauses when CWB_WRITE_PAUSE_AT names it).
void writeStep(WriteStepKind kind, std::string_view path);

// While one is alive, the failAt-th step announced after its construction (1-based, any thread)
// throws; failAt = 0 only counts. One at a time (tests).
class WriteFaultInjection {
public:
    explicit WriteFaultInjection(int64_t failAt = 0);
    ~WriteFaultInjection();
    WriteFaultInjection(const WriteFaultInjection &) = delete;
    WriteFaultInjection &operator=(const WriteFaultInjection &) = delete;

    struct Step {
        WriteStepKind kind;
        std::string path;
    };
    // Every step announced so far (the failing one included), in order.
    [[nodiscard]] std::vector<Step> steps() const;
    [[nodiscard]] bool fired() const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

} // namespace cwb
