// SPDX-License-Identifier: MIT
#include "util/forked_call.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cwb {
namespace {

// The child's first byte says how fn ended; the rest is its text.
constexpr char kReturned = 'R';
constexpr char kThrew = 'T';

void writeAll(int fd, const char *p, size_t n)
{
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; // the parent went away: nothing left to tell
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

[[noreturn]] void runChild(int fd, const std::function<std::string()> &fn)
{
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP})
        std::signal(sig, SIG_DFL);
    const rlimit noCore {0, 0}; // a crash here is expected now and then: no core file
    ::setrlimit(RLIMIT_CORE, &noCore);
    std::string out;
    try {
        out = kReturned + fn();
    } catch (const std::exception &e) {
        out = kThrew + std::string(e.what());
    } catch (...) {
        out = kThrew + std::string("unknown exception");
    }
    writeAll(fd, out.data(), out.size());
    ::_exit(0);
}

int waitChild(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

} // namespace

ForkedResult runForked(const std::function<std::string()> &fn, int timeoutMs)
{
    ForkedResult result;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        result.output = std::string("pipe: ") + std::strerror(errno);
        return result;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        result.output = std::string("fork: ") + std::strerror(errno);
        ::close(fds[0]);
        ::close(fds[1]);
        return result;
    }
    if (pid == 0) {
        ::close(fds[0]);
        runChild(fds[1], fn);
    }
    ::close(fds[1]);

    std::string data;
    bool timedOut = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) {
            timedOut = true;
            break;
        }
        pollfd p {fds[0], POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            timedOut = ready == 0;
            break;
        }
        char buffer[4096];
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // end of file: the child finished or died
        data.append(buffer, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    if (timedOut)
        ::kill(pid, SIGKILL);
    const int status = waitChild(pid);

    if (timedOut) {
        result.status = ForkedResult::Status::TimedOut;
    } else if (WIFSIGNALED(status)) {
        result.status = ForkedResult::Status::Crashed;
        result.signal = WTERMSIG(status);
    } else if (data.empty() || WEXITSTATUS(status) != 0) {
        // It exited without a word (a sanitizer's report ends this way): as good as a crash.
        result.status = ForkedResult::Status::Crashed;
        result.output = "exit status " + std::to_string(WEXITSTATUS(status));
    } else {
        result.status = data[0] == kReturned ? ForkedResult::Status::Completed
                                             : ForkedResult::Status::Failed;
        result.output = data.substr(1);
    }
    return result;
}

} // namespace cwb
