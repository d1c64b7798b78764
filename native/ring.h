// SubmissionRing: one io_uring instance driven directly through the system calls.
//
// Architecture: io_uring_setup + mmap of the SQ/CQ rings (one mapping when the kernel offers
// IORING_FEAT_SINGLE_MMAP) + io_uring_enter, without liburing. The owner (one JS thread) fills
// SQEs with GetSqe(), publishes them with Submit() (one io_uring_enter for the whole batch), and
// drains CQEs with Reap(). Nothing here calls into JavaScript or knows about Node.
//
// Memory safety: the ring memory is owned by this object and unmapped only by Destroy(); the
// caller must drain every request first (see Ring::CancelAndDrain in addon.cc), because the kernel
// may still write into user buffers and CQEs until each request has completed.
//
// Ordering: the kernel reads the SQ tail and writes the SQ head; it writes the CQ tail and reads
// the CQ head. Loads of kernel-written indices use acquire and stores of ours use release, which
// is exactly the pairing documented in io_uring(7).
//
// Fault model: io_uring_enter may fail with EINTR (retried), EAGAIN/EBUSY (CQ backlog: flushed
// with GETEVENTS and retried a bounded number of times) or any other errno (returned; the SQEs
// stay published and are picked up by the next Submit). A CQ overflow is visible through
// IORING_SQ_CQ_OVERFLOW and cleared by FlushOverflow().
#pragma once

#include <cstddef>
#include <cstdint>

#include "uring_abi.h"

namespace faultline {

class SubmissionRing {
 public:
  SubmissionRing() = default;
  ~SubmissionRing();
  SubmissionRing(const SubmissionRing&) = delete;
  SubmissionRing& operator=(const SubmissionRing&) = delete;

  // Creates the ring. Returns 0 or the errno of the failing step; `stage` names it. With
  // `defer_taskrun` (ignored with sqpoll) it first asks for IORING_SETUP_DEFER_TASKRUN |
  // SINGLE_ISSUER (Linux 6.1+) and falls back to an ordinary ring when the kernel refuses.
  int Setup(uint32_t entries, bool sqpoll, bool defer_taskrun, const char** stage);
  // Unmaps and closes. Only call once nothing is in flight (or the kernel may write freed memory).
  void Destroy();

  bool IsOpen() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  uint32_t sq_entries() const { return sq_entries_; }
  uint32_t cq_entries() const { return cq_entries_; }
  uint32_t features() const { return features_; }
  bool sqpoll() const { return sqpoll_; }
  // DEFER_TASKRUN: completions that arrive outside a submission (device interrupts, io-wq
  // workers) are posted only when this thread enters the kernel with GETEVENTS (Submit does, and
  // RunDeferred), and the kernel announces them on a registered eventfd, never on the ring fd.
  bool defer_taskrun() const { return defer_taskrun_; }
  bool single_mmap() const { return single_mmap_; }
  uint64_t enter_calls() const { return enter_calls_; }
  uint64_t submit_enter_calls() const { return submit_enter_calls_; }
  uint64_t submitted_sqes() const { return submitted_sqes_; }

  // True when the running kernel implements `opcode` (IORING_REGISTER_PROBE at setup).
  bool Supports(unsigned opcode) const;

  // A zeroed SQE to fill, or nullptr when the SQ stays full even after a Submit().
  io_uring_sqe* GetSqe();
  // Two consecutive zeroed SQEs published by the same Submit() (a link chain must not be split
  // across io_uring_enter calls), or false when the SQ cannot take two even after a Submit().
  bool GetSqePair(io_uring_sqe** first, io_uring_sqe** second);
  // Whether `count` more SQEs fit, submitting what is queued once if they do not: after true, as
  // many GetSqe() calls cannot fail.
  bool MakeRoom(uint32_t count);
  // SQEs filled and not yet consumed by the kernel.
  uint32_t Unsubmitted() const;
  // Publishes filled SQEs and submits them. Returns 0 or the errno of a hard failure.
  int Submit();
  // Submits what is queued and blocks until at least one CQE is available or `timeout_millis`
  // has passed (-1: no timeout; needs IORING_FEAT_EXT_ARG otherwise). One io_uring_enter, not
  // retried: returns the SQEs submitted, or -errno (-ETIME at the timeout, -EINTR on a signal).
  int SubmitAndWaitFor(int timeout_millis);
  // DEFER_TASKRUN rings: posts the completions the kernel holds for this thread (no wait).
  // A no-op on other rings. Returns 0 or errno.
  int RunDeferred();
  // DEFER_TASKRUN rings: false when no completion waits for RunDeferred, as far as the kernel's
  // IORING_SQ_TASKRUN flag says (read without a system call; see ring.cc for where it is trusted).
  // True when unknown. Call after SetEventfdEnabled(true) when deciding whether to RunDeferred.
  bool DeferredMayWait() const;
  bool taskrun_flag() const { return taskrun_flag_; }
  // Registers `eventfd` to be signalled when completions are ready. Returns 0 or errno.
  int RegisterEventfd(int eventfd);
  // Sets or clears IORING_CQ_EVENTFD_DISABLED: the owner silences the eventfd while it is reaping
  // anyway (its own submissions post completions that would otherwise wake it once more).
  void SetEventfdEnabled(bool enabled);
  bool EventfdEnabled() const;
  // The owner's synchronous batch (see the addon's ReadBatchOneEnter; never on an SQPOLL ring,
  // whose kernel thread takes SQEs on its own): submits every filled SQE
  // and returns only once at least `count` CQEs are in the CQ, never earlier, so that SQEs naming
  // the caller's memory are finished before it returns. Retries what fails; after
  // kEnterRetriesMax failures in a row, SQEs the kernel has not taken become NOPs (the kernel
  // will never read their addresses) and it keeps trying, yielding the CPU, until the CQEs are
  // there: a ring whose io_uring_enter fails for good would hang this thread, never let the kernel
  // write memory JavaScript may free. Counts one `at_call_enters` per io_uring_enter, and none of
  // the submission counters (these SQEs are answers at the call, not requests of the ring).
  void SubmitAndWaitAll(uint32_t count);
  uint64_t at_call_enters() const { return at_call_enters_; }
  // Asks the kernel to move overflowed CQEs into the CQ. Returns 0 or errno.
  int FlushOverflow();
  bool OverflowFlagged() const;
  bool CqEmpty() const;
  // CQEs posted and not yet reaped.
  uint32_t CqReady() const;

  // Calls f(user_data, res) for up to `max_count` CQEs, then releases them to the kernel.
  template <typename F>
  uint32_t Reap(uint32_t max_count, F&& f) {
    uint32_t head = *cq_head_;
    const uint32_t tail = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
    uint32_t count = 0;
    while (head != tail && count < max_count) {
      const io_uring_cqe& cqe = cqes_[head & cq_mask_];
      const uint64_t user_data = cqe.user_data;
      const int32_t res = cqe.res;
      ++head;
      ++count;
      // Release the slot before calling f: f may queue new SQEs whose CQEs need room.
      __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
      f(user_data, res);
    }
    return count;
  }

 private:
  int Enter(uint32_t to_submit, uint32_t min_complete, uint32_t flags);

  int fd_ = -1;
  bool sqpoll_ = false;
  bool defer_taskrun_ = false;
  bool taskrun_flag_ = false;  // IORING_SETUP_TASKRUN_FLAG accepted: IORING_SQ_TASKRUN is maintained
  bool single_mmap_ = false;
  uint32_t features_ = 0;
  uint32_t sq_entries_ = 0;
  uint32_t cq_entries_ = 0;

  void* sq_map_ = nullptr;
  size_t sq_map_bytes_ = 0;
  void* cq_map_ = nullptr;
  size_t cq_map_bytes_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_bytes_ = 0;

  uint32_t* sq_head_ = nullptr;
  uint32_t* sq_tail_ = nullptr;
  uint32_t* sq_flags_ = nullptr;
  uint32_t sq_mask_ = 0;
  uint32_t sqe_tail_ = 0;  // ours: next SQE to fill; published to *sq_tail_ by Submit()
  uint64_t at_call_enters_ = 0;

  uint32_t* cq_head_ = nullptr;
  uint32_t* cq_tail_ = nullptr;
  uint32_t* cq_flags_ = nullptr;  // written only by us, read by the kernel
  uint32_t cq_mask_ = 0;
  io_uring_cqe* cqes_ = nullptr;

  uint8_t supported_ops_[256] = {};
  uint64_t enter_calls_ = 0;
  uint64_t submit_enter_calls_ = 0;
  uint64_t submitted_sqes_ = 0;
};

// Tries io_uring_setup with a tiny ring and closes it. Returns 0 or the errno.
int ProbeIoUring();

}  // namespace faultline
