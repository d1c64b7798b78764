// See syscall_cost.h.
//
// syscallNanos() -> nanoseconds one null system call (getppid) takes on this thread: the least
// mean of a few short rounds, measured on the first call in the process and kept (a function-local
// static, initialised once even when worker threads ask together). The least round, not the mean
// of all: a preemption or a cold cache inflates a round, nothing deflates one. Costs about
// kRounds * kCallsPerRound system calls once (under a millisecond even where a call costs 1-2 us,
// as on a guest with page-table isolation).
//
// Why it matters: a read answered at the call is one preadv2 per read, a coalesced burst one
// io_uring_enter for all of its reads plus the ring's bookkeeping per read. Where entering the
// kernel is cheap the first wins at every depth; where it is dear (page-table isolation, some
// hypervisors) the second wins by 2x once a few reads arrive together (BENCHMARKS.md).
//
// Memory safety: takes no arguments and keeps no pointer.
#include "syscall_cost.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace faultline {
namespace {

constexpr int kRounds = 8;
constexpr int kCallsPerRound = 32;

int64_t NowNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

double Measure() {
  double least = -1;
  for (int round = 0; round < kRounds; ++round) {
    const int64_t start = NowNanos();
    // syscall(2), not getppid(3): no C library may answer it without entering the kernel.
    for (int call = 0; call < kCallsPerRound; ++call) syscall(SYS_getppid);
    const double mean = static_cast<double>(NowNanos() - start) / kCallsPerRound;
    least = least < 0 ? mean : std::min(least, mean);
  }
  return least;
}

Napi::Value SyscallNanos(const Napi::CallbackInfo& info) {
  static const double measured = Measure();
  return Napi::Number::New(info.Env(), measured);
}

}  // namespace

void RegisterSyscallCost(Napi::Env env, Napi::Object exports) {
  exports.Set("syscallNanos", Napi::Function::New(env, SyscallNanos, "syscallNanos"));
}

}  // namespace faultline
