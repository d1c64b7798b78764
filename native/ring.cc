// See ring.h for the architecture, memory-safety and fault-model notes.
#include "ring.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace faultline {
namespace {

// Bounded retries: a kernel that keeps answering EINTR/EAGAIN is reported, not spun on forever.
constexpr int kEnterRetriesMax = 64;

int SysSetup(uint32_t entries, io_uring_params* params) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, params));
}

int SysEnter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, void* arg = nullptr, size_t arg_bytes = 0) {
  return static_cast<int>(syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, arg_bytes));
}

int SysRegister(int fd, unsigned opcode, void* arg, unsigned count) {
  return static_cast<int>(syscall(__NR_io_uring_register, fd, opcode, arg, count));
}

}  // namespace

SubmissionRing::~SubmissionRing() { Destroy(); }

int SubmissionRing::Setup(uint32_t entries, bool sqpoll, bool defer_taskrun, const char** stage) {
  *stage = "io_uring_setup";
  // Newest flags first; an older kernel rejects unknown flags with EINVAL, so retry without.
  // DEFER_TASKRUN (6.1+, with SINGLE_ISSUER) is what fio's io_uring engine sets up too: device
  // completions wait for the owner thread's next GETEVENTS instead of interrupting it one by one.
  const uint32_t base = IORING_SETUP_CLAMP | (sqpoll ? IORING_SETUP_SQPOLL : 0U);
  // TASKRUN_FLAG (5.19+, so any kernel with DEFER_TASKRUN): the kernel sets IORING_SQ_TASKRUN in
  // the shared SQ flags while completions wait for this thread, so looking for them costs a load
  // instead of an io_uring_enter (DeferredMayWait). Asked for only where that load can be trusted.
#if defined(__x86_64__) || defined(__i386__)
  const uint32_t taskrun_flag = IORING_SETUP_TASKRUN_FLAG;
#else
  const uint32_t taskrun_flag = 0;
#endif
  const uint32_t deferred = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  const uint32_t attempts[] = {base | deferred | taskrun_flag, base | deferred, base | IORING_SETUP_SUBMIT_ALL, base};
  io_uring_params params;
  int fd = -1;
  int err = 0;
  for (uint32_t flags : attempts) {
    if ((flags & IORING_SETUP_DEFER_TASKRUN) != 0 && (sqpoll || !defer_taskrun)) continue;
    memset(&params, 0, sizeof(params));
    params.flags = flags;
    if (sqpoll) params.sq_thread_idle = 50;
    fd = SysSetup(entries, &params);
    if (fd >= 0) {
      defer_taskrun_ = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
      taskrun_flag_ = (flags & IORING_SETUP_TASKRUN_FLAG) != 0;
      break;
    }
    err = errno;
    if (err != EINVAL) return err;
  }
  if (fd < 0) return err;
  fd_ = fd;
  sqpoll_ = sqpoll;
  features_ = params.features;
  sq_entries_ = params.sq_entries;
  cq_entries_ = params.cq_entries;
  single_mmap_ = (params.features & IORING_FEAT_SINGLE_MMAP) != 0;

  *stage = "mmap";
  sq_map_bytes_ = params.sq_off.array + params.sq_entries * sizeof(uint32_t);
  cq_map_bytes_ = params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe);
  if (single_mmap_) sq_map_bytes_ = cq_map_bytes_ = std::max(sq_map_bytes_, cq_map_bytes_);
  sq_map_ = mmap(nullptr, sq_map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (sq_map_ == MAP_FAILED) {
    sq_map_ = nullptr;
    err = errno;
    Destroy();
    return err;
  }
  if (single_mmap_) {
    cq_map_ = sq_map_;
  } else {
    cq_map_ = mmap(nullptr, cq_map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_CQ_RING);
    if (cq_map_ == MAP_FAILED) {
      cq_map_ = nullptr;
      err = errno;
      Destroy();
      return err;
    }
  }
  sqes_bytes_ = params.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    err = errno;
    Destroy();
    return err;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);

  char* sq = static_cast<char*>(sq_map_);
  char* cq = static_cast<char*>(cq_map_);
  sq_head_ = reinterpret_cast<uint32_t*>(sq + params.sq_off.head);
  sq_tail_ = reinterpret_cast<uint32_t*>(sq + params.sq_off.tail);
  sq_flags_ = reinterpret_cast<uint32_t*>(sq + params.sq_off.flags);
  sq_mask_ = *reinterpret_cast<uint32_t*>(sq + params.sq_off.ring_mask);
  uint32_t* sq_array = reinterpret_cast<uint32_t*>(sq + params.sq_off.array);
  // Identity indirection: SQE i always sits at index i, so the array is written once.
  for (uint32_t i = 0; i < params.sq_entries; ++i) sq_array[i] = i;
  sqe_tail_ = *sq_tail_;
  cq_head_ = reinterpret_cast<uint32_t*>(cq + params.cq_off.head);
  cq_tail_ = reinterpret_cast<uint32_t*>(cq + params.cq_off.tail);
  cq_mask_ = *reinterpret_cast<uint32_t*>(cq + params.cq_off.ring_mask);
  cq_flags_ = params.cq_off.flags != 0 ? reinterpret_cast<uint32_t*>(cq + params.cq_off.flags) : nullptr;
  cqes_ = reinterpret_cast<io_uring_cqe*>(cq + params.cq_off.cqes);

  *stage = "probe";
  // io_uring_probe ends in a flexible array; allocate the header plus 256 op entries.
  const size_t probe_bytes = sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op);
  alignas(io_uring_probe) unsigned char probe_storage[sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op)];
  memset(probe_storage, 0, probe_bytes);
  io_uring_probe* probe = reinterpret_cast<io_uring_probe*>(probe_storage);
  if (SysRegister(fd_, IORING_REGISTER_PROBE, probe, 256) == 0) {
    for (unsigned i = 0; i < probe->ops_len && i < 256; ++i) {
      if (probe->ops[i].flags & IO_URING_OP_SUPPORTED) supported_ops_[probe->ops[i].op] = 1;
    }
  }
  // Without a probe (Linux < 5.6) nothing is marked supported: every operation falls back to
  // its plain system call, which is slow but correct.
  return 0;
}

void SubmissionRing::Destroy() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_bytes_);
  if (cq_map_ != nullptr && cq_map_ != sq_map_) munmap(cq_map_, cq_map_bytes_);
  if (sq_map_ != nullptr) munmap(sq_map_, sq_map_bytes_);
  sqes_ = nullptr;
  cq_map_ = nullptr;
  sq_map_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  cq_flags_ = nullptr;
  defer_taskrun_ = false;
}

bool SubmissionRing::Supports(unsigned opcode) const { return opcode < 256 && supported_ops_[opcode] != 0; }

uint32_t SubmissionRing::Unsubmitted() const {
  return sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
}

io_uring_sqe* SubmissionRing::GetSqe() {
  if (Unsubmitted() >= sq_entries_) {
    Submit();
    if (Unsubmitted() >= sq_entries_) return nullptr;
  }
  io_uring_sqe* sqe = &sqes_[sqe_tail_ & sq_mask_];
  memset(sqe, 0, sizeof(*sqe));
  ++sqe_tail_;
  return sqe;
}

bool SubmissionRing::MakeRoom(uint32_t count) {
  if (Unsubmitted() + count <= sq_entries_) return true;
  Submit();
  return Unsubmitted() + count <= sq_entries_;
}

bool SubmissionRing::GetSqePair(io_uring_sqe** first, io_uring_sqe** second) {
  if (!MakeRoom(2)) return false;
  *first = GetSqe();
  *second = GetSqe();
  return *first != nullptr && *second != nullptr;
}

int SubmissionRing::Enter(uint32_t to_submit, uint32_t min_complete, uint32_t flags) {
  ++enter_calls_;
  if (to_submit > 0) ++submit_enter_calls_;
  const int ret = SysEnter(fd_, to_submit, min_complete, flags);
  return ret < 0 ? -errno : ret;
}

int SubmissionRing::Submit() {
  if (fd_ < 0) return EBADF;
  __atomic_store_n(sq_tail_, sqe_tail_, __ATOMIC_RELEASE);
  if (sqpoll_) {
    // The SQ thread may be asleep; the full barrier orders our tail store before the flag load.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(sq_flags_, __ATOMIC_RELAXED) & IORING_SQ_NEED_WAKEUP) {
      const int ret = Enter(0, 0, IORING_ENTER_SQ_WAKEUP);
      if (ret < 0 && ret != -EINTR) return -ret;
    }
    return 0;
  }
  for (int attempt = 0; attempt < kEnterRetriesMax;) {
    const uint32_t to_submit = Unsubmitted();
    if (to_submit == 0) return 0;
    // GETEVENTS with min_complete 0 waits for nothing; on a DEFER_TASKRUN ring it also posts the
    // completions held for this thread, in the same system call.
    const int ret = Enter(to_submit, 0, defer_taskrun_ ? IORING_ENTER_GETEVENTS : 0U);
    if (ret > 0) {
      submitted_sqes_ += static_cast<uint64_t>(ret);
      continue;
    }
    ++attempt;
    if (ret == 0 || ret == -EINTR) continue;
    if (ret == -EAGAIN || ret == -EBUSY) {
      // Backlogged completions block new submissions: let the kernel flush its overflow list.
      FlushOverflow();
      continue;
    }
    return -ret;
  }
  return EAGAIN;
}

int SubmissionRing::SubmitAndWaitFor(int timeout_millis) {
  if (fd_ < 0) return -EBADF;
  __atomic_store_n(sq_tail_, sqe_tail_, __ATOMIC_RELEASE);
  const uint32_t to_submit = sqpoll_ ? 0 : Unsubmitted();
  uint32_t flags = IORING_ENTER_GETEVENTS | (sqpoll_ ? IORING_ENTER_SQ_WAKEUP : 0U);
  __kernel_timespec timeout{};
  io_uring_getevents_arg arg{};
  void* arg_ptr = nullptr;
  size_t arg_bytes = 0;
  if (timeout_millis >= 0) {
    timeout.tv_sec = timeout_millis / 1000;
    timeout.tv_nsec = static_cast<long long>(timeout_millis % 1000) * 1000000;
    arg.ts = reinterpret_cast<uint64_t>(&timeout);
    flags |= IORING_ENTER_EXT_ARG;
    arg_ptr = &arg;
    arg_bytes = sizeof(arg);
  }
  ++enter_calls_;
  if (to_submit > 0) ++submit_enter_calls_;
  const int ret = SysEnter(fd_, to_submit, 1, flags, arg_ptr, arg_bytes);
  if (ret < 0) return -errno;
  submitted_sqes_ += static_cast<uint64_t>(ret);
  return ret;
}

int SubmissionRing::RunDeferred() {
  if (fd_ < 0) return EBADF;
  if (!defer_taskrun_) return 0;
  for (int attempt = 0; attempt < kEnterRetriesMax; ++attempt) {
    const int ret = Enter(0, 0, IORING_ENTER_GETEVENTS);
    if (ret >= 0) return 0;
    if (ret == -EINTR || ret == -EAGAIN || ret == -EBUSY) continue;
    return -ret;
  }
  return EAGAIN;
}

bool SubmissionRing::DeferredMayWait() const {
  if (!defer_taskrun_) return false;
  if (!taskrun_flag_) return true;
  // The kernel sets the flag when its list of held-back completions goes from empty to not empty,
  // and again when a run leaves some behind; a run clears it first. It sets the flag (on x86 a
  // locked, fully ordered instruction) before it reads IORING_CQ_EVENTFD_DISABLED to decide on a
  // signal, and SetEventfdEnabled fences our store before this load: either we see the flag or
  // the kernel sees the eventfd enabled and signals. Where the kernel's atomic_or is unordered
  // (arm64) that pairing is not guaranteed, and a missed completion would wait for some unrelated
  // wake-up, so Setup asks for the flag only on x86.
  return (__atomic_load_n(sq_flags_, __ATOMIC_RELAXED) & IORING_SQ_TASKRUN) != 0;
}

int SubmissionRing::RegisterEventfd(int eventfd) {
  if (fd_ < 0) return EBADF;
  int value = eventfd;
  return SysRegister(fd_, IORING_REGISTER_EVENTFD, &value, 1) == 0 ? 0 : errno;
}

void SubmissionRing::SetEventfdEnabled(bool enabled) {
  if (cq_flags_ == nullptr) return;
  const uint32_t flags = __atomic_load_n(cq_flags_, __ATOMIC_RELAXED);
  __atomic_store_n(cq_flags_, enabled ? flags & ~IORING_CQ_EVENTFD_DISABLED : flags | IORING_CQ_EVENTFD_DISABLED, __ATOMIC_RELEASE);
  // Enabling is followed by a look for work that arrived while silenced (the caller's RunDeferred
  // and CqEmpty): that read must not move before this store.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool SubmissionRing::EventfdEnabled() const {
  return cq_flags_ == nullptr || (__atomic_load_n(cq_flags_, __ATOMIC_RELAXED) & IORING_CQ_EVENTFD_DISABLED) == 0;
}

void SubmissionRing::SubmitAndWaitAll(uint32_t count) {
  __atomic_store_n(sq_tail_, sqe_tail_, __ATOMIC_RELEASE);
  int failures_in_row = 0;
  for (;;) {
    const uint32_t to_submit = Unsubmitted();
    if (to_submit == 0 && CqReady() >= count) return;
    ++at_call_enters_;
    if (SysEnter(fd_, to_submit, count, IORING_ENTER_GETEVENTS) >= 0) {
      failures_in_row = 0;
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EBUSY) FlushOverflow();
    if (++failures_in_row >= kEnterRetriesMax) {
      // Whatever is still in the SQ must not become a read of the caller's memory later.
      const uint32_t head = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
      for (uint32_t i = head; i != sqe_tail_; ++i) {
        io_uring_sqe* sqe = &sqes_[i & sq_mask_];
        const uint64_t user_data = sqe->user_data;
        memset(sqe, 0, sizeof(*sqe));
        sqe->opcode = IORING_OP_NOP;
        sqe->user_data = user_data;
      }
      failures_in_row = 0;
      sched_yield();
    }
  }
}

int SubmissionRing::FlushOverflow() {
  if (fd_ < 0) return EBADF;
  const int ret = Enter(0, 0, IORING_ENTER_GETEVENTS);
  return ret < 0 ? -ret : 0;
}

bool SubmissionRing::OverflowFlagged() const {
  return (__atomic_load_n(sq_flags_, __ATOMIC_RELAXED) & IORING_SQ_CQ_OVERFLOW) != 0;
}

bool SubmissionRing::CqEmpty() const {
  return *cq_head_ == __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
}

uint32_t SubmissionRing::CqReady() const {
  return __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE) - *cq_head_;
}

int ProbeIoUring() {
  io_uring_params params;
  memset(&params, 0, sizeof(params));
  const int fd = SysSetup(2, &params);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

}  // namespace faultline
