// faultline io_uring addon: the N-API side of the ring driver.
//
// Architecture: one `Ring` per UringIo, created and used on one JS thread. JS owns a table of
// request slots (0..queueDepth-1) and calls one native method per operation; the method fills an
// SQE whose user_data is the slot and returns (or, when the kernel lacks the opcode, runs the
// plain system call at once and returns its result). read/write, the hot path, are also installed
// on each Ring object as plain functions whose callback data locates the Ring (see FastPath), so a
// data operation skips the ObjectWrap unwrap (a private-symbol lookup per call). Submission is
// batched: SQEs are published with one io_uring_enter at the end of a completion dispatch, or from
// a uv_idle handle in the event loop's next turn before it polls, or at once when the SQ is full.
// An idle handle rather than a prepare handle: while one is active the loop does not block in its
// poll, so work queued during the prepare phase (another ring's dispatch) is submitted at once
// instead of after whatever next wakes the loop (a prepare handle started then waits a whole turn).
// writeSync is the one request with two SQEs (a write linked to an fsync, published by the same
// io_uring_enter; user_data of the write carries kLinkTag) and one record.
// The ring is set up with IORING_SETUP_DEFER_TASKRUN | SINGLE_ISSUER where the kernel has them
// (6.1+; fio's io_uring engine does the same): completions that arrive outside a submission (the
// device's, io-wq's) wait for this thread's next io_uring_enter(GETEVENTS) instead of
// interrupting it one by one, and the kernel announces them on a registered eventfd, which the
// uv_poll handle watches (on older kernels it watches the ring fd). While the addon reaps anyway
// the eventfd is silenced (IORING_CQ_EVENTFD_DISABLED), and before returning to the event loop it
// is re-armed and whatever arrived meanwhile is posted (Rearm), so no completion is left
// unannounced: dispatched then and there while the wake-up has rounds left, else signalled.
// On an SQPOLL ring (no DEFER_TASKRUN) the thread polls the CQ for a few microseconds before it
// lets the event loop sleep, bounded and backed off (SpinForPolledCompletion).
// Completions are reaped when the uv_poll handle reports its fd readable; each reap
// writes [slot, res, aux0, aux1] records into a Float64Array shared with JS and calls the JS
// dispatcher once per batch (the dispatcher is looked up once per wake-up, not per batch). What a
// wake-up finds is handed over in up to kSpreadRounds batches, each followed by a submission, so
// that requests completed together are not resubmitted together (SpreadBacklog).
//
// Memory safety: the kernel only ever touches memory this addon owns. A read or write whose
// buffer is not ours goes through a private bounce buffer of the slot (4096-aligned, the caller's
// address misalignment reproduced so O_DIRECT answers as it would for the caller's buffer): a
// write copies the caller's bytes in at the call, a read copies out at completion (deliver(),
// called by JS) only after checking that each view still covers its range; JS can detach,
// transfer, shrink or collect its buffers at any moment without the kernel noticing. Buffers from
// allocAligned and the registered-buffer arena are reference-counted allocations (aligned.h): a
// request in flight holds a share, so they are used in place and still cannot be freed under the
// kernel. A read answered inline (ReadInline: preadv2 on this thread while the ring is idle) fills
// the caller's view during the call itself, a synchronous system call while no JavaScript can
// run, as a plain pread into a JS buffer would; so do a batch's reads answered inline through the
// ring (ReadBatchOneEnter: RWF_NOWAIT reads whose completions the call waits for before it returns); a write or writev done inline (WriteInline: pwrite or
// pwritev, opt-in) reads it the same way. Paths, iovec arrays, open_how and statx results live in the per-slot storage below
// until the request's completion; the completion records live in an ArrayBuffer the ring checks
// before every batch and replaces if JS detached it. Entry points validate every argument (types,
// ranges, IOV_MAX) before they claim a slot or queue an SQE, and throw a JS error instead. While
// any request is in the kernel the Ring holds a strong reference to the JS dispatcher and keeps
// the event loop alive, as node:fs does for a pending request. Teardown (explicit close, GC
// finalizer or the environment's async cleanup hook when a worker ends or the process exits)
// cancels every request (IORING_OP_ASYNC_CANCEL) and waits for the completions, for at most
// kDrainMillisMax: a request the kernel cannot cancel in time (a read stuck on a dead network
// filesystem) makes the ring leak its memory rather than free it under the kernel.
//
// Requirements: Linux >= 5.6 for io_uring with IORING_REGISTER_PROBE and openat2; operations the
// kernel lacks (mkdirat < 5.15, renameat/unlinkat < 5.11, ftruncate < 6.9...) run as plain
// system calls on the JS thread. No system library beyond the kernel UAPI headers.
//
// Fault model: per-request -EINTR/-EAGAIN are resubmitted (bounded); short transfers are returned
// as they are; io_uring_enter failures are retried or surfaced (see ring.h); CQ overflow is
// flushed before reaping.
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <linux/audit.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <napi.h>

#include "aligned.h"
#include "beneath.h"
#include "ring.h"
#include "syscall_cost.h"

namespace faultline {
namespace {

constexpr uint64_t kCancelTag = 1ULL << 63;
// user_data of the write half of a writeSync pair (the sync half carries the bare slot).
constexpr uint64_t kLinkTag = 1ULL << 62;
// user_data of the reads ReadBatchOneEnter submits and reaps itself (the tag plus the entry's
// index): never a slot, so a reaper that met one would pass over it.
constexpr uint64_t kAtCallTag = 1ULL << 61;
// The user_data of waitInRing's poll of the event loop's own epoll fd (see WaitInRing).
constexpr uint64_t kLoopPollTag = 1ULL << 60;
// Waits in io_uring_enter per turn of the event loop (waitInRing): past them the loop turns once
// (its poll, timers, immediates) even if completions keep coming.
constexpr int kWaitRoundsMax = 16;
// Nanoseconds this thread's rings have spent waiting in io_uring_enter (waitInRing), closed rings
// included: libuv counts only its own poll as idle in the event loop's utilization, so this is
// what UringIo's eventLoopUtilization adds back. One thread runs one event loop (a worker has its
// own), so a thread-local total is per loop.
thread_local uint64_t thread_ring_wait_nanos = 0;
constexpr int kRetriesMax = 32;
constexpr int kDispatchRoundsMax = 16;  // reap/callback/submit rounds per poll wake-up
// Completions found at a wake-up are handed to JS in up to this many rounds, each followed by an
// io_uring_enter with what the JS queued meanwhile (see SpreadBacklog).
constexpr uint32_t kSpreadRounds = 4;
// On an SQPOLL ring the kernel thread takes a request within about a microsecond and posts a
// page-cache hit a microsecond or two later; sleeping in epoll for it costs a wake-up instead
// (one cached read at a time: 135-280k reads/s sleeping, 330-370k polling, same machine). So when
// the JS thread is about to wait for such a ring it polls the CQ first, for at most
// kSqpollSpinNanosMax, once per wake-up. A wait that sees nothing (a device-bound request, or a
// buffered write punted to io-wq, which the polling thread would keep off the CPU: 30 us waits
// halved one-at-a-time buffered writes) turns waiting off for the next kSqpollSpinBackoff waits.
constexpr int64_t kSqpollSpinNanosMax = 8000;
constexpr uint32_t kSqpollSpinBackoff = 64;
constexpr uint32_t kSqpollSpinPollsMax = 1u << 22;  // a bound that does not trust the clock alone
constexpr uint32_t kQueueDepthMax = 4096;
constexpr uint32_t kBatchEntriesMax = 4096;  // BATCH_ENTRIES_MAX in limits.ts: readBatchAtCall's bound
constexpr uint32_t kRecordDoubles = 4;  // slot, res, aux0, aux1
constexpr size_t kReaddirEntriesMax = 1u << 20;
constexpr int kRootFd = -1;  // JS passes -1 for "the root directory"
constexpr uint32_t kIovMax = 1024;  // IOV_MAX: the kernel refuses more iovecs
constexpr double kTransferBytesMax = 2147479552.0;  // MAX_RW_COUNT: the kernel's cap per transfer
constexpr double kOffsetMax = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER; the kernel checks the rest
constexpr size_t kStringBytesMax = 1u << 16;  // far above PATH_MAX: the kernel answers ENAMETOOLONG
// Bounce memory a slot keeps between requests, and all slots together (more is freed after use).
constexpr size_t kBounceRetainSlotBytes = (1u << 20) + 2 * 4096;
constexpr size_t kBounceRetainTotalBytes = 64u << 20;
// Bounce memory of all slots at once (start's 5th argument). A request that would pass it while others are in flight
// waits (JS requeues it at the head) until a completion frees some; alone, it always proceeds.
constexpr double kBounceBytesMaxDefault = 256.0 * 1024 * 1024;
constexpr int kBounceBusy = -1;  // PrepareTransfer: over kBounceBytesMax, retry later
constexpr long kDoneOverBudget = -2;  // ReadInline, WriteInline: done whole, past the per-poll budget
constexpr double kResultBounceBusy = -1000005.0;  // RESULT_BOUNCE_BUSY in request.ts
// RESULT_DONE_OVER_BUDGET in request.ts: an inline read or write done whole past the per-poll
// budget; JS settles it once the loop has polled (see ReadInline, WriteInline).
constexpr double kResultDoneOverBudget = -1000006.0;
// RESULT_NOT_AT_CALL in request.ts: readAtCall did nothing (the read is the ring's, through read).
constexpr int32_t kResultNotAtCall = -1000007;
constexpr int kDrainMillisMax = 1000;
// A read on an idle ring whose bytes are all in the page cache is answered on the spot, by
// preadv2(RWF_NOWAIT) into the caller's view (see ReadInline): one system call and no completion
// round, where the ring costs a submission, a reap and a callback into JS for the same copy (one
// cached 4 KiB read at a time, same machine: 290k reads/s through the ring, 540k with these
// bounds when first measured, about 570k against 300k in later full benches). Bounded in size (a
// larger copy dwarfs what it saves) and, in reads and in bytes, between two polls of the event
// loop, so a loop of awaited cached reads still lets I/O callbacks, timers and immediates run
// every few hundred microseconds (budgets of 16 and 64 reads: 385k and 435k/s). Writes done inline
// (WriteInline) draw on the same budget.
constexpr size_t kInlineReadBytesMax = 64u << 10;
static_assert(kInlineReadBytesMax <= INT32_MAX, "readAtCall returns a count as an int32");
constexpr uint32_t kInlineCallsPerPollMax = 256;
constexpr size_t kInlineBytesPerPollMax = 1u << 20;
// Consecutive reads the page cache could not answer (EAGAIN) before attempts pause, and for how
// many reads: a workload of uncached reads then pays a wasted system call once per kInlineBackoff.
constexpr uint32_t kInlineMissesMax = 8;
constexpr uint32_t kInlineBackoff = 256;
// A buffered write, when the caller opted in (UringIo `inlineWrites`), is done by pwrite on this
// thread (see WriteInline). ext4 and most file systems refuse RWF_NOWAIT for buffered writes
// (EOPNOTSUPP), so io_uring hands every such write to an io-wq worker, and one 4 KiB write at a
// time costs a thread hand-off each way: 14-18k writes/s through the ring against 200k (clean
// pages) to 700k (pages already dirty) from a pwrite loop on the 2-vCPU machine of BENCHMARKS.md.
// The pwrite blocks this thread, normally for a page-cache copy of a few microseconds; the bounds
// below keep the rest rare.
constexpr size_t kInlineWriteBytesMax = 64u << 10;
// Buffers of one writev done inline (pwritev from an iovec array on this thread's stack, no
// allocation). 64 KiB in more than 64 pieces is rare; such a writev takes the ring.
constexpr uint32_t kInlineWriteViewsMax = 64;
// A pwrite that took longer than this (the kernel throttling dirty pages, a journal wait, a
// lock) sends the next kInlineBackoff writes to the ring, whose io-wq workers then take the wait.
constexpr int64_t kInlineWriteSlowNanos = 200 * 1000;

enum class SlotState : uint8_t { kFree, kInKernel };

struct Slot {
  io_uring_sqe sqe;  // copy kept for resubmission after -EINTR/-EAGAIN
  std::vector<iovec> iov;  // what the kernel reads or writes (bounce memory or a pinned allocation)
  std::vector<uint8_t> iov_bounced;  // per iovec: 1 when it points into `bounce`
  std::vector<Allocation*> pins;  // allocations used in place, one share each while in flight
  uint8_t* bounce = nullptr;
  size_t bounce_bytes = 0;
  bool bounced_read = false;  // a read whose bytes wait in `bounce` for deliver()
  int32_t result = 0;
  std::string path_a;
  std::string path_b;
  open_how how;
  struct statx stx;
  int retries = 0;
  SlotState state = SlotState::kFree;
  bool wants_statx = false;
  // writeSync: `sqe` is the write, `sqe_sync` the fsync linked after it (see LinkedArrived for
  // which CQEs arrive). With IOSQE_CQE_SKIP_SUCCESS on the write a synced append posts one CQE.
  bool linked = false;
  bool write_skips = false;
  bool write_seen = false;
  bool sync_seen = false;
  int32_t write_res = 0;
  int32_t sync_res = 0;
  uint32_t write_len = 0;
  io_uring_sqe sqe_sync;
};

class Ring;

// Callback data of the per-Ring read/write functions. Shared by the two functions and the Ring;
// freed by whichever of the three lets go last (all on the JS thread), so a function that outlives
// its Ring finds `ring == nullptr` instead of a dangling pointer.
struct FastPath {
  Ring* ring = nullptr;
  int owners = 0;
};

void ReleaseFastPath(FastPath* fast) {
  if (--fast->owners == 0) delete fast;
}

// libuv handles outlive the Ring object until their close callbacks run, and carry the async
// cleanup hook whose removal tells Node the teardown is finished.
struct LoopHandles {
  uv_poll_t poll;
  uv_idle_t submit;
  uv_check_t refill;
  uv_idle_t wait_hold;  // waitInRing: keeps libuv's poll from blocking while the ring waits instead
  uv_prepare_t wait_turn;  // waitInRing: the wait itself (OnWaitTurn), right before libuv's poll
  int open_count = 0;
  Ring* owner = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
};

void OnHandleClosed(uv_handle_t* handle) {
  LoopHandles* box = static_cast<LoopHandles*>(handle->data);
  if (--box->open_count > 0) return;
  if (box->hook != nullptr) napi_remove_async_cleanup_hook(box->hook);
  delete box;
}

class Ring : public Napi::ObjectWrap<Ring> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Ring", {
      InstanceMethod<&Ring::Start>("start"),
      InstanceMethod<&Ring::Completions>("completions"),
      InstanceMethod<&Ring::Info>("info"),
      InstanceMethod<&Ring::Read>("read"),
      InstanceMethod<&Ring::Write>("write"),
      InstanceMethod<&Ring::Readv>("readv"),
      InstanceMethod<&Ring::Writev>("writev"),
      InstanceMethod<&Ring::Fsync>("fsync"),
      InstanceMethod<&Ring::WriteSync>("writeSync"),
      InstanceMethod<&Ring::Fallocate>("fallocate"),
      InstanceMethod<&Ring::Ftruncate>("ftruncate"),
      InstanceMethod<&Ring::Openat2>("openat2"),
      InstanceMethod<&Ring::Close>("close"),
      InstanceMethod<&Ring::Statx>("statx"),
      InstanceMethod<&Ring::Renameat>("renameat"),
      InstanceMethod<&Ring::Unlinkat>("unlinkat"),
      InstanceMethod<&Ring::Mkdirat>("mkdirat"),
      InstanceMethod<&Ring::Readdir>("readdir"),
      InstanceMethod<&Ring::CancelAll>("cancelAll"),
      InstanceMethod<&Ring::Destroy>("destroy"),
      InstanceMethod<&Ring::RegisterBuffers>("registerBuffers"),
      InstanceMethod<&Ring::Deliver>("deliver"),
      InstanceMethod<&Ring::ReadBatchAtCall>("readBatchAtCall"),
      InstanceMethod<&Ring::ReadAtCall>("readAtCall"),
      InstanceMethod<&Ring::Readlink>("readlink"),
      InstanceMethod<&Ring::SetInlineWriteSlowMicros>("setInlineWriteSlowMicros"),
      InstanceMethod<&Ring::SetWaitInRing>("setWaitInRing"),
    });
  }

  explicit Ring(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Ring>(info) {}

  ~Ring() override {
    Teardown();
    if (fast_ != nullptr) {
      fast_->ring = nullptr;
      ReleaseFastPath(fast_);
      fast_ = nullptr;
    }
  }

  // read/write called through the FastPath functions: (slot, fd, u8, offset), as Read/Write.
  static napi_value FastRead(napi_env env, napi_callback_info info) { return FastRw(env, info, IORING_OP_READ); }
  static napi_value FastWrite(napi_env env, napi_callback_info info) { return FastRw(env, info, IORING_OP_WRITE); }
  // deliver called through its FastPath function, as Deliver: (slot, views).
  static napi_value FastDeliver(napi_env env, napi_callback_info info) {
    napi_value argv[2] = {nullptr, nullptr};
    Ring* ring = FastRing(env, info, argv, 2);
    if (ring == nullptr) return nullptr;
    return ring->DeliverCore(Napi::Env(env), argv);
  }

  // The ring behind a FastPath call, with its `count` arguments in `argv` (missing ones
  // undefined); nullptr with an exception pending when the call cannot be read or the ring is closed.
  static Ring* FastRing(napi_env env, napi_callback_info info, napi_value* argv, size_t count) {
    size_t argc = count;
    void* data = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok) return nullptr;
    Ring* ring = data == nullptr ? nullptr : static_cast<FastPath*>(data)->ring;
    if (ring == nullptr) {
      napi_throw_error(env, "ERR_CLOSED", "ring is closed");
      return nullptr;
    }
    for (size_t i = argc; i < count; ++i) napi_get_undefined(env, &argv[i]);
    return ring;
  }

  // readAtCall called through its FastPath function, as ReadAtCall: (fd, u8, offset).
  static napi_value FastReadAtCall(napi_env env, napi_callback_info info) {
    napi_value argv[3] = {nullptr, nullptr, nullptr};
    Ring* ring = FastRing(env, info, argv, 3);
    if (ring == nullptr) return nullptr;
    return ring->ReadAtCallCore(Napi::Env(env), argv);
  }

  // readBatchAtCall called through its FastPath function, as ReadBatchAtCall: (views, plan, count).
  static napi_value FastReadBatchAtCall(napi_env env, napi_callback_info info) {
    napi_value argv[3] = {nullptr, nullptr, nullptr};
    Ring* ring = FastRing(env, info, argv, 3);
    if (ring == nullptr) return nullptr;
    return ring->ReadBatchAtCallCore(Napi::Env(env), argv);
  }

  // Called from the environment's async cleanup hook (worker exit, process exit).
  void Teardown() {
    teardown_done_ = true;
    if (!ring_.IsOpen()) return;
    const bool drained = CancelAndDrain();
    // Closing the ring makes the kernel cancel what is left; its workers may still write into
    // the memory of those requests, so when the drain did not finish that memory is leaked
    // (slots with their bounce buffers, paths and statx results; pins; the arena), never freed.
    ring_.Destroy();
    if (drained) {
      for (Slot& slot : slots_) {
        ReleasePins(&slot);
        FreeBounce(&slot);
      }
      if (arena_alloc_ != nullptr) ReleaseAllocation(arena_alloc_);
    } else {
      new std::vector<Slot>(std::move(slots_));
      leaked_ = true;
    }
    slots_.clear();
    arena_alloc_ = nullptr;
    if (root_fd_ >= 0) close(root_fd_);
    root_fd_ = -1;
    // Files JS never closed (a worker terminated, a process exiting, an abandoned UringIo).
    for (int fd : owned_fds_) close(fd);
    owned_fds_.clear();
    inline_fds_.clear();
    read_fd_regular_.clear();
    inline_write_fds_.clear();
    if (handles_ != nullptr) {
      handles_->owner = nullptr;
      uv_poll_stop(&handles_->poll);
      uv_idle_stop(&handles_->submit);
      uv_check_stop(&handles_->refill);
      uv_idle_stop(&handles_->wait_hold);
      uv_prepare_stop(&handles_->wait_turn);
      uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), OnHandleClosed);
      uv_close(reinterpret_cast<uv_handle_t*>(&handles_->submit), OnHandleClosed);
      uv_close(reinterpret_cast<uv_handle_t*>(&handles_->refill), OnHandleClosed);
      uv_close(reinterpret_cast<uv_handle_t*>(&handles_->wait_hold), OnHandleClosed);
      uv_close(reinterpret_cast<uv_handle_t*>(&handles_->wait_turn), OnHandleClosed);
      handles_ = nullptr;
    }
    // The ring (which held the registration) is gone and the poll handle stopped: no one uses it.
    CloseWakeFd();
    if (held_) callback_.Unref();
    held_ = false;
    // The kernel dropped the registration with the ring; JS's share of the arena lives on.
    arena_ = nullptr;
  }

 private:
  // start(rootPath, queueDepth, sqpoll, dispatcher[, bounceBytesMax]) -> null | { stage, errno }
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env, false)) return env.Undefined();
    if (ring_.IsOpen() || teardown_done_) return Throw(env, "start: the ring was already started");
    std::string root;
    double depth_value = 0;
    bool sqpoll = false;
    if (!StringArg(env, info[0], "start: root", &root) || !IntArg(env, info[1], 1, kQueueDepthMax, "start: queueDepth", &depth_value) ||
        !BoolArg(env, info[2], "start: sqpoll", &sqpoll)) {
      return env.Undefined();
    }
    if (!IsType(env, info[3], napi_function)) return ThrowType(env, "start: dispatcher must be a function");
    double bounce_max = kBounceBytesMaxDefault;
    if (!IsType(env, info[4], napi_undefined) && !IntArg(env, info[4], kAlignmentBytes, 1099511627776.0, "start: bounceBytesMax", &bounce_max)) {
      return env.Undefined();
    }
    bounce_bytes_max_ = static_cast<size_t>(bounce_max);
    const uint32_t depth = static_cast<uint32_t>(depth_value);
    // The JS object owns the dispatcher (a plain property: a JS-side cycle the GC can collect),
    // and the dispatcher owns the object, so the strong reference to the dispatcher held while
    // requests are in flight keeps the ring itself alive too. Done first: a frozen dispatcher
    // fails here, before anything is set up.
    napi_property_descriptor own = {"dispatcher", nullptr, nullptr, nullptr, nullptr, info[3], napi_default, nullptr};
    napi_value ring_key;
    napi_property_descriptor back = {nullptr, nullptr, nullptr, nullptr, nullptr, info.This(), napi_default, nullptr};
    if (napi_create_symbol(env, nullptr, &ring_key) != napi_ok) return env.Undefined();
    back.name = ring_key;
    if (napi_define_properties(env, info.This(), 1, &own) != napi_ok || napi_define_properties(env, info[3], 1, &back) != napi_ok) {
      return env.Undefined();
    }

    root_fd_ = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) return Failure(env, "open-root", errno);

    const char* stage = "";
    // Twice the queue depth of SQ space: retries and cancels never wait behind requests.
    int err = ring_.Setup(depth * 2, sqpoll, true, &stage);
    if (err == 0 && ring_.defer_taskrun()) {
      // A DEFER_TASKRUN ring announces deferred completions on a registered eventfd only (never
      // on the ring fd): without one, fall back to an ordinary ring.
      wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (wake_fd_ < 0 || ring_.RegisterEventfd(wake_fd_) != 0) {
        if (wake_fd_ >= 0) close(wake_fd_);
        wake_fd_ = -1;
        ring_.Destroy();
        err = ring_.Setup(depth * 2, sqpoll, false, &stage);
      }
    }
    if (err != 0) {
      close(root_fd_);
      root_fd_ = -1;
      return Failure(env, stage, err);
    }
    slots_.resize(depth);
    record_capacity_ = ring_.cq_entries();
    NewRecords(env);
    callback_ = Napi::Persistent(info[3].As<Napi::Function>());
    callback_.Unref();

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ring_.Destroy();
      CloseWakeFd();
      close(root_fd_);
      root_fd_ = -1;
      return Failure(env, "uv-loop", EINVAL);
    }
    handles_ = new LoopHandles();
    handles_->owner = this;
    handles_->poll.data = handles_;
    handles_->submit.data = handles_;
    handles_->refill.data = handles_;
    handles_->wait_hold.data = handles_;
    handles_->wait_turn.data = handles_;
    const int uv_err = uv_poll_init(loop, &handles_->poll, WakeFd());
    if (uv_err != 0) {
      ring_.Destroy();
      close(root_fd_);
      root_fd_ = -1;
      delete handles_;
      handles_ = nullptr;
      // uv_poll_init failed, so libuv never watched the fd.
      CloseWakeFd();
      return Failure(env, "uv-poll", -uv_err);
    }
    // Loop watchers cannot fail to initialise (libuv only fills in the struct).
    uv_idle_init(loop, &handles_->submit);
    uv_check_init(loop, &handles_->refill);
    uv_idle_init(loop, &handles_->wait_hold);
    uv_prepare_init(loop, &handles_->wait_turn);
    handles_->open_count = 5;
    loop_ = loop;
    uv_poll_start(&handles_->poll, UV_READABLE, OnPoll);
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->submit));
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->refill));
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->wait_hold));
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->wait_turn));
    napi_add_async_cleanup_hook(env, OnEnvTeardown, handles_, &handles_->hook);
    InstallFastPath(env, info.This().As<Napi::Object>());
    return env.Null();
  }

  static Napi::Value Failure(Napi::Env env, const char* stage, int err) {
    Napi::Object failure = Napi::Object::New(env);
    failure.Set("stage", stage);
    failure.Set("errno", err);
    return failure;
  }

  // completions() -> the record buffer (a new one if JS detached the previous one).
  Napi::Value Completions(const Napi::CallbackInfo& info) {
    if (records_ref_.IsEmpty() || !EnsureRecords(info.Env())) return info.Env().Undefined();
    return records_ref_.Value();
  }

  void NewRecords(Napi::Env env) {
    Napi::ArrayBuffer records = Napi::ArrayBuffer::New(env, record_capacity_ * kRecordDoubles * sizeof(double));
    records_ = static_cast<double*>(records.Data());
    records_ref_ = Napi::Persistent(records);
  }

  // The record buffer is a plain ArrayBuffer JS can reach (through completions()) and so detach
  // or transfer, after which its memory belongs to someone else: check before every write, and
  // start a new one when it was taken (JS notices its view is empty and asks for the new one).
  bool EnsureRecords(napi_env env) {
    napi_value value;
    bool detached = true;
    if (napi_get_reference_value(env, records_ref_, &value) != napi_ok || value == nullptr ||
        napi_is_detached_arraybuffer(env, value, &detached) != napi_ok) {
      return false;
    }
    if (detached) NewRecords(Napi::Env(env));
    return true;
  }

  // setInlineWriteSlowMicros(micros): the time past which an inline write counts as slow (default
  // kInlineWriteSlowNanos). For tests: 0 makes every write slow (the backoff, deterministically);
  // a large value keeps a loaded machine's stray slow write from sending writes to the ring.
  Napi::Value SetInlineWriteSlowMicros(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double micros = 0;
    if (!IntArg(env, info[0], 0, 60.0 * 1000 * 1000, "setInlineWriteSlowMicros: micros", &micros)) return env.Undefined();
    inline_write_slow_nanos_ = static_cast<int64_t>(micros) * 1000;
    return env.Undefined();
  }

  // setWaitInRing(on) -> whether the mode is now on: only on a started DEFER_TASKRUN ring (Linux
  // 6.1+, not sqpoll), whose kernel also has IORING_FEAT_EXT_ARG (a wait with a timeout).
  Napi::Value SetWaitInRing(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env, true)) return env.Undefined();
    bool on = false;
    if (!BoolArg(env, info[0], "setWaitInRing: on", &on)) return env.Undefined();
    wait_in_ring_ = on && ring_.defer_taskrun() && !ring_.sqpoll() && (ring_.features() & IORING_FEAT_EXT_ARG) != 0 &&
                    ring_.Supports(IORING_OP_POLL_ADD);
    return Napi::Boolean::New(env, wait_in_ring_);
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("open", ring_.IsOpen());
    out.Set("sqEntries", ring_.sq_entries());
    out.Set("cqEntries", ring_.cq_entries());
    out.Set("features", ring_.features());
    out.Set("sqpoll", ring_.sqpoll());
    out.Set("deferTaskrun", ring_.defer_taskrun());
    out.Set("taskrunFlag", ring_.taskrun_flag());
    out.Set("waitInRing", wait_in_ring_);
    out.Set("ringWaits", static_cast<double>(ring_waits_));
    out.Set("ringWaitsTimedOut", static_cast<double>(ring_waits_timed_out_));
    out.Set("ringWaitsLoopWoken", static_cast<double>(ring_waits_loop_woken_));
    out.Set("ringWaitNanos", static_cast<double>(ring_wait_nanos_));
    out.Set("wakeUps", static_cast<double>(wake_ups_));
    out.Set("singleMmap", ring_.single_mmap());
    out.Set("enterCalls", static_cast<double>(ring_.enter_calls()));
    out.Set("submitEnterCalls", static_cast<double>(ring_.submit_enter_calls()));
    out.Set("submittedSqes", static_cast<double>(ring_.submitted_sqes()));
    out.Set("inKernel", in_kernel_);
    out.Set("spinWaitsCompleted", static_cast<double>(spin_waits_completed_));
    out.Set("spinWaitsExpired", static_cast<double>(spin_waits_expired_));
    out.Set("retries", static_cast<double>(retries_total_));
    out.Set("overflowFlushes", static_cast<double>(overflow_flushes_));
    out.Set("ownedFds", static_cast<double>(owned_fds_.size()));
    out.Set("inlineReads", static_cast<double>(inline_reads_));
    out.Set("inlineMisses", static_cast<double>(inline_misses_));
    out.Set("batchReadsOneEnter", BatchReadsOneEnter());
    out.Set("inlineBatchEnters", static_cast<double>(ring_.at_call_enters()));
    out.Set("inlineWrites", static_cast<double>(inline_writes_));
    out.Set("inlineWriteMisses", static_cast<double>(inline_write_misses_));
    out.Set("inlineWritesSlow", static_cast<double>(inline_writes_slow_));
    out.Set("fixedTransfers", static_cast<double>(fixed_transfers_));
    out.Set("registeredBuffers", arena_ == nullptr ? 0.0 : static_cast<double>(arena_bytes_ / fixed_bytes_));
    out.Set("bounceBytes", static_cast<double>(bounce_bytes_total_));
    out.Set("leakedAtTeardown", leaked_);
    Napi::Object ops = Napi::Object::New(env);
    ops.Set("read", ring_.Supports(IORING_OP_READ));
    ops.Set("write", ring_.Supports(IORING_OP_WRITE));
    ops.Set("readv", ring_.Supports(IORING_OP_READV));
    ops.Set("writev", ring_.Supports(IORING_OP_WRITEV));
    ops.Set("fsync", ring_.Supports(IORING_OP_FSYNC));
    ops.Set("fallocate", ring_.Supports(IORING_OP_FALLOCATE));
    ops.Set("ftruncate", ring_.Supports(faultline_abi::kOpFtruncate));
    ops.Set("openat2", ring_.Supports(IORING_OP_OPENAT2));
    ops.Set("close", ring_.Supports(IORING_OP_CLOSE));
    ops.Set("statx", ring_.Supports(IORING_OP_STATX));
    ops.Set("renameat", ring_.Supports(IORING_OP_RENAMEAT));
    ops.Set("unlinkat", ring_.Supports(IORING_OP_UNLINKAT));
    ops.Set("mkdirat", ring_.Supports(IORING_OP_MKDIRAT));
    ops.Set("asyncCancel", ring_.Supports(IORING_OP_ASYNC_CANCEL));
    out.Set("ops", ops);
    return out;
  }

  // ---- argument checks: JS validates first; these keep a misuse of the internal API from
  // corrupting anything. Each throws a JS error and returns false; none runs JavaScript. ----

  static Napi::Value Throw(napi_env env, const char* message) {
    napi_throw_error(env, "ERR_INVALID_ARGUMENT", message);
    return Napi::Env(env).Undefined();
  }
  static Napi::Value ThrowType(napi_env env, const char* message) {
    napi_throw_type_error(env, "ERR_INVALID_ARGUMENT", message);
    return Napi::Env(env).Undefined();
  }
  static Napi::Value ThrowRange(napi_env env, const char* message) {
    napi_throw_range_error(env, "ERR_INVALID_ARGUMENT", message);
    return Napi::Env(env).Undefined();
  }

  static bool IsType(napi_env env, napi_value value, napi_valuetype wanted) {
    napi_valuetype type;
    return value != nullptr && napi_typeof(env, value, &type) == napi_ok && type == wanted;
  }

  // The boolean true (anything else, a missing argument included, is false).
  static bool IsTrue(napi_env env, napi_value value) {
    // napi_get_value_bool refuses a non-boolean (napi_boolean_expected) without throwing: no typeof first.
    bool flag = false;
    return napi_get_value_bool(env, value, &flag) == napi_ok && flag;
  }

  // An integral number in [min, max].
  static bool IntArg(napi_env env, napi_value value, double min, double max, const char* what, double* out) {
    // napi_get_value_double refuses a non-number (napi_number_expected) without throwing, so it is
    // the type check too: one Node-API call per argument on the hot path instead of two.
    double number = 0;
    if (napi_get_value_double(env, value, &number) != napi_ok) {
      ThrowType(env, what);
      return false;
    }
    if (!(number >= min && number <= max) || number != static_cast<double>(static_cast<int64_t>(number))) {
      ThrowRange(env, what);
      return false;
    }
    *out = number;
    return true;
  }

  static bool FdArg(napi_env env, napi_value value, const char* what, int* out) {
    double number = 0;
    if (!IntArg(env, value, 0, 2147483647.0, what, &number)) return false;
    *out = static_cast<int>(number);
    return true;
  }

  static bool U64Arg(napi_env env, napi_value value, double max, const char* what, uint64_t* out) {
    double number = 0;
    if (!IntArg(env, value, 0, max, what, &number)) return false;
    *out = static_cast<uint64_t>(number);
    return true;
  }

  static bool BoolArg(napi_env env, napi_value value, const char* what, bool* out) {
    if (!IsType(env, value, napi_boolean) || napi_get_value_bool(env, value, out) != napi_ok) {
      ThrowType(env, what);
      return false;
    }
    return true;
  }

  // A string without NUL bytes, as UTF-8 (lone surrogates become U+FFFD, as node:fs sends them).
  static bool StringArg(napi_env env, napi_value value, const char* what, std::string* out) {
    size_t length = 0;
    if (!IsType(env, value, napi_string) || napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) {
      ThrowType(env, what);
      return false;
    }
    if (length > kStringBytesMax) {
      ThrowRange(env, what);
      return false;
    }
    out->resize(length);
    size_t copied = 0;
    if (napi_get_value_string_utf8(env, value, out->data(), length + 1, &copied) != napi_ok || copied != length ||
        strlen(out->c_str()) != length) {
      ThrowType(env, what);
      return false;
    }
    return true;
  }

  // A directory fd, -1 meaning the root.
  bool DirFdArg(napi_env env, napi_value value, const char* what, int* out) const {
    double number = 0;
    if (!IntArg(env, value, -1, 2147483647.0, what, &number)) return false;
    *out = number == kRootFd ? root_fd_ : static_cast<int>(number);
    return true;
  }

  // Refuses calls on a closed ring and calls made from JS that a native call is running (an
  // array element getter read by readv/writev): such a call could claim the slot being filled.
  bool Usable(napi_env env, bool needs_open) {
    if (reading_elements_) {
      Throw(env, "the ring was called re-entrantly");
      return false;
    }
    if (needs_open && !ring_.IsOpen()) {
      napi_throw_error(env, "ERR_CLOSED", "ring is closed");
      return false;
    }
    return true;
  }

  Slot* SlotArg(const Napi::CallbackInfo& info, uint32_t* index) { return SlotArg(info.Env(), info[0], index); }

  // A free slot. Claiming it is Queue's job, after every other argument has been checked.
  Slot* SlotArg(napi_env env, napi_value value, uint32_t* index) {
    if (!Usable(env, true)) return nullptr;
    double number = 0;
    if (!IntArg(env, value, 0, static_cast<double>(slots_.size()) - 1, "slot out of range", &number)) return nullptr;
    const uint32_t i = static_cast<uint32_t>(number);
    if (slots_[i].state != SlotState::kFree) {
      Throw(env, "slot in use");
      return nullptr;
    }
    *index = i;
    return &slots_[i];
  }

  // Defines own `read`/`write` properties on the JS object (shadowing the prototype methods, which
  // behave the same) as plain functions carrying the FastPath. Without them the prototype methods
  // still work, so a failure here is not an error.
  void InstallFastPath(napi_env env, Napi::Object self) {
    if (fast_ != nullptr) return;
    FastPath* fast = new FastPath();
    fast->ring = this;
    fast->owners = 1;
    const struct { const char* name; napi_callback callback; } methods[] = {
        {"read", FastRead},
        {"write", FastWrite},
        {"deliver", FastDeliver},
        {"readBatchAtCall", FastReadBatchAtCall},
        {"readAtCall", FastReadAtCall},
    };
    for (const auto& method : methods) {
      napi_value fn;
      if (napi_create_function(env, method.name, NAPI_AUTO_LENGTH, method.callback, fast, &fn) != napi_ok) continue;
      ++fast->owners;
      if (napi_add_finalizer(env, fn, fast, [](napi_env, void* data, void*) { ReleaseFastPath(static_cast<FastPath*>(data)); },
                             nullptr, nullptr) != napi_ok) {
        // Without a finalizer the function must never be exposed: it could outlive the box.
        --fast->owners;
        continue;
      }
      self.DefineProperty(Napi::PropertyDescriptor::Value(method.name, Napi::Value(env, fn), napi_default));
    }
    fast_ = fast;
  }

  // A caller's byte view as it is at this instant (no JavaScript runs while it is used).
  struct View {
    uint8_t* data = nullptr;
    size_t length = 0;
    size_t offset = 0;  // byte offset in its ArrayBuffer
    bool detached = false;
  };

  // A Uint8Array argument as it is now. napi_get_typedarray_info refuses anything but a typed
  // array (napi_invalid_arg), so it is the type check too.
  static bool ViewArg(napi_env env, napi_value value, const char* what, View* out) {
    napi_typedarray_type type;
    void* data = nullptr;
    napi_value buffer = nullptr;
    if (value == nullptr || napi_get_typedarray_info(env, value, &type, &out->length, &data, &buffer, &out->offset) != napi_ok ||
        type != napi_uint8_array) {
      ThrowType(env, what);
      return false;
    }
    out->data = static_cast<uint8_t*>(data);
    out->detached = false;
    if (out->length == 0 && buffer != nullptr) napi_is_detached_arraybuffer(env, buffer, &out->detached);
    return true;
  }
  // A transfer's (fd, u8, offset) at argv[0..2], its view no longer than kTransferBytesMax: the
  // checks that read, readAtCall, write and writeSync share. False with a JS error thrown otherwise.
  static bool TransferArgs(napi_env env, const napi_value* argv, int* fd, View* view, uint64_t* offset) {
    if (!FdArg(env, argv[0], "fd out of range", fd) || !ViewArg(env, argv[1], "buffer must be a Uint8Array", view) ||
        !U64Arg(env, argv[2], kOffsetMax, "offset out of range", offset)) {
      return false;
    }
    if (static_cast<double>(view->length) > kTransferBytesMax) {
      ThrowRange(env, "buffer too large");
      return false;
    }
    return true;
  }


  // Queues the SQE prepared in `slot->sqe`. Returns undefined, or the synchronous result when the
  // SQ cannot take it (only when io_uring_enter keeps failing).
  // A slot whose SQE(s) were just placed: in the kernel until its completion, the ring held, and
  // the submission published before the event loop blocks (or at the end of the dispatch).
  void MarkInKernel(Slot* slot) {
    slot->state = SlotState::kInKernel;
    slot->retries = 0;
    ++in_kernel_;
    Hold();
    if (!dispatching_) ArmSubmit();
  }

  void ArmSubmit() {
    if (submit_armed_ || handles_ == nullptr) return;
    submit_armed_ = true;
    uv_idle_start(&handles_->submit, OnSubmitTurn);
  }

  Napi::Value Queue(Napi::Env env, uint32_t index, Slot* slot) {
    io_uring_sqe* sqe = ring_.GetSqe();
    if (sqe == nullptr) {
      FinishTransfer(slot);
      return Napi::Number::New(env, -EBUSY);
    }
    slot->sqe.user_data = index;
    *sqe = slot->sqe;
    MarkInKernel(slot);
    return env.Undefined();
  }

  static void PrepRw(Slot* slot, uint8_t op, int fd, uint64_t addr, uint32_t len, uint64_t off) {
    memset(&slot->sqe, 0, sizeof(slot->sqe));
    slot->sqe.opcode = op;
    slot->sqe.fd = fd;
    slot->sqe.addr = addr;
    slot->sqe.len = len;
    slot->sqe.off = off;
    slot->wants_statx = false;
    slot->linked = false;
  }

  static Napi::Value Result(Napi::Env env, long ret) { return Napi::Number::New(env, ret < 0 ? -errno : static_cast<double>(ret)); }

  // ---- bounce buffers and pins ----

  // Points the slot's iovecs at memory the kernel may use until completion: each view's own
  // memory when it is a registered allocation (pinned with a share), else a place in the slot's
  // bounce buffer with the view's address misalignment (a write copies the bytes in now).
  // Returns 0, ENOMEM or kBounceBusy. No JavaScript runs here.
  int PrepareTransfer(Slot* slot, bool is_read, const View* views, uint32_t count) {
    ReleasePins(slot);
    slot->bounced_read = false;
    slot->iov.assign(count, iovec{nullptr, 0});
    slot->iov_bounced.assign(count, 0);
    size_t need = 0;
    for (uint32_t i = 0; i < count; ++i) {
      const View& view = views[i];
      if (view.length == 0) continue;
      Allocation* pinned = FindAllocation(view.data - view.offset, view.offset, view.length);
      if (pinned != nullptr) {
        slot->pins.push_back(pinned);
        slot->iov[i].iov_base = view.data;
        slot->iov[i].iov_len = view.length;
        continue;
      }
      const size_t misalign = reinterpret_cast<uintptr_t>(view.data) % kAlignmentBytes;
      const size_t place = need + (misalign + kAlignmentBytes - need % kAlignmentBytes) % kAlignmentBytes;
      slot->iov[i].iov_base = reinterpret_cast<void*>(place);  // an offset until the bounce exists
      slot->iov[i].iov_len = view.length;
      slot->iov_bounced[i] = 1;
      need = place + view.length;
    }
    if (need > slot->bounce_bytes && in_kernel_ > 0 && !BounceFits(slot, need)) {
      ReleasePins(slot);
      return kBounceBusy;
    }
    if (need > 0 && !EnsureBounce(slot, need)) {
      ReleasePins(slot);
      return ENOMEM;
    }
    for (uint32_t i = 0; i < count; ++i) {
      if (!slot->iov_bounced[i]) continue;
      uint8_t* place = slot->bounce + reinterpret_cast<uintptr_t>(slot->iov[i].iov_base);
      slot->iov[i].iov_base = place;
      if (!is_read) memcpy(place, views[i].data, views[i].length);
    }
    slot->bounced_read = is_read && need > 0;
    return 0;
  }

  // Whether growing `slot`'s bounce to `need` stays within bounce_bytes_max_, after freeing the
  // memory idle slots keep for reuse if that is what it takes.
  bool BounceFits(const Slot* slot, size_t need) {
    const auto fits = [&] { return bounce_bytes_total_ - slot->bounce_bytes + need <= bounce_bytes_max_; };
    if (fits()) return true;
    for (Slot& other : slots_) {
      if (&other != slot && other.state == SlotState::kFree && !other.bounced_read) FreeBounce(&other);
    }
    return fits();
  }

  bool EnsureBounce(Slot* slot, size_t need) {
    if (slot->bounce_bytes >= need) return true;
    FreeBounce(slot);
    const size_t bytes = (need + kAlignmentBytes - 1) / kAlignmentBytes * kAlignmentBytes;
    void* memory = nullptr;
    if (posix_memalign(&memory, kAlignmentBytes, bytes) != 0 || memory == nullptr) return false;
    slot->bounce = static_cast<uint8_t*>(memory);
    slot->bounce_bytes = bytes;
    bounce_bytes_total_ += bytes;
    return true;
  }

  void FreeBounce(Slot* slot) {
    if (slot->bounce == nullptr) return;
    free(slot->bounce);
    bounce_bytes_total_ -= slot->bounce_bytes;
    slot->bounce = nullptr;
    slot->bounce_bytes = 0;
  }

  static void ReleasePins(Slot* slot) {
    for (Allocation* pinned : slot->pins) ReleaseAllocation(pinned);
    slot->pins.clear();
  }

  // After the kernel is done with the slot's memory (and deliver() ran, for a bounced read):
  // drops the pins and frees bounce memory past what a slot, and the ring, keeps for reuse.
  void FinishTransfer(Slot* slot) {
    ReleasePins(slot);
    slot->bounced_read = false;
    if (slot->bounce_bytes > kBounceRetainSlotBytes || bounce_bytes_total_ > kBounceRetainTotalBytes) FreeBounce(slot);
  }

  // read(slot, fd, u8, offset, inline?) / write(slot, fd, u8, offset, inline?)
  Napi::Value Read(const Napi::CallbackInfo& info) { return Rw(info, IORING_OP_READ); }
  Napi::Value Write(const Napi::CallbackInfo& info) { return Rw(info, IORING_OP_WRITE); }

  Napi::Value Rw(const Napi::CallbackInfo& info, uint8_t op) {
    napi_value argv[5] = {info[0], info[1], info[2], info[3], info[4]};
    return RwCore(info.Env(), argv, op);
  }

  static napi_value FastRw(napi_env env, napi_callback_info info, uint8_t op) {
    napi_value argv[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
    Ring* ring = FastRing(env, info, argv, 5);
    if (ring == nullptr) return nullptr;
    return ring->RwCore(Napi::Env(env), argv, op);
  }

  Napi::Value ReadAtCall(const Napi::CallbackInfo& info) {
    napi_value argv[3] = {info[0], info[1], info[2]};
    return ReadAtCallCore(info.Env(), argv);
  }

  // readAtCall(fd, u8, offset) -> count | kResultDoneOverBudget | kResultNotAtCall: what
  // read(slot, fd, u8, offset, true) tries first (ReadInline), without a slot, for JS's lone read
  // on an idle ring. Why a call of its own: a cached read at a time is mostly the system call and
  // the crossing into the addon, and this one takes three arguments where read takes five (each a
  // Node-API call or two), and no slot to check. kResultNotAtCall: nothing was done or queued;
  // the read is the ring's (read with `inline` false). Same argument checks and errors as read.
  Napi::Value ReadAtCallCore(Napi::Env env, const napi_value* argv) {
    if (!Usable(env, true)) return env.Undefined();
    int fd = -1;
    uint64_t offset = 0;
    View view;
    if (!TransferArgs(env, argv, &fd, &view, &offset)) return env.Undefined();
    // A ring without IORING_OP_READ reads synchronously in read (RwCore) instead.
    const long got = ring_.Supports(IORING_OP_READ) ? ReadInline(fd, &view, offset, true) : -1;
    napi_value out = nullptr;
    // A count (at most kInlineReadBytesMax) and both codes are int32: a small integer, no heap number.
    const int32_t result = got >= 0 ? static_cast<int32_t>(got) : got == kDoneOverBudget ? static_cast<int32_t>(kResultDoneOverBudget)
                                                                                       : kResultNotAtCall;
    napi_create_int32(env, result, &out);
    return Napi::Value(env, out);
  }

  // The body of read/write; argv = (slot, fd, u8, offset, inline). `inline` true on a read: the
  // caller (JS) knows nothing else is queued or in flight, so it may be answered at once
  // (ReadInline); on a write: the caller opted in and nothing waits for a slot (WriteInline).
  Napi::Value RwCore(Napi::Env env, const napi_value* argv, uint8_t op) {
    uint32_t index;
    Slot* slot = SlotArg(env, argv[0], &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    uint64_t offset = 0;
    View view;
    if (!TransferArgs(env, argv + 1, &fd, &view, &offset)) return env.Undefined();
    if (!ring_.Supports(op)) {
      // Synchronous: the view's memory is valid for the whole call.
      const long ret = op == IORING_OP_READ ? pread(fd, view.data, view.length, static_cast<off_t>(offset))
                                            : pwrite(fd, view.data, view.length, static_cast<off_t>(offset));
      return Result(env, ret);
    }
    if (IsTrue(env, argv[4])) {
      const long got = op == IORING_OP_READ ? ReadInline(fd, &view, offset, true) : WriteInline(fd, &view, 1, offset);
      if (got >= 0) return Napi::Number::New(env, static_cast<double>(got));
      if (got == kDoneOverBudget) return Napi::Number::New(env, kResultDoneOverBudget);
    }
    const int err = PrepareTransfer(slot, op == IORING_OP_READ, &view, 1);
    if (err == kBounceBusy) return Napi::Number::New(env, kResultBounceBusy);
    if (err != 0) return Napi::Number::New(env, -err);
    uint8_t* target = static_cast<uint8_t*>(slot->iov[0].iov_base);
    PrepRw(slot, op, fd, reinterpret_cast<uint64_t>(target), static_cast<uint32_t>(view.length), offset);
    const int fixed = slot->pins.empty() ? -1 : FixedIndex(target, view.length);
    if (fixed >= 0) {
      slot->sqe.opcode = op == IORING_OP_READ ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED;
      slot->sqe.buf_index = static_cast<uint16_t>(fixed);
      ++fixed_transfers_;
    }
    return Queue(env, index, slot);
  }

  // An fd this ring opened: closed at teardown; a read on it may be answered inline unless it was
  // opened O_DIRECT, O_PATH or write-only (ReadInline).
  void NoteOpened(int fd, uint64_t flags) {
    owned_fds_.insert(fd);
    if ((flags & (O_DIRECT | O_PATH)) == 0 && (flags & O_ACCMODE) != O_WRONLY) inline_fds_.insert(fd);
    // A synced (O_DSYNC, O_SYNC) write waits for the device; an O_APPEND write ignores its
    // offset, so repeating a short one through the ring would append twice.
    if ((flags & (O_DIRECT | O_PATH | O_DSYNC | O_APPEND)) == 0 && (flags & O_ACCMODE) != O_RDONLY) {
      inline_write_fds_[fd] = (flags & O_ACCMODE) == O_RDWR ? kWriteFdReadable : 0;
    }
  }

  // Whether the per-poll budget of calls answered inline (kInlineCallsPerPollMax,
  // kInlineBytesPerPollMax; shared by reads and writes) has room for one of `length` bytes.
  // `taken_calls` and `taken_bytes`: what a batch checking its entries one by one has counted so far.
  bool InlineBudgetHas(size_t length, uint32_t taken_calls = 0, size_t taken_bytes = 0) const {
    return inline_calls_left_ > taken_calls && taken_bytes + length <= inline_bytes_left_;
  }

  // Takes one call of `length` bytes from that budget; it comes back once the event loop has
  // polled (OnRefill).
  void SpendInlineBudget(size_t length) {
    --inline_calls_left_;
    inline_bytes_left_ -= length;
    if (!refill_armed_ && handles_ != nullptr) {
      refill_armed_ = true;
      uv_check_start(&handles_->refill, OnRefill);
    }
  }

  // The fd's page at `page_offset` needs no read from the device for a partial write to it: it is
  // in the page cache, or wholly past the end of the file. One byte read with RWF_NOWAIT answers
  // both without waiting (1: cached; 0: end of file).
  static bool PageReady(int fd, uint64_t page_offset) {
    uint8_t byte = 0;
    iovec iov{&byte, 1};
    return preadv2(fd, &iov, 1, static_cast<off_t>(page_offset), RWF_NOWAIT) >= 0;
  }

  static int64_t MonotonicNanos() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
  }

  // A buffered write done by pwrite on this thread (see kInlineWriteBytesMax): the count, or -1
  // when the ring must do it. Unlike ReadInline, also while requests are in the ring: the contract
  // leaves the order of concurrent operations unspecified, and requiring an idle ring would send
  // every write to the ring from the first one it took while others are in flight (after a slow
  // write, say). JS offers a write only while no request waits for a slot, so none waiting is
  // overtaken. Only on an fd opened here as a regular file without O_DIRECT,
  // O_DSYNC/O_SYNC or O_APPEND. A write that covers its pages only in part goes inline only when
  // those edge pages need no read from the device (PageReady; an fd opened write-only cannot be
  // probed, so only whole pages); a page evicted between the probe and the write costs this
  // thread one device read. Only a write done whole is answered here: a short count or an error
  // goes to the ring, which writes the same bytes at the same offsets again and gives its answer,
  // so the caller sees exactly the ring's answer. The bytes come straight from the caller's view:
  // no JavaScript runs during this call, so the view cannot be detached or shrunk meanwhile.
  //
  // Past the per-poll budget the write is still done here, and the result says so
  // (kDoneOverBudget): JS settles it only after the loop has polled, which is what the budget
  // is for. Sending it to the ring instead would cost an io-wq round trip,
  // and at more than one write in flight the ring would then stay busy and take every later write
  // (8 awaited writes at a time: 217k/s, as through the ring, against 530k one at a time).
  //
  // A writev (`count` views, done by pwritev) follows the same rules over its whole range.
  long WriteInline(int fd, const View* views, uint32_t count, uint64_t offset) {
    if (count == 0 || count > kInlineWriteViewsMax) return -1;
    size_t length = 0;
    for (uint32_t i = 0; i < count; ++i) length += views[i].length;  // at most 64 views of < 2 GiB
    if (length == 0 || length > kInlineWriteBytesMax) return -1;
    const bool over_budget = !InlineBudgetHas(length);
    if (inline_write_backoff_ > 0) {
      --inline_write_backoff_;
      return -1;
    }
    auto found = inline_write_fds_.find(fd);
    if (found == inline_write_fds_.end()) return -1;
    if ((found->second & kWriteFdRegular) == 0) {
      struct stat st{};
      if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        inline_write_fds_.erase(found);  // a FIFO or a device could block this thread for good
        return -1;
      }
      found->second |= kWriteFdRegular;
    }
    const uint64_t end = offset + length;
    const uint64_t head_page = offset - offset % page_bytes_;
    const uint64_t tail_page = end - end % page_bytes_;
    if (head_page != offset || tail_page != end) {
      const bool ready = (found->second & kWriteFdReadable) != 0 &&
                         (head_page == offset || PageReady(fd, head_page)) &&
                         (tail_page == end || (tail_page == head_page && head_page != offset) || PageReady(fd, tail_page));
      if (!ready) {
        ++inline_write_misses_;
        return -1;
      }
    }
    const int64_t started = MonotonicNanos();
    ssize_t wrote;
    if (count == 1) {
      wrote = pwrite(fd, views[0].data, length, static_cast<off_t>(offset));
    } else {
      iovec iov[kInlineWriteViewsMax];
      for (uint32_t i = 0; i < count; ++i) iov[i] = iovec{views[i].data, views[i].length};
      wrote = pwritev(fd, iov, static_cast<int>(count), static_cast<off_t>(offset));
    }
    if (MonotonicNanos() - started > inline_write_slow_nanos_) {
      inline_write_backoff_ = kInlineBackoff;
      ++inline_writes_slow_;
    }
    if (wrote < 0 || static_cast<size_t>(wrote) != length) {
      ++inline_write_misses_;
      return -1;
    }
    ++inline_writes_;
    if (over_budget) return kDoneOverBudget;
    SpendInlineBudget(length);
    return wrote;
  }

  // A read answered from the page cache without the ring (see kInlineReadBytesMax): the count, or
  // -1 when the ring must do it. Only on an idle ring (nothing queued or in flight, so no request
  // is overtaken), within the budget left until the loop polls, on an fd opened here without O_DIRECT (a direct read
  // would wait for the device on this thread), and only a read the cache answers whole: RWF_NOWAIT
  // may stop short where the cache does, and a short count (end of file included) goes to the
  // ring, so the caller sees exactly the ring's answer. The bytes go straight into the caller's
  // view: no JavaScript runs during this call, so the view cannot be detached, shrunk or collected
  // meanwhile. An attempt the ring then repeats may leave bytes in the view past the ring's count
  // (a file shrunk in between) or before its error: the contract leaves those unspecified. A
  // private copy cost a memcpy per read (3% of a loop of cached 4 KiB reads).
  //
  // Past the per-poll budget a lone read (`over_budget_done`) is still done here, and the result
  // says so (kDoneOverBudget): JS settles it only after the loop has polled, as an inline write
  // past the budget. Sending it to the ring instead would keep the ring busy, and a busy ring takes
  // every later read until it drains: at 64 and 256 awaited reads in flight a fifth and nearly all
  // of the cached reads went through the ring that way, each with its SQE, bounce copy and wake-up
  // (2.2 against 1.8 µs of CPU per read at 256). A batch's reads stop at the budget instead (JS
  // offers the rest again after the poll).
  long ReadInline(int fd, const View* view, uint64_t offset, bool over_budget_done) {
    if (view->length == 0 || view->length > kInlineReadBytesMax || in_kernel_ != 0 || ring_.Unsubmitted() != 0) return -1;
    const bool over_budget = !InlineBudgetHas(view->length);
    if (over_budget) {
      inline_budget_spent_ = true;
      if (!over_budget_done) return -1;
    }
    if (inline_backoff_ > 0) {
      --inline_backoff_;
      return -1;
    }
    if (inline_fds_.count(fd) == 0) return -1;
    iovec iov{view->data, view->length};
    const ssize_t got = preadv2(fd, &iov, 1, static_cast<off_t>(offset), RWF_NOWAIT);
    if (got < 0 || static_cast<size_t>(got) != view->length) {
      NoteInlineMiss(fd, got < 0 ? -errno : 0);
      return -1;
    }
    inline_misses_in_row_ = 0;
    ++inline_reads_;
    if (over_budget) return kDoneOverBudget;
    SpendInlineBudget(view->length);
    return got;
  }

  // A read the page cache did not answer whole at the call: `err` its negated errno, 0 when it
  // was short. An error other than EAGAIN/EINTR means a file the cache cannot answer this way
  // (EOPNOTSUPP, ESPIPE, EISDIR...): the ring gives the answer, now and from now on. Misses in a
  // row pause the attempts (kInlineMissesMax, kInlineBackoff).
  void NoteInlineMiss(int fd, int err) {
    if (err < 0 && err != -EAGAIN && err != -EINTR) {
      inline_fds_.erase(fd);
    } else if (err < 0 && ++inline_misses_in_row_ >= kInlineMissesMax) {
      inline_misses_in_row_ = 0;
      inline_backoff_ = kInlineBackoff;
    }
    ++inline_misses_;
  }

  // readBatchAtCall(views, plan, count) -> answered: the reads of a batch (JS's readBatch), in
  // order, each as read(slot, plan[2i], views[i], plan[2i + 1], true) would try it at the call
  // (ReadInline: idle ring, budget, fd, whole answer from the page cache), until the first it
  // declines; returns how many it answered (each count is its view's length: ReadInline answers
  // only whole reads), or -1 - that many when it stopped because the per-poll budget is spent
  // (the rest may be offered again once the event loop has polled); the rest are JS's to queue.
  // Why one call for the batch: an N-API call per entry, with its argument checks, cost about a
  // tenth of a cached 4 KiB read. `plan` is a Float64Array of (fd, offset) pairs. Every element is
  // fetched before any memory is touched: fetching one could run a getter (JavaScript) that
  // detaches another view, or the plan; after that no JavaScript runs in this call.
  Napi::Value ReadBatchAtCall(const Napi::CallbackInfo& info) {
    napi_value argv[3] = {info[0], info[1], info[2]};
    return ReadBatchAtCallCore(info.Env(), argv);
  }

  Napi::Value ReadBatchAtCallCore(Napi::Env env, const napi_value* argv) {
    if (!Usable(env, true)) return env.Undefined();
    bool is_array = false;
    if (argv[0] == nullptr || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return ThrowType(env, "views must be an array");
    uint32_t views_length = 0;
    if (napi_get_array_length(env, argv[0], &views_length) != napi_ok) return ThrowType(env, "views must be an array");
    double number = 0;
    if (!IntArg(env, argv[2], 0, std::min<double>(kBatchEntriesMax, views_length), "count out of range", &number)) return env.Undefined();
    const uint32_t count = static_cast<uint32_t>(number);
    if (count == 0 || !ring_.Supports(IORING_OP_READ)) return Napi::Number::New(env, 0);
    std::vector<napi_value> elements(count);
    // Under the re-entrancy guard, as Elements: a getter must not reach the ring meanwhile.
    reading_elements_ = true;
    bool ok = true;
    for (uint32_t i = 0; i < count && ok; ++i) ok = napi_get_element(env, argv[0], i, &elements[i]) == napi_ok;
    reading_elements_ = false;
    if (!ok) {
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) ThrowType(env, "views: element unreadable");
      return env.Undefined();
    }
    // Read after the elements: from here on no JavaScript runs until this call returns.
    bool is_typed = false;
    napi_typedarray_type type;
    size_t plan_length = 0;
    void* plan_data = nullptr;
    if (argv[1] == nullptr || napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, argv[1], &type, &plan_length, &plan_data, nullptr, nullptr) != napi_ok ||
        type != napi_float64_array || plan_length < 2 * static_cast<size_t>(count)) {
      return ThrowType(env, "plan must be a Float64Array of (fd, offset) pairs");
    }
    const double* plan = static_cast<const double*>(plan_data);
    if (count >= 2 && BatchReadsOneEnter() && in_kernel_ == 0 && ring_.Unsubmitted() == 0 && ring_.CqEmpty()) {
      return ReadBatchOneEnter(env, elements, plan, count);
    }
    uint32_t answered = 0;
    bool budget_spent = false;
    for (; answered < count; ++answered) {
      View view;
      int fd = -1;
      uint64_t offset = 0;
      if (!ViewArg(env, elements[answered], "views must hold Uint8Arrays", &view) || !PlannedFdOffset(env, plan + 2 * answered, &fd, &offset)) {
        return env.Undefined();
      }
      if (ReadInline(fd, &view, offset, false) < 0) {
        budget_spent = view.length > 0 && view.length <= kInlineReadBytesMax && !InlineBudgetHas(view.length);
        break;
      }
    }
    return Napi::Number::New(env, budget_spent ? -1.0 - answered : answered);
  }

  // A plan's (fd, offset) pair: integers in range, else false with a RangeError pending.
  static bool PlannedFdOffset(napi_env env, const double* pair, int* fd, uint64_t* offset) {
    const double fd_number = pair[0];
    const double offset_number = pair[1];
    if (!(fd_number >= 0 && fd_number <= 2147483647.0) || fd_number != static_cast<double>(static_cast<int64_t>(fd_number))) {
      return ThrowRange(env, "fd out of range"), false;
    }
    if (!(offset_number >= 0 && offset_number <= kOffsetMax) || offset_number != static_cast<double>(static_cast<int64_t>(offset_number))) {
      return ThrowRange(env, "offset out of range"), false;
    }
    *fd = static_cast<int>(fd_number);
    *offset = static_cast<uint64_t>(offset_number);
    return true;
  }

  // Whether readBatchAtCall takes a batch of two or more in one io_uring_enter (ReadBatchOneEnter):
  // on a DEFER_TASKRUN ring (Linux 6.1+, never SQPOLL), whose kernels complete an RWF_NOWAIT read
  // the page cache cannot answer with -EAGAIN at once instead of handing it to a worker.
  bool BatchReadsOneEnter() const { return ring_.IsOpen() && ring_.defer_taskrun() && !ring_.sqpoll(); }

  // Whether `fd` is a regular file (fstat once per fd). ReadBatchOneEnter reads nothing else: a
  // ring read of a pipe or a socket consumes what it reads, so one it then declined (short) would
  // lose those bytes, where preadv2 (ReadInline) refuses such files with ESPIPE and takes nothing.
  bool RegularReadFd(int fd) {
    auto found = read_fd_regular_.find(fd);
    if (found != read_fd_regular_.end()) return found->second;
    struct stat st{};
    const bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    read_fd_regular_[fd] = regular;
    return regular;
  }

  // readBatchAtCall's way for two or more reads (BatchReadsOneEnter): the same answers under the
  // same rules as ReadInline's, entry by entry (an idle ring, the per-poll budget, a regular file
  // opened here without O_DIRECT, whole answers only, in order until the first declined), but as
  // RWF_NOWAIT reads into the callers' views submitted by one io_uring_enter that also waits, in
  // this call, for all their completions: one system call for the batch, where ReadInline makes one
  // per read (about a microsecond each on some virtual machines, which is why such hosts coalesce
  // reads into the ring, whose bounce copies this way avoids too). Memory safety: the kernel
  // writes the views only during this call, while no JavaScript can run, as preadv2 would; the
  // call does not return before every SQE it queued has completed (SubmitAndWaitAll; a read the
  // page cache cannot answer fails with -EAGAIN at once, so the wait is the reads' own copying).
  // The completions never reach the dispatcher: the ring is idle, so every CQE it holds is one of
  // these, reaped here. Entries after the first declined may have been read too (their views hold
  // those bytes); the caller sends them to the ring, whose answer is theirs, as ReadInline's
  // contract already allows. The eventfd is silenced meanwhile (these completions need no wake-up).
  Napi::Value ReadBatchOneEnter(Napi::Env env, const std::vector<napi_value>& elements, const double* plan, uint32_t count) {
    std::vector<View>& views = batch_views_;
    views.resize(count);
    uint32_t eligible = 0;
    size_t eligible_bytes = 0;
    bool budget_spent = false;
    for (; eligible < count; ++eligible) {
      int fd = -1;
      uint64_t offset = 0;
      if (!ViewArg(env, elements[eligible], "views must hold Uint8Arrays", &views[eligible]) ||
          !PlannedFdOffset(env, plan + 2 * eligible, &fd, &offset)) {
        return env.Undefined();
      }
      const size_t length = views[eligible].length;
      if (length == 0 || length > kInlineReadBytesMax || inline_fds_.count(fd) == 0 || !RegularReadFd(fd)) break;
      if (!InlineBudgetHas(length, eligible, eligible_bytes)) {
        budget_spent = true;
        inline_budget_spent_ = true;
        break;
      }
      eligible_bytes += length;
    }
    if (eligible > 0 && inline_backoff_ > 0) {
      --inline_backoff_;
      return Napi::Number::New(env, 0);
    }
    std::vector<int32_t>& results = batch_results_;
    results.assign(eligible, 0);
    const bool eventfd_was_enabled = ring_.EventfdEnabled();
    ring_.SetEventfdEnabled(false);
    uint32_t filled = 0;
    while (filled < eligible) {
      io_uring_sqe* sqe = ring_.GetSqe();
      if (sqe == nullptr) break;  // cannot happen on an idle ring with chunks of at most the SQ's size
      const double* pair = plan + 2 * filled;
      sqe->opcode = IORING_OP_READ;
      sqe->fd = static_cast<int>(pair[0]);
      sqe->addr = reinterpret_cast<uint64_t>(views[filled].data);
      sqe->len = static_cast<uint32_t>(views[filled].length);
      sqe->off = static_cast<uint64_t>(pair[1]);
      sqe->rw_flags = RWF_NOWAIT;
      sqe->user_data = kAtCallTag | filled;
      ++filled;
      if (ring_.Unsubmitted() < ring_.sq_entries() && filled < eligible) continue;
      ring_.SubmitAndWaitAll(ring_.CqReady() + ring_.Unsubmitted());
      ring_.Reap(UINT32_MAX, [this, &results, eligible](uint64_t user_data, int32_t res) {
        if (LoopPollCompleted(user_data)) return;
        const uint64_t index = user_data & ~kAtCallTag;
        if ((user_data & kAtCallTag) != 0 && index < eligible) results[index] = res;
      });
    }
    ring_.SetEventfdEnabled(eventfd_was_enabled);
    uint32_t answered = 0;
    for (; answered < filled; ++answered) {
      const int32_t res = results[answered];
      const size_t length = views[answered].length;
      if (res >= 0 && static_cast<size_t>(res) == length) {
        ++inline_reads_;
        inline_misses_in_row_ = 0;
        SpendInlineBudget(length);
        continue;
      }
      NoteInlineMiss(static_cast<int>(plan[2 * answered]), res < 0 ? res : 0);
      budget_spent = false;
      break;
    }
    return Napi::Number::New(env, budget_spent && answered == filled ? -1.0 - answered : answered);
  }

  // deliver(slot, u8 | u8[] | undefined) -> 0 | 1 | 2: copies a completed bounced read into the
  // caller's views (the same ones, in the same order, as at submission). 1, and nothing copied,
  // when a view no longer covers its range (detached, or its resizable buffer shrunk). Called by
  // the JS dispatch for records flagged so; undefined just drops the bounced bytes.
  Napi::Value Deliver(const Napi::CallbackInfo& info) {
    napi_value argv[2] = {info[0], info[1]};
    return DeliverCore(info.Env(), argv);
  }

  Napi::Value DeliverCore(Napi::Env env, const napi_value* argv) {
    if (!Usable(env, true)) return env.Undefined();
    double number = 0;
    if (!IntArg(env, argv[0], 0, static_cast<double>(slots_.size()) - 1, "slot out of range", &number)) return env.Undefined();
    Slot* slot = &slots_[static_cast<uint32_t>(number)];
    // 2: the slot holds no delivery (already delivered, or in use again): a caller bug.
    if (slot->state != SlotState::kFree || !slot->bounced_read) return Napi::Number::New(env, 2);
    const uint32_t count = static_cast<uint32_t>(slot->iov.size());
    // One view (read), the common case: no vectors to allocate, no second type check.
    View single;
    bool is_typed = false;
    if (count == 1 && napi_is_typedarray(env, argv[1], &is_typed) == napi_ok && is_typed) {
      if (!ViewArg(env, argv[1], "deliver: views must be Uint8Arrays", &single)) return env.Undefined();
      return Napi::Number::New(env, CopyOut(slot, &single));
    }
    if (IsType(env, argv[1], napi_undefined)) {
      FinishTransfer(slot);
      return Napi::Number::New(env, 0);
    }
    std::vector<napi_value> elements;
    if (!Elements(env, argv[1], count, &elements)) return env.Undefined();
    std::vector<View> views(count);
    for (uint32_t i = 0; i < count; ++i) {
      if (!ViewArg(env, elements[i], "deliver: views must be Uint8Arrays", &views[i])) return env.Undefined();
    }
    return Napi::Number::New(env, CopyOut(slot, views.data()));
  }

  // Copies a bounced read's bytes into `views` (as many as the iovecs), all or nothing: 1 when a
  // view no longer covers its range, else 0. Frees the slot's transfer state either way.
  int CopyOut(Slot* slot, const View* views) {
    const uint32_t count = static_cast<uint32_t>(slot->iov.size());
    for (uint32_t i = 0; i < count; ++i) {
      if (views[i].length < slot->iov[i].iov_len || views[i].detached) {
        FinishTransfer(slot);
        return 1;
      }
    }
    size_t remaining = slot->result > 0 ? static_cast<size_t>(slot->result) : 0;
    for (uint32_t i = 0; i < count && remaining > 0; ++i) {
      const size_t n = std::min(remaining, slot->iov[i].iov_len);
      if (slot->iov_bounced[i]) memcpy(views[i].data, slot->iov[i].iov_base, n);
      remaining -= n;
    }
    FinishTransfer(slot);
    return 0;
  }

  // The napi_values of a one-view call (a Uint8Array) or of an array of `count` views (exactly
  // `count` when count is given, else at most kIovMax). Reading elements may run JavaScript
  // (getters), so it happens before anything else is looked at, under the re-entrancy guard.
  bool Elements(napi_env env, napi_value value, uint32_t expected, std::vector<napi_value>* out) {
    bool is_array = false;
    if (value == nullptr || napi_is_array(env, value, &is_array) != napi_ok) return ThrowType(env, "buffers"), false;
    if (!is_array) {
      if (expected != 1 && expected != UINT32_MAX) return ThrowType(env, "buffers must be an array"), false;
      out->assign(1, value);
      return true;
    }
    uint32_t length = 0;
    if (napi_get_array_length(env, value, &length) != napi_ok) return ThrowType(env, "buffers"), false;
    if (length > kIovMax || (expected != UINT32_MAX && length != expected)) return ThrowRange(env, "buffers: wrong count (at most IOV_MAX)"), false;
    out->assign(length, nullptr);
    reading_elements_ = true;
    bool ok = true;
    for (uint32_t i = 0; i < length && ok; ++i) ok = napi_get_element(env, value, i, &(*out)[i]) == napi_ok;
    reading_elements_ = false;
    if (!ok) {
      // A getter threw: its exception is pending and reaches the caller.
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) ThrowType(env, "buffers: element unreadable");
    }
    return ok;
  }

  // The registered buffer wholly containing [data, data + length), or -1.
  int FixedIndex(const uint8_t* data, size_t length) const {
    if (arena_ == nullptr || data < arena_ || data >= arena_ + arena_bytes_) return -1;
    const size_t start = static_cast<size_t>(data - arena_);
    const size_t index = start / fixed_bytes_;
    if (start + length > (index + 1) * fixed_bytes_) return -1;
    return static_cast<int>(index);
  }

  // registerBuffers(count, lengthBytes) -> ArrayBuffer | { stage, errno }. One aligned arena of
  // count buffers, registered with IORING_REGISTER_BUFFERS. The arena is a reference-counted
  // allocation: JS's ArrayBuffer holds one share, the ring another until teardown (after which
  // the kernel has dropped its registration), so transferring the ArrayBuffer frees nothing.
  Napi::Value RegisterBuffers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env, true)) return env.Undefined();
    double count_value = 0;
    double each_value = 0;
    if (!IntArg(env, info[0], 1, 1024, "registerBuffers: count", &count_value) ||
        !IntArg(env, info[1], kAlignmentBytes, 1 << 30, "registerBuffers: lengthBytes", &each_value)) {
      return env.Undefined();
    }
    const uint32_t count = static_cast<uint32_t>(count_value);
    const uint32_t each = static_cast<uint32_t>(each_value);
    if (arena_ != nullptr || each % kAlignmentBytes != 0) return Failure(env, "register-buffers", EINVAL);
    const size_t total = static_cast<size_t>(count) * each;
    Allocation* arena = CreateAllocation(total, true);
    if (arena == nullptr) return Failure(env, "register-buffers", ENOMEM);
    uint8_t* memory = AllocationData(arena);
    std::vector<iovec> iov(count);
    for (uint32_t i = 0; i < count; ++i) {
      iov[i].iov_base = memory + static_cast<size_t>(i) * each;
      iov[i].iov_len = each;
    }
    if (syscall(__NR_io_uring_register, ring_.fd(), IORING_REGISTER_BUFFERS, iov.data(), count) != 0) {
      const int err = errno;
      ReleaseAllocation(arena);
      return Failure(env, "register-buffers", err);
    }
    napi_value buffer;
    if (!ExternalArrayBuffer(env, arena, &buffer)) {
      // Registered memory must stay put; without external buffers, leave registration unused.
      syscall(__NR_io_uring_register, ring_.fd(), IORING_UNREGISTER_BUFFERS, nullptr, 0);
      ReleaseAllocation(arena);
      return Failure(env, "register-buffers", ENOTSUP);
    }
    arena_alloc_ = arena;  // the ring's share
    arena_ = memory;
    arena_bytes_ = total;
    fixed_bytes_ = each;
    return Napi::Value(env, buffer);
  }

  Napi::Value Readv(const Napi::CallbackInfo& info) { return Rwv(info, IORING_OP_READV); }
  Napi::Value Writev(const Napi::CallbackInfo& info) { return Rwv(info, IORING_OP_WRITEV); }

  // readv/writev(slot, fd, u8[], offset, inline?). `inline` true on a writev: as on a write, the
  // caller opted in and nothing waits for a slot (WriteInline); ignored on a readv.
  Napi::Value Rwv(const Napi::CallbackInfo& info, uint8_t op) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    uint64_t offset = 0;
    if (!FdArg(env, info[1], "fd out of range", &fd) || !U64Arg(env, info[3], kOffsetMax, "offset out of range", &offset)) {
      return env.Undefined();
    }
    bool is_array = false;
    if (napi_is_array(env, info[2], &is_array) != napi_ok || !is_array) return ThrowType(env, "buffers must be an array");
    std::vector<napi_value> elements;
    if (!Elements(env, info[2], UINT32_MAX, &elements)) return env.Undefined();
    // A getter may have run: the slot must still be free and the ring open.
    if (!ring_.IsOpen() || slot->state != SlotState::kFree) return Throw(env, "slot in use");
    const uint32_t count = static_cast<uint32_t>(elements.size());
    std::vector<View> views(count);
    double total = 0;
    for (uint32_t i = 0; i < count; ++i) {
      if (!ViewArg(env, elements[i], "buffers must be Uint8Arrays", &views[i])) return env.Undefined();
      total += static_cast<double>(views[i].length);
    }
    if (total > kTransferBytesMax) return ThrowRange(env, "buffers too large");
    if (!ring_.Supports(op)) {
      std::vector<iovec> iov(count);
      for (uint32_t i = 0; i < count; ++i) iov[i] = iovec{views[i].data, views[i].length};
      const long ret = op == IORING_OP_READV ? preadv(fd, iov.data(), static_cast<int>(count), static_cast<off_t>(offset))
                                             : pwritev(fd, iov.data(), static_cast<int>(count), static_cast<off_t>(offset));
      return Result(env, ret);
    }
    if (op == IORING_OP_WRITEV && IsTrue(env, info[4])) {
      // No JavaScript runs from the views' reading (ViewArg) to the pwritev.
      const long got = WriteInline(fd, views.data(), count, offset);
      if (got >= 0) return Napi::Number::New(env, static_cast<double>(got));
      if (got == kDoneOverBudget) return Napi::Number::New(env, kResultDoneOverBudget);
    }
    const int err = PrepareTransfer(slot, op == IORING_OP_READV, views.data(), count);
    if (err == kBounceBusy) return Napi::Number::New(env, kResultBounceBusy);
    if (err != 0) return Napi::Number::New(env, -err);
    PrepRw(slot, op, fd, reinterpret_cast<uint64_t>(slot->iov.data()), count, offset);
    return Queue(env, index, slot);
  }

  // fsync(slot, fd, dataOnly)
  Napi::Value Fsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    bool data_only = false;
    if (!FdArg(env, info[1], "fd out of range", &fd) || !BoolArg(env, info[2], "dataOnly must be a boolean", &data_only)) return env.Undefined();
    if (!ring_.Supports(IORING_OP_FSYNC)) return Result(env, data_only ? fdatasync(fd) : fsync(fd));
    PrepRw(slot, IORING_OP_FSYNC, fd, 0, 0, 0);
    slot->sqe.fsync_flags = data_only ? IORING_FSYNC_DATASYNC : 0;
    return Queue(env, index, slot);
  }

  // writeSync(slot, fd, u8, offset, dataOnly, inline?): a write linked (IOSQE_IO_LINK) to an
  // fsync, one submission. The kernel runs the fsync only after the write completed in full; a
  // failed or short write cancels it. The record's res is the write's count when both succeeded,
  // the write's result when it failed or was short (aux0 = 0), the fsync's error otherwise
  // (aux0 = 1). -ENOSYS when the kernel lacks either opcode (JS then runs the two operations
  // itself). With `inline` (the caller opted in to inlineWrites and nothing waits for a slot) the
  // write may be done at the call by WriteInline, and then only the fsync is queued
  // (QueueSyncAfterInlineWrite).
  Napi::Value WriteSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    uint64_t offset = 0;
    View view;
    bool data_only = false;
    const napi_value transfer[3] = {info[1], info[2], info[3]};
    if (!TransferArgs(env, transfer, &fd, &view, &offset) || !BoolArg(env, info[4], "dataOnly must be a boolean", &data_only)) {
      return env.Undefined();
    }
    if (!ring_.Supports(IORING_OP_WRITE) || !ring_.Supports(IORING_OP_FSYNC)) return Napi::Number::New(env, -ENOSYS);
    // Room for the fsync's SQE first: once the write is done, queueing the sync must not fail.
    if (IsTrue(env, info[5]) && ring_.MakeRoom(1)) {
      const long got = WriteInline(fd, &view, 1, offset);
      if (got >= 0 || got == kDoneOverBudget) return QueueSyncAfterInlineWrite(env, index, slot, fd, data_only, view.length);
    }
    const int err = PrepareTransfer(slot, false, &view, 1);
    if (err == kBounceBusy) return Napi::Number::New(env, kResultBounceBusy);
    if (err != 0) return Napi::Number::New(env, -err);
    uint8_t* source = static_cast<uint8_t*>(slot->iov[0].iov_base);
    PrepRw(slot, IORING_OP_WRITE, fd, reinterpret_cast<uint64_t>(source), static_cast<uint32_t>(view.length), offset);
    const int fixed = slot->pins.empty() ? -1 : FixedIndex(source, view.length);
    if (fixed >= 0) {
      slot->sqe.opcode = IORING_OP_WRITE_FIXED;
      slot->sqe.buf_index = static_cast<uint16_t>(fixed);
      ++fixed_transfers_;
    }
    slot->sqe.flags |= IOSQE_IO_LINK;
    slot->write_skips = (ring_.features() & IORING_FEAT_CQE_SKIP) != 0;
    if (slot->write_skips) slot->sqe.flags |= IOSQE_CQE_SKIP_SUCCESS;
    memset(&slot->sqe_sync, 0, sizeof(slot->sqe_sync));
    slot->sqe_sync.opcode = IORING_OP_FSYNC;
    slot->sqe_sync.fd = fd;
    slot->sqe_sync.fsync_flags = data_only ? IORING_FSYNC_DATASYNC : 0;
    slot->linked = true;
    slot->write_len = static_cast<uint32_t>(view.length);
    return QueuePair(env, index, slot);
  }

  // The rest of a writeSync whose write WriteInline did whole at the call: the fsync alone, in a
  // slot that completes as a pair whose write half posted nothing (as with CQE_SKIP_SUCCESS), so
  // the record is the same as for the linked pair: the count, or the fsync's error (aux0 = 1).
  // Why: on a DEFER_TASKRUN ring an io-wq write linked to an fsync completes through this
  // thread's task work, and the kernel issues the fsync only when this thread runs it: one wake-up
  // more per synced append, between the write and the sync. Done here, the write costs a
  // page-cache copy and the sync starts with the submission. Over the per-poll budget too: the
  // promise settles only with the fsync's completion, which never comes inside this call.
  Napi::Value QueueSyncAfterInlineWrite(Napi::Env env, uint32_t index, Slot* slot, int fd, bool data_only, size_t length) {
    PrepRw(slot, IORING_OP_FSYNC, fd, 0, 0, 0);
    slot->sqe.fsync_flags = data_only ? IORING_FSYNC_DATASYNC : 0;
    slot->sqe.user_data = index;
    slot->sqe_sync = slot->sqe;  // what LinkedCqe resubmits after -EINTR/-EAGAIN
    slot->linked = true;
    slot->write_skips = true;
    slot->write_len = static_cast<uint32_t>(length);
    slot->write_seen = slot->sync_seen = false;
    return Queue(env, index, slot);
  }

  // Queue for a writeSync slot: both SQEs, in order, in the same submission.
  Napi::Value QueuePair(Napi::Env env, uint32_t index, Slot* slot) {
    io_uring_sqe* first = nullptr;
    io_uring_sqe* second = nullptr;
    if (!ring_.GetSqePair(&first, &second)) {
      FinishTransfer(slot);
      return Napi::Number::New(env, -EBUSY);
    }
    slot->sqe.user_data = index | kLinkTag;
    slot->sqe_sync.user_data = index;
    *first = slot->sqe;
    *second = slot->sqe_sync;
    slot->write_seen = slot->sync_seen = false;
    MarkInKernel(slot);
    return env.Undefined();
  }

  // Records one CQE of a writeSync slot; true once the slot has all it will get. Without
  // CQE_SKIP both halves always post (the sync -ECANCELED when the write failed or was short).
  // With it exactly one CQE comes: the write's when it failed or was short (the kernel then also
  // skips the cancelled sync's, REQ_F_SKIP_LINK_CQES), else the sync's, the write being whole.
  static bool LinkedArrived(Slot* slot, bool write_half, int32_t res) {
    if (write_half) {
      slot->write_res = res;
      slot->write_seen = true;
    } else {
      slot->sync_res = res;
      slot->sync_seen = true;
    }
    if (!slot->write_skips) return slot->write_seen && slot->sync_seen;
    if (write_half) {
      slot->sync_res = -ECANCELED;
    } else {
      slot->write_res = static_cast<int32_t>(slot->write_len);
    }
    return true;
  }

  // One CQE of a writeSync slot. False while more are due (or the pair was resubmitted after
  // -EINTR/-EAGAIN); true with the combined result in *res once the slot is done.
  bool LinkedCqe(Slot* slot, bool write_half, int32_t* res) {
    if (!LinkedArrived(slot, write_half, *res)) return false;
    const auto transient = [](int32_t r) { return r == -EINTR || r == -EAGAIN; };
    const bool write_whole = slot->write_res >= 0 && static_cast<uint32_t>(slot->write_res) == slot->write_len;
    if (slot->retries < kRetriesMax && transient(slot->write_res)) {
      io_uring_sqe* first = nullptr;
      io_uring_sqe* second = nullptr;
      if (ring_.GetSqePair(&first, &second)) {
        ++slot->retries;
        ++retries_total_;
        *first = slot->sqe;
        *second = slot->sqe_sync;
        slot->write_seen = slot->sync_seen = false;
        return false;
      }
    } else if (slot->retries < kRetriesMax && write_whole && transient(slot->sync_res)) {
      io_uring_sqe* sqe = ring_.GetSqe();
      if (sqe != nullptr) {
        ++slot->retries;
        ++retries_total_;
        *sqe = slot->sqe_sync;
        slot->sync_seen = false;
        return false;
      }
    }
    *res = !write_whole ? slot->write_res : slot->sync_res < 0 ? slot->sync_res : slot->write_res;
    return true;
  }

  // fallocate(slot, fd, offset, length): mode 0. The SQE carries the length in addr, mode in len.
  Napi::Value Fallocate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    uint64_t offset = 0;
    uint64_t length = 0;
    if (!FdArg(env, info[1], "fd out of range", &fd) || !U64Arg(env, info[2], kOffsetMax, "offset out of range", &offset) ||
        !U64Arg(env, info[3], kOffsetMax, "length out of range", &length)) {
      return env.Undefined();
    }
    if (!ring_.Supports(IORING_OP_FALLOCATE)) {
      return Result(env, fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(length)));
    }
    PrepRw(slot, IORING_OP_FALLOCATE, fd, length, 0, offset);
    return Queue(env, index, slot);
  }

  // ftruncate(slot, fd, length)
  Napi::Value Ftruncate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    uint64_t length = 0;
    if (!FdArg(env, info[1], "fd out of range", &fd) || !U64Arg(env, info[2], kOffsetMax, "length out of range", &length)) return env.Undefined();
    if (!ring_.Supports(faultline_abi::kOpFtruncate)) return Result(env, ftruncate(fd, static_cast<off_t>(length)));
    PrepRw(slot, faultline_abi::kOpFtruncate, fd, 0, 0, length);
    return Queue(env, index, slot);
  }

  // openat2(slot, dirfd, path, flags, mode, resolve)
  Napi::Value Openat2(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int dirfd = -1;
    std::string path;
    double flags = 0;
    double mode = 0;
    double resolve = 0;
    if (!DirFdArg(env, info[1], "dirFd out of range", &dirfd) || !StringArg(env, info[2], "path must be a string without NUL", &path) ||
        !IntArg(env, info[3], 0, 4294967295.0, "flags out of range", &flags) || !IntArg(env, info[4], 0, 07777, "mode out of range", &mode) ||
        !IntArg(env, info[5], 0, 255, "resolve out of range", &resolve)) {
      return env.Undefined();
    }
    slot->path_a = std::move(path);
    memset(&slot->how, 0, sizeof(slot->how));
    slot->how.flags = static_cast<uint64_t>(flags);
    slot->how.mode = static_cast<uint64_t>(mode);
    slot->how.resolve = static_cast<uint64_t>(resolve);
    if (!ring_.Supports(IORING_OP_OPENAT2)) {
      const long fd = syscall(SYS_openat2, dirfd, slot->path_a.c_str(), &slot->how, sizeof(slot->how));
      if (fd >= 0) NoteOpened(static_cast<int>(fd), slot->how.flags);
      return Result(env, fd);
    }
    PrepRw(slot, IORING_OP_OPENAT2, dirfd, reinterpret_cast<uint64_t>(slot->path_a.c_str()),
           sizeof(slot->how), reinterpret_cast<uint64_t>(&slot->how));
    return Queue(env, index, slot);
  }

  // close(slot, fd)
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    if (!FdArg(env, info[1], "fd out of range", &fd)) return env.Undefined();
    if (fd == root_fd_ || fd == ring_.fd() || (wake_fd_ >= 0 && fd == wake_fd_)) return Throw(env, "close: not a file of this ring");
    owned_fds_.erase(fd);
    inline_fds_.erase(fd);
    read_fd_regular_.erase(fd);
    inline_write_fds_.erase(fd);
    if (!ring_.Supports(IORING_OP_CLOSE)) return Result(env, close(fd));
    PrepRw(slot, IORING_OP_CLOSE, fd, 0, 0, 0);
    return Queue(env, index, slot);
  }

  // statx(slot, dirfd, path, flags): of the open fd itself when path is "" (AT_EMPTY_PATH), else
  // of path relative to dirfd; aux0 = size, aux1 = mode.
  Napi::Value Statx(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int fd = -1;
    std::string path;
    double flags = 0;
    if (!DirFdArg(env, info[1], "fd out of range", &fd)) return env.Undefined();
    if (info.Length() > 2 && !(StringArg(env, info[2], "path must be a string without NUL", &path) &&
                               IntArg(env, info[3], 0, AT_SYMLINK_NOFOLLOW, "flags out of range", &flags))) {
      return env.Undefined();
    }
    slot->path_a = std::move(path);
    const int at_flags = slot->path_a.empty() ? AT_EMPTY_PATH : static_cast<int>(flags);
    memset(&slot->stx, 0, sizeof(slot->stx));
    const unsigned mask = STATX_TYPE | STATX_MODE | STATX_SIZE;
    if (!ring_.Supports(IORING_OP_STATX)) {
      const long ret = syscall(SYS_statx, fd, slot->path_a.c_str(), at_flags, mask, &slot->stx);
      if (ret < 0) return Napi::Number::New(env, -errno);
      Napi::Array out = Napi::Array::New(env, 2);
      out.Set(0u, static_cast<double>(slot->stx.stx_size));
      out.Set(1u, static_cast<double>(slot->stx.stx_mode));
      return out;
    }
    PrepRw(slot, IORING_OP_STATX, fd, reinterpret_cast<uint64_t>(slot->path_a.c_str()), mask,
           reinterpret_cast<uint64_t>(&slot->stx));
    slot->sqe.statx_flags = static_cast<uint32_t>(at_flags);
    slot->wants_statx = true;
    return Queue(env, index, slot);
  }

  // renameat(slot, olddirfd, oldname, newdirfd, newname)
  Napi::Value Renameat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int old_dir = -1;
    int new_dir = -1;
    std::string old_name;
    std::string new_name;
    if (!DirFdArg(env, info[1], "fromDirFd out of range", &old_dir) || !StringArg(env, info[2], "fromName must be a string without NUL", &old_name) ||
        !DirFdArg(env, info[3], "toDirFd out of range", &new_dir) || !StringArg(env, info[4], "toName must be a string without NUL", &new_name)) {
      return env.Undefined();
    }
    slot->path_a = std::move(old_name);
    slot->path_b = std::move(new_name);
    if (!ring_.Supports(IORING_OP_RENAMEAT)) {
      return Result(env, renameat(old_dir, slot->path_a.c_str(), new_dir, slot->path_b.c_str()));
    }
    PrepRw(slot, IORING_OP_RENAMEAT, old_dir, reinterpret_cast<uint64_t>(slot->path_a.c_str()),
           static_cast<uint32_t>(new_dir), reinterpret_cast<uint64_t>(slot->path_b.c_str()));
    return Queue(env, index, slot);
  }

  // unlinkat(slot, dirfd, name, flags)
  Napi::Value Unlinkat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int dirfd = -1;
    std::string name;
    double flags = 0;
    if (!DirFdArg(env, info[1], "dirFd out of range", &dirfd) || !StringArg(env, info[2], "name must be a string without NUL", &name) ||
        !IntArg(env, info[3], 0, AT_REMOVEDIR, "flags out of range", &flags)) {
      return env.Undefined();
    }
    slot->path_a = std::move(name);
    if (!ring_.Supports(IORING_OP_UNLINKAT)) return Result(env, unlinkat(dirfd, slot->path_a.c_str(), static_cast<int>(flags)));
    PrepRw(slot, IORING_OP_UNLINKAT, dirfd, reinterpret_cast<uint64_t>(slot->path_a.c_str()), 0, 0);
    slot->sqe.unlink_flags = static_cast<uint32_t>(flags);
    return Queue(env, index, slot);
  }

  // mkdirat(slot, dirfd, name, mode)
  Napi::Value Mkdirat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    int dirfd = -1;
    std::string name;
    double mode = 0;
    if (!DirFdArg(env, info[1], "dirFd out of range", &dirfd) || !StringArg(env, info[2], "name must be a string without NUL", &name) ||
        !IntArg(env, info[3], 0, 07777, "mode out of range", &mode)) {
      return env.Undefined();
    }
    slot->path_a = std::move(name);
    if (!ring_.Supports(IORING_OP_MKDIRAT)) return Result(env, mkdirat(dirfd, slot->path_a.c_str(), static_cast<mode_t>(mode)));
    PrepRw(slot, IORING_OP_MKDIRAT, dirfd, reinterpret_cast<uint64_t>(slot->path_a.c_str()), static_cast<uint32_t>(mode), 0);
    return Queue(env, index, slot);
  }

  // readlink(dirfd, path) -> string | -errno. readlinkat on the JS thread (no fd needed).
  Napi::Value Readlink(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env, true)) return env.Undefined();
    int dirfd = -1;
    std::string path;
    if (!DirFdArg(env, info[0], "dirFd out of range", &dirfd) || !StringArg(env, info[1], "path must be a string without NUL", &path)) {
      return env.Undefined();
    }
    std::vector<char> target(PATH_MAX + 1);
    const ssize_t got = readlinkat(dirfd, path.c_str(), target.data(), target.size());
    if (got < 0) return Napi::Number::New(env, -errno);
    if (static_cast<size_t>(got) >= target.size()) return Napi::Number::New(env, -ENAMETOOLONG);
    return Napi::String::New(env, target.data(), static_cast<size_t>(got));
  }

  // readdir(fd) -> string[] | -errno. getdents64 on the JS thread: io_uring has no readdir op.
  Napi::Value Readdir(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env, true)) return env.Undefined();
    int fd = -1;
    if (!FdArg(env, info[0], "fd out of range", &fd)) return env.Undefined();
    std::vector<char> buffer(64 * 1024);
    Napi::Array names = Napi::Array::New(env);
    uint32_t count = 0;
    for (;;) {
      const long got = syscall(SYS_getdents64, fd, buffer.data(), buffer.size());
      if (got < 0) {
        if (errno == EINTR) continue;
        return Napi::Number::New(env, -errno);
      }
      if (got == 0) break;
      for (long pos = 0; pos < got;) {
        const auto* entry = reinterpret_cast<const struct dirent64*>(buffer.data() + pos);
        pos += entry->d_reclen;
        const char* name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if (count >= kReaddirEntriesMax) return Napi::Number::New(env, -E2BIG);
        names.Set(count++, Napi::String::New(env, name));
      }
    }
    return names;
  }

  // cancelAll(): asks the kernel to cancel every request in flight; their completions follow.
  Napi::Value CancelAll(const Napi::CallbackInfo& info) {
    if (!Usable(info.Env(), false)) return info.Env().Undefined();
    if (ring_.IsOpen()) {
      QueueCancels();
      ring_.Submit();
    }
    return info.Env().Undefined();
  }

  // destroy(): drains (cancelling what is left) and frees the ring. Idempotent.
  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    if (!Usable(info.Env(), false)) return info.Env().Undefined();
    Teardown();
    return info.Env().Undefined();
  }

  // ---- completion side ----

  void QueueCancels() {
    if (!ring_.Supports(IORING_OP_ASYNC_CANCEL)) return;
    for (uint32_t i = 0; i < slots_.size(); ++i) {
      // A write+fsync pair is left to finish: cancelling its sync after a skipped write CQE would
      // leave nothing to say whether the write ran. Both halves end on their own (the drain is
      // bounded anyway).
      if (slots_[i].state != SlotState::kInKernel || slots_[i].linked) continue;
      io_uring_sqe* sqe = ring_.GetSqe();
      if (sqe == nullptr) return;  // SQ wedged: draining still waits for natural completion
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->fd = -1;
      sqe->addr = i;
      sqe->user_data = kCancelTag;
    }
  }

  // Waits, without JavaScript (teardown paths), until every request has completed or
  // kDrainMillisMax has passed. True when nothing is left in the kernel.
  bool CancelAndDrain() {
    if (in_kernel_ == 0) return true;
    // Teardown may come from inside a dispatch, which silenced the eventfd the wait below needs.
    ring_.SetEventfdEnabled(true);
    QueueCancels();
    ring_.Submit();
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    // Bounded twice: by time, and by rounds (every wake-up with a CQE retires at least one).
    const uint64_t rounds_max = 4ULL * (slots_.size() + 1) + 1024;
    for (uint64_t round = 0; in_kernel_ > 0 && round < rounds_max; ++round) {
      if (ring_.OverflowFlagged()) ring_.FlushOverflow();
      if (ring_.Unsubmitted() > 0) ring_.Submit();
      // Cleared before looking, so a stale signal cannot turn the wait below into a spin.
      ClearWakeFd();
      ring_.RunDeferred();
      if (ring_.CqEmpty()) {
        timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        const long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms >= kDrainMillisMax) break;
        pollfd waiter{WakeFd(), POLLIN, 0};
        if (poll(&waiter, 1, static_cast<int>(kDrainMillisMax - elapsed_ms)) < 0 && errno != EINTR) break;
        ring_.RunDeferred();
      }
      ring_.Reap(UINT32_MAX, [this](uint64_t user_data, int32_t res) {
        if (LoopPollCompleted(user_data) || (user_data & kCancelTag) != 0) return;
        const uint64_t user_data_tagged = user_data;
        user_data &= ~kLinkTag;
        if (user_data < slots_.size() && slots_[user_data].state == SlotState::kInKernel) {
          Slot& slot = slots_[user_data];
          if (slot.linked && !LinkedArrived(&slot, (user_data_tagged & kLinkTag) != 0, res)) return;
          if (slot.sqe.opcode == IORING_OP_OPENAT2 && res >= 0) NoteOpened(res, slot.how.flags);
          slot.state = SlotState::kFree;
          FinishTransfer(&slot);
          --in_kernel_;
        }
      });
    }
    return in_kernel_ == 0;
  }

  // While requests are in the kernel the ring keeps its dispatcher (and through it itself, see
  // Start) and the event loop alive, as node:fs does for a pending request: an abandoned ring
  // delivers its completions and only then can be collected, and the process exits once nothing
  // is pending. One reference flip per idle/busy transition, none per request.
  void Hold() {
    if (held_) return;
    held_ = true;
    callback_.Ref();
    uv_ref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
  }

  void ReleaseIfIdle() {
    if (!held_ || in_kernel_ != 0) return;
    held_ = false;
    callback_.Unref();
    if (handles_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
  }

  static void OnPoll(uv_poll_t* handle, int, int) {
    LoopHandles* box = static_cast<LoopHandles*>(handle->data);
    if (box->owner == nullptr) return;
    Ring* ring = box->owner;
    ++ring->wake_ups_;
    // Consumed before the completions it announced are posted, so none can be missed.
    ring->ClearWakeFd();
    ring->Quiet();
    if (ring->ring_.DeferredMayWait()) ring->ring_.RunDeferred();
    ring->SpreadBacklog();
    ring->rounds_left_ = kDispatchRoundsMax;
    ring->Dispatch();
    DispatchUntilRearmed(box);
    if (box->owner != nullptr) box->owner->ArmWaitTurn();
  }

  // The end of a wake-up (OnPoll, OnSubmitTurn): re-arms the eventfd, and while that finds
  // completions posted (Rearm) and the wake-up has rounds left, dispatches them here rather than
  // signal the eventfd and come back through the event loop. Why: a completion that arrives
  // during the dispatch's last submission (an io-wq write on the same CPU, which runs when this
  // thread enters the kernel) otherwise costs an eventfd write, a poll, an eventfd read and an
  // io_uring_enter before JS sees it: 88% of one buffered write at a time, pinned to one CPU.
  // Bounded by the wake-up's rounds (kDispatchRoundsMax in all) and by a count of its own; Rearm
  // is always the last call, so completions left in the CQ always get their signal.
  static void DispatchUntilRearmed(LoopHandles* box) {
    // JavaScript ran in the dispatch and may have torn the ring down (owner cleared).
    for (int again = 0; box->owner != nullptr && box->owner->Rearm(again < kDispatchRoundsMax); ++again) {
      box->owner->Quiet();
      box->owner->Dispatch();
    }
  }

  // Right after the event loop's poll: the reads and writes answered inline since the last poll
  // get their budget back, so between two polls there are at most kInlineCallsPerPollMax of them.
  static void OnRefill(uv_check_t* handle) {
    LoopHandles* box = static_cast<LoopHandles*>(handle->data);
    uv_check_stop(handle);
    if (box->owner == nullptr) return;
    Ring* ring = box->owner;
    ring->refill_armed_ = false;
    ring->inline_calls_left_ = kInlineCallsPerPollMax;
    ring->inline_bytes_left_ = kInlineBytesPerPollMax;
    ring->inline_budget_spent_ = false;
  }

  static void OnSubmitTurn(uv_idle_t* handle) {
    LoopHandles* box = static_cast<LoopHandles*>(handle->data);
    uv_idle_stop(handle);
    if (box->owner == nullptr) return;
    Ring* ring = box->owner;
    ring->submit_armed_ = false;
    if (ring->wait_in_ring_ && ring->WaitTurnDue()) {
      // The submission goes with the wait, in one io_uring_enter, in this turn's prepare phase.
      ring->ArmWaitTurn();
      return;
    }
    ring->Quiet();
    ring->ring_.Submit();
    // Page-cache hits complete inside io_uring_enter: deliver them now rather than after
    // another trip through epoll.
    ring->spin_spent_ = false;
    ring->rounds_left_ = kDispatchRoundsMax;
    if (!ring->ring_.CqEmpty() || ring->SpinForPolledCompletion()) ring->Dispatch();
    DispatchUntilRearmed(box);
    if (box->owner != nullptr) box->owner->ArmWaitTurn();
  }

  // ---- waitInRing ----
  // The event loop blocks in io_uring_enter instead of epoll while this ring has requests in the
  // kernel. Why: a completion then wakes this thread directly, posted in the same system call that
  // submitted the next request, as fio's loop does, instead of an eventfd signal, an epoll wake-up,
  // an eventfd read and an io_uring_enter to post it (measured: 1 enter per O_DIRECT read one at a
  // time against 4 system calls). How: while requests are in the kernel, an idle handle keeps
  // libuv's own poll from blocking and a prepare handle (OnWaitTurn) waits in the ring for at most
  // the time libuv would have slept (uv_backend_timeout: the next timer; 0 with immediates, pending
  // callbacks, other idle handles or fds libuv has yet to add to epoll), with a poll request on
  // libuv's epoll fd in the same ring, so any fd libuv watches (sockets, signals, thread-pool and
  // worker messages, other rings' eventfds) ends the wait as it would have ended epoll's. The
  // eventfd stays silenced while we wait.
  // The wait runs in the prepare phase, right before libuv's poll, not in the idle phase: while
  // libuv runs idle handles it has moved them off its list, so uv_backend_timeout there cannot see
  // the ones still to run (Node's handle for pending immediates among them) and would let us block.
  // Costs, documented: the wait counts as busy in the loop's idle-time metrics (ELU), and prepare
  // handles that run after ours run after the wait.
  bool WaitTurnDue() const {
    return handles_ != nullptr && ring_.IsOpen() && in_kernel_ > 0 && !dispatching_ && !inline_budget_spent_;
  }

  void ArmWaitTurn() {
    if (!wait_in_ring_ || !WaitTurnDue()) return;
    uv_idle_start(&handles_->wait_hold, [](uv_idle_t*) {});
    uv_prepare_start(&handles_->wait_turn, OnWaitTurn);
  }

  static void OnWaitTurn(uv_prepare_t* handle) {
    LoopHandles* box = static_cast<LoopHandles*>(handle->data);
    uv_prepare_stop(handle);
    // Stopped before uv_backend_timeout is asked, which would otherwise always answer 0.
    uv_idle_stop(&box->wait_hold);
    if (box->owner == nullptr) return;
    box->owner->WaitInRing(box);
  }

  // True for the CQE of the loop poll (its request is over: WaitInRing arms a new one).
  bool LoopPollCompleted(uint64_t user_data) {
    if (user_data != kLoopPollTag) return false;
    loop_poll_armed_ = false;
    loop_poll_fired_ = true;
    return true;
  }

  bool ArmLoopPoll() {
    if (loop_poll_armed_) return true;
    io_uring_sqe* sqe = ring_.GetSqe();
    if (sqe == nullptr) return false;
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = uv_backend_fd(loop_);
    sqe->poll32_events = POLLIN;
    sqe->user_data = kLoopPollTag;
    loop_poll_armed_ = true;
    return true;
  }

  // Up to kWaitRoundsMax rounds of: submit what is queued and wait (one io_uring_enter), then hand
  // what completed to JS, whose answers are submitted by the next round's wait. Ends when nothing
  // is in the kernel, when something else wants the loop (uv_backend_timeout 0, the loop poll's
  // CQE, a timeout, a signal) or when the per-poll read budget is spent; then submits what is
  // left, re-arms the eventfd like every wake-up, and takes the next turn while requests remain.
  void WaitInRing(LoopHandles* box) {
    for (int round = 0; round < kWaitRoundsMax && WaitTurnDue(); ++round) {
      uv_update_time(loop_);
      const int timeout_millis = uv_backend_timeout(loop_);
      if (timeout_millis == 0) break;
      Quiet();
      if (!ArmLoopPoll()) break;
      loop_poll_fired_ = false;
      ++ring_waits_;
      // The count submitted, or -errno only when nothing was (a wait that timed out after
      // submitting still returns the count): an empty CQ is what says the wait ended empty.
      const uint64_t wait_start_nanos = uv_hrtime();
      const int ret = ring_.SubmitAndWaitFor(timeout_millis);
      const uint64_t waited_nanos = uv_hrtime() - wait_start_nanos;
      ring_wait_nanos_ += waited_nanos;
      thread_ring_wait_nanos += waited_nanos;
      if (ring_.CqEmpty()) {
        if (!WaitUnusable(ret)) ++ring_waits_timed_out_;  // the timeout (the loop's next timer), or a signal
        break;
      }
      rounds_left_ = 1;
      submit_after_dispatch_ = false;
      Dispatch();
      submit_after_dispatch_ = true;
      // JavaScript ran and may have torn the ring down (owner cleared).
      if (box->owner == nullptr) return;
      if (loop_poll_fired_) ++ring_waits_loop_woken_;
      if (loop_poll_fired_ || WaitUnusable(ret)) break;
    }
    if (!ring_.IsOpen()) return;
    if (ring_.Unsubmitted() > 0) ring_.Submit();
    rounds_left_ = kDispatchRoundsMax;
    DispatchUntilRearmed(box);
    if (box->owner != nullptr) box->owner->ArmWaitTurn();
  }

  // A wait that failed for another reason than its timeout, a signal or a full CQ would fail again
  // at every turn, and each turn keeps libuv's poll from blocking: the mode is turned off instead
  // (ringInfo.waitInRing), and the loop sleeps in epoll as without it.
  bool WaitUnusable(int ret) {
    if (ret >= 0 || ret == -ETIME || ret == -EINTR || ret == -EBUSY || ret == -EAGAIN) return false;
    wait_in_ring_ = false;
    return true;
  }

  // Device completions found together at a wake-up go to JS in a few smaller rounds, each
  // followed by a submission of what JS queued in answer, instead of one round and one submission.
  // Requests that completed together and were resubmitted together complete together again: a
  // queue of 8 O_DIRECT reads ran as batches of 8 that drained to zero before refilling (8 SQEs per
  // io_uring_enter measured, 47k reads/s where fio, reaping 1-4 at a time, kept 8 in flight: 64k).
  // Spreading the resubmissions over a few rounds breaks the lockstep (52-59k in the same run).
  // Completions that arrive inline with a submission (page-cache hits) are not spread: they are
  // reaped whole, as before.
  // Not when the last dispatch stopped at its round limit with completions still in the CQ: that
  // is a busy ring of page-cache hits, where every extra round is an io_uring_enter more per few
  // reads (4% fewer cached reads at QD 8 measured before this exception) and nothing is in lockstep.
  void SpreadBacklog() {
    const uint32_t ready = ring_.CqReady();
    spread_left_ = ready > 1 && !left_over_ ? ready : 0;
    spread_chunk_ = (ready + kSpreadRounds - 1) / kSpreadRounds;
    left_over_ = false;
  }

  // The eventfd wake-up of a DEFER_TASKRUN ring (see Start); the ring fd otherwise.
  int WakeFd() const { return wake_fd_ >= 0 ? wake_fd_ : ring_.fd(); }

  void ClearWakeFd() {
    if (wake_fd_ < 0) return;
    uint64_t count = 0;
    // Non-blocking; nothing to read (EAGAIN) is fine.
    if (read(wake_fd_, &count, sizeof(count)) < 0) return;
  }

  void CloseWakeFd() {
    if (wake_fd_ >= 0) close(wake_fd_);
    wake_fd_ = -1;
  }

  // While this thread reaps anyway, completions its own submissions post need not signal the
  // eventfd (each signal would cost one more wake-up through epoll for nothing).
  void Quiet() {
    if (wake_fd_ >= 0 && ring_.IsOpen()) ring_.SetEventfdEnabled(false);
  }

  // Before the event loop may block: signals on again, then whatever arrived while they were off
  // is posted now (a deferred completion added while silenced raised no signal, and the kernel
  // signals only when its list goes from empty to non-empty). True when completions are in the
  // CQ and the caller may dispatch them now (`may_dispatch`, rounds left in this wake-up, the
  // per-poll read budget not spent: DispatchUntilRearmed). Otherwise completions left in the CQ
  // get a signal of our own, so the next poll sees them.
  bool Rearm(bool may_dispatch) {
    if (wake_fd_ < 0 || !ring_.IsOpen()) return false;
    // What is held back already is posted while the eventfd is still silenced. Why: the kernel
    // signals a run of deferred work whenever the CQ tail moved since its last signal, and every
    // completion this wake-up posted moved it silently; a run with the eventfd on signals for
    // them even when it posts nothing, as the run of a writeDurable's io-wq write does (its CQE is
    // skipped; the run starts the linked fsync). That signal cost a wake-up of its own, where the
    // next run started the fsync: one eventfd read, one io_uring_enter and one poll more per
    // synced append whenever the write finished before this point (strace of the bench's runner,
    // whose tracing slows this thread enough). Only where the flag is trusted: elsewhere
    // DeferredMayWait is always true and this would be one more io_uring_enter each time.
    if (ring_.taskrun_flag() && ring_.DeferredMayWait()) ring_.RunDeferred();
    ring_.SetEventfdEnabled(true);
    // Most wake-ups end with nothing held back (a device read still in flight): then the flag
    // says so and the io_uring_enter that would post nothing is saved. Work added between the run
    // above and the enabling raised no signal, and is posted here.
    if (ring_.DeferredMayWait()) ring_.RunDeferred();
    if (ring_.CqEmpty()) return false;
    if (may_dispatch && rounds_left_ > 0 && !inline_budget_spent_) return true;
    left_over_ = true;  // the round limit left these for the next wake-up (SpreadBacklog)
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) return false;  // EAGAIN: the counter is already non-zero
    return false;
  }

  static void OnEnvTeardown(napi_async_cleanup_hook_handle, void* arg) {
    LoopHandles* box = static_cast<LoopHandles*>(arg);
    // Owner gone means a close is already under way; its close callback removes the hook.
    if (box->owner != nullptr) box->owner->Teardown();
  }

  // Moves completed requests into the record buffer. -EINTR/-EAGAIN are resubmitted.
  uint32_t ReapIntoRecords() {
    uint32_t records = 0;
    uint32_t reap_max = record_capacity_;
    if (spread_left_ > 0 && spread_chunk_ < reap_max) reap_max = spread_chunk_;
    uint32_t consumed = 0;
    ring_.Reap(reap_max, [this, &records, &consumed](uint64_t user_data, int32_t res) {
      ++consumed;
      if (LoopPollCompleted(user_data) || (user_data & kCancelTag) != 0) return;
      const bool write_half = (user_data & kLinkTag) != 0;
      user_data &= ~kLinkTag;
      if (user_data >= slots_.size()) return;
      Slot& slot = slots_[user_data];
      if (slot.state != SlotState::kInKernel) return;
      int32_t sync_stage = 0;
      if (slot.linked) {
        if (!LinkedCqe(&slot, write_half, &res)) return;
        sync_stage = res < 0 && slot.write_res >= 0 && static_cast<uint32_t>(slot.write_res) == slot.write_len ? 1 : 0;
      } else if ((res == -EINTR || res == -EAGAIN) && slot.retries < kRetriesMax) {
        io_uring_sqe* sqe = ring_.GetSqe();
        if (sqe != nullptr) {
          ++slot.retries;
          ++retries_total_;
          *sqe = slot.sqe;
          return;
        }
      }
      slot.state = SlotState::kFree;
      --in_kernel_;
      if (slot.sqe.opcode == IORING_OP_OPENAT2 && res >= 0) NoteOpened(res, slot.how.flags);
      slot.result = res;
      double* record = records_ + records * kRecordDoubles;
      record[0] = static_cast<double>(user_data);
      record[1] = res;
      record[2] = 0;
      record[3] = 0;
      if (slot.wants_statx && res >= 0) {
        record[2] = static_cast<double>(slot.stx.stx_size);
        record[3] = slot.stx.stx_mode;
      } else if (sync_stage != 0) {
        record[2] = 1;
        FinishTransfer(&slot);
      } else if (slot.bounced_read && res >= 0) {
        // The pins go now; the bounced bytes wait for deliver() (aux0 = 1 tells JS to call it).
        ReleasePins(&slot);
        record[2] = 1;
      } else {
        FinishTransfer(&slot);
      }
      ++records;
    });
    spread_left_ = consumed < spread_left_ ? spread_left_ - consumed : 0;
    return records;
  }

  // SQPOLL only (see kSqpollSpinNanosMax): true once a completion is in the CQ; false when none is
  // awaited, when waiting is backed off, or when none came in time (then no more waits in this
  // wake-up, and the backoff starts).
  bool SpinForPolledCompletion() {
    if (!ring_.sqpoll() || !ring_.IsOpen() || spin_spent_ || in_kernel_ == 0) return false;
    if (spin_backoff_ > 0) {
      --spin_backoff_;
      return false;
    }
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    // The clock is read every 64 polls: a CQ check costs nanoseconds, the vDSO call more.
    for (uint32_t polls = 1; polls <= kSqpollSpinPollsMax; ++polls) {
      if (!ring_.CqEmpty()) {
        ++spin_waits_completed_;
        return true;
      }
      CpuRelax();
      if ((polls & 63) != 0) continue;
      timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      const int64_t spent_nanos = (now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec);
      if (spent_nanos >= kSqpollSpinNanosMax) break;
    }
    spin_spent_ = true;
    if (!ring_.CqEmpty()) {
      ++spin_waits_completed_;
      return true;
    }
    ++spin_waits_expired_;
    spin_backoff_ = kSqpollSpinBackoff;
    return false;
  }

  static void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
  }

  void Dispatch() {
    if (!ring_.IsOpen() || dispatching_) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    // A local handle keeps this object reachable while JS runs below.
    Napi::Object self = Value();
    dispatching_ = true;
    spin_spent_ = false;
    // Looked up at the first batch of a wake-up, not per round: the handle scope keeps it alive
    // across the rounds (the reference is strong anyway while requests are in the kernel).
    Napi::Function dispatcher;
    // Rounds shared by the whole wake-up (see DispatchUntilRearmed).
    while (rounds_left_ > 0) {
      --rounds_left_;
      if (ring_.OverflowFlagged()) {
        ++overflow_flushes_;
        ring_.FlushOverflow();
      }
      if (!EnsureRecords(env)) break;
      const uint32_t count = ReapIntoRecords();
      if (count == 0) {
        if (!submit_after_dispatch_) break;
        if (ring_.Unsubmitted() > 0) ring_.Submit();
        if (ring_.CqEmpty() && !SpinForPolledCompletion()) break;
        continue;
      }
      napi_value argv[1] = {Napi::Number::New(env, count)};
      napi_value result;
      if (dispatcher.IsEmpty()) {
        dispatcher = callback_.Value();
        if (dispatcher.IsEmpty()) {
          napi_fatal_error("faultline_uring", NAPI_AUTO_LENGTH, "completion dispatcher was collected while in use", NAPI_AUTO_LENGTH);
        }
      }
      const napi_status status = napi_make_callback(env, nullptr, self, dispatcher, 1, argv, &result);
      if (status != napi_ok) {
        // A real exception from the dispatcher (a bug) is reported as uncaught. Without one, the
        // environment is shutting down (worker termination): stop calling into JS.
        bool pending = false;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
          napi_value error;
          napi_get_and_clear_last_exception(env, &error);
          napi_fatal_exception(env, error);
        }
        break;
      }
      if (!ring_.IsOpen()) {
        dispatching_ = false;
        return;
      }
      // Everything queued by the dispatcher and the microtasks it ran goes in one enter (with the
      // next wait's, under waitInRing).
      if (!submit_after_dispatch_) break;
      ring_.Submit();
      // A read found the per-poll budget spent: the budget says the loop must turn now (a lone read
      // past it settles after the poll, a batch's waits for it), and each further round here would
      // only find it spent again. What was just submitted is reaped at the next wake-up (Rearm
      // signals a completion left in the CQ).
      if (inline_budget_spent_) break;
    }
    dispatching_ = false;
    spread_left_ = 0;
    left_over_ = !ring_.CqEmpty();  // the round limit left these for the next wake-up
    if (submit_after_dispatch_ && ring_.Unsubmitted() > 0) ring_.Submit();
    ReleaseIfIdle();
  }

  SubmissionRing ring_;
  int wake_fd_ = -1;  // eventfd registered with a DEFER_TASKRUN ring, or -1
  FastPath* fast_ = nullptr;
  int root_fd_ = -1;
  std::vector<Slot> slots_;
  uint32_t in_kernel_ = 0;
  bool spin_spent_ = false;  // a bounded SQPOLL wait came back empty in this wake-up
  uint32_t spin_backoff_ = 0;  // SQPOLL waits still to skip since one came back empty
  uint64_t spin_waits_completed_ = 0;
  uint64_t spin_waits_expired_ = 0;
  uint32_t record_capacity_ = 0;
  double* records_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> records_ref_;
  Napi::FunctionReference callback_;
  LoopHandles* handles_ = nullptr;
  bool held_ = false;
  bool dispatching_ = false;
  bool submit_armed_ = false;
  bool refill_armed_ = false;
  uint32_t spread_left_ = 0;   // CQEs of the wake-up's backlog not yet reaped (SpreadBacklog)
  uint32_t spread_chunk_ = 0;  // most of them reaped per round
  bool left_over_ = false;     // the last dispatch left completions in the CQ (round limit)
  int rounds_left_ = 0;        // reap/callback/submit rounds this wake-up may still take (Dispatch)
  bool submit_after_dispatch_ = true;  // false while WaitInRing dispatches: its next wait submits
  bool wait_in_ring_ = false;
  bool loop_poll_armed_ = false;  // the POLL_ADD on the loop's epoll fd is in the kernel
  bool loop_poll_fired_ = false;  // its CQE came in the current wait
  uv_loop_t* loop_ = nullptr;
  uint64_t ring_waits_ = 0;
  uint64_t ring_waits_timed_out_ = 0;
  uint64_t ring_waits_loop_woken_ = 0;
  uint64_t ring_wait_nanos_ = 0;
  uint64_t wake_ups_ = 0;  // OnPoll calls: the event loop woke for this ring's fd
  uint64_t retries_total_ = 0;
  uint64_t overflow_flushes_ = 0;
  uint8_t* arena_ = nullptr;
  Allocation* arena_alloc_ = nullptr;  // the ring's share of the registered arena
  size_t arena_bytes_ = 0;
  size_t fixed_bytes_ = 0;
  uint64_t fixed_transfers_ = 0;
  size_t bounce_bytes_total_ = 0;
  size_t bounce_bytes_max_ = 0;
  bool reading_elements_ = false;
  // Scratch of ReadBatchOneEnter, kept so that a call allocates nothing once the largest batch was
  // seen; valid only during one call.
  std::vector<View> batch_views_;
  std::vector<int32_t> batch_results_;
  bool teardown_done_ = false;
  bool leaked_ = false;
  // Every fd opened through this ring and not yet closed through it, closed at teardown.
  std::unordered_set<int> owned_fds_;
  // Those of them a read may try to answer from the page cache (see ReadInline).
  std::unordered_set<int> inline_fds_;
  // Of those, whether each is a regular file, once ReadBatchOneEnter asked (fstat).
  std::unordered_map<int, bool> read_fd_regular_;
  uint32_t inline_calls_left_ = kInlineCallsPerPollMax;
  size_t inline_bytes_left_ = kInlineBytesPerPollMax;
  bool inline_budget_spent_ = false;  // a read found the per-poll budget spent (Dispatch)
  uint32_t inline_misses_in_row_ = 0;
  uint32_t inline_backoff_ = 0;
  uint64_t inline_reads_ = 0;
  uint64_t inline_misses_ = 0;
  // fd -> kWriteFd* bits, for fds a write may go inline on (NoteOpened; WriteInline checks the
  // type on first use).
  static constexpr uint8_t kWriteFdReadable = 1;
  static constexpr uint8_t kWriteFdRegular = 2;
  std::unordered_map<int, uint8_t> inline_write_fds_;
  uint32_t inline_write_backoff_ = 0;
  int64_t inline_write_slow_nanos_ = kInlineWriteSlowNanos;
  uint64_t inline_writes_ = 0;
  uint64_t inline_write_misses_ = 0;
  uint64_t inline_writes_slow_ = 0;
  const uint64_t page_bytes_ = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
};

// probe() -> 0 | errno: can this process create an io_uring, and does the kernel have openat2?
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  int err = ProbeIoUring();
  if (err != 0) {
    out.Set("stage", "io_uring_setup");
    out.Set("errno", err);
    return out;
  }
  open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  const long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
  if (fd < 0 && errno == ENOSYS) {
    out.Set("stage", "openat2");
    out.Set("errno", ENOSYS);
    return out;
  }
  if (fd >= 0) close(static_cast<int>(fd));
  out.Set("stage", "ok");
  out.Set("errno", 0);
  return out;
}

// restrictIoUringSetupForTesting(errno): installs a seccomp filter on this process that makes
// io_uring_setup fail with `errno`, as Docker's default profile does. Irreversible: tests call it
// in a child process only. Returns 0 or the errno of prctl/seccomp.
Napi::Value RestrictIoUringSetupForTesting(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double requested = 0;
  napi_valuetype type;
  if (info.Length() < 1 || napi_typeof(env, info[0], &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, info[0], &requested) != napi_ok || !(requested >= 1 && requested <= 4095)) {
    napi_throw_range_error(env, "ERR_INVALID_ARGUMENT", "restrictIoUringSetupForTesting(errno): an errno 1..4095");
    return env.Undefined();
  }
  const uint32_t err = static_cast<uint32_t>(requested) & SECCOMP_RET_DATA;
#if defined(__x86_64__)
  const uint32_t arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  const uint32_t arch = AUDIT_ARCH_AARCH64;
#else
  const uint32_t arch = 0;
#endif
  if (arch == 0) return Napi::Number::New(env, ENOSYS);
  struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Napi::Number::New(env, errno);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program) != 0) {
    return Napi::Number::New(env, errno);
  }
  return Napi::Number::New(env, 0);
}

// ringWaitNanosOfThread() -> the nanoseconds every ring of this thread has waited in
// io_uring_enter (waitInRing), closed ones included.
Napi::Value RingWaitNanosOfThread(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(thread_ring_wait_nanos));
}

}  // namespace
}  // namespace faultline

NAPI_MODULE_INIT() {
  Napi::Env napi_env(env);
  Napi::Object target(env, exports);
  target.Set("platformSupported", true);
  target.Set("Ring", faultline::Ring::Define(napi_env));
  target.Set("probe", Napi::Function::New(napi_env, faultline::Probe, "probe"));
  target.Set("allocAligned", Napi::Function::New(napi_env, faultline::AllocAligned, "allocAligned"));
  target.Set("alignmentBytes", faultline::kAlignmentBytes);
  target.Set("ringWaitNanosOfThread", Napi::Function::New(napi_env, faultline::RingWaitNanosOfThread, "ringWaitNanosOfThread"));
  target.Set("restrictIoUringSetupForTesting",
             Napi::Function::New(napi_env, faultline::RestrictIoUringSetupForTesting, "restrictIoUringSetupForTesting"));
  faultline::RegisterBeneath(napi_env, target);
  faultline::RegisterSyscallCost(napi_env, target);
  return exports;
}
