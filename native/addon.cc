// faultline io_uring addon: the N-API side of the ring driver.
//
// Architecture: one `Ring` per UringIo, created and used on one JS thread. JS owns a table of
// request slots (0..queueDepth-1) and calls one native method per operation; the method fills an
// SQE whose user_data is the slot and returns (or, when the kernel lacks the opcode, runs the
// plain system call at once and returns its result). read/write, the hot path, are also installed
// on each Ring object as plain functions whose callback data locates the Ring (see FastPath), so a
// data operation skips the ObjectWrap unwrap (a private-symbol lookup per call). Submission is
// batched: SQEs are published with one io_uring_enter at the end of a completion dispatch, or from
// a uv_prepare handle just before the event loop blocks, or at once when the SQ is full.
// Completions are reaped when a uv_poll handle on the ring fd reports it readable; each reap
// writes [slot, res, aux0, aux1] records into a Float64Array shared with JS and calls the JS
// dispatcher once per batch (the dispatcher is looked up once per wake-up, not per batch).
//
// Memory safety: while any request is in the kernel the Ring holds a strong reference to the JS
// dispatcher, a closure over the UringIo, whose slot table references every buffer in flight, so
// nothing the kernel may touch can be collected. Paths, iovec arrays, open_how and statx results
// live in the per-slot storage below until the request's completion. Teardown (explicit close, GC
// finalizer or the environment's async cleanup hook when a worker ends or the process exits)
// cancels every request (IORING_OP_ASYNC_CANCEL) and waits for all completions before unmapping
// the ring, so the kernel never writes into freed memory.
//
// Requirements: Linux >= 5.6 for io_uring with IORING_REGISTER_PROBE and openat2; operations the
// kernel lacks (mkdirat < 5.15, renameat/unlinkat < 5.11, ftruncate < 6.9...) run as plain
// system calls on the JS thread. No system library beyond the kernel UAPI headers.
//
// Fault model: per-request -EINTR/-EAGAIN are resubmitted (bounded); short transfers are returned
// as they are; io_uring_enter failures are retried or surfaced (see ring.h); CQ overflow is
// flushed before reaping.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <linux/audit.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <unordered_set>
#include <vector>

#include <napi.h>

#include "aligned.h"
#include "beneath.h"
#include "ring.h"

namespace faultline {
namespace {

constexpr uint64_t kCancelTag = 1ULL << 63;
constexpr int kRetriesMax = 32;
constexpr int kDispatchRoundsMax = 16;  // reap/callback/submit rounds per poll wake-up
constexpr uint32_t kQueueDepthMax = 4096;
constexpr uint32_t kRecordDoubles = 4;  // slot, res, aux0, aux1
constexpr size_t kReaddirEntriesMax = 1u << 20;
constexpr int kRootFd = -1;  // JS passes -1 for "the root directory"

enum class SlotState : uint8_t { kFree, kInKernel };

struct Slot {
  io_uring_sqe sqe;  // copy kept for resubmission after -EINTR/-EAGAIN
  std::vector<iovec> iov;
  std::string path_a;
  std::string path_b;
  open_how how;
  struct statx stx;
  int retries = 0;
  SlotState state = SlotState::kFree;
  bool wants_statx = false;
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
  uv_prepare_t prepare;
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

  // Called from the environment's async cleanup hook (worker exit, process exit).
  void Teardown() {
    if (!ring_.IsOpen()) return;
    CancelAndDrain();
    ring_.Destroy();
    if (root_fd_ >= 0) close(root_fd_);
    root_fd_ = -1;
    // Files JS never closed (a worker terminated, a process exiting, an abandoned UringIo).
    for (int fd : owned_fds_) close(fd);
    owned_fds_.clear();
    if (handles_ != nullptr) {
      handles_->owner = nullptr;
      uv_poll_stop(&handles_->poll);
      uv_prepare_stop(&handles_->prepare);
      uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), OnHandleClosed);
      uv_close(reinterpret_cast<uv_handle_t*>(&handles_->prepare), OnHandleClosed);
      handles_ = nullptr;
    }
    if (held_) callback_.Unref();
    held_ = false;
    // The kernel dropped the registration with the ring; JS may keep using the memory.
    arena_ = nullptr;
    if (!arena_ref_.IsEmpty()) arena_ref_.Reset();
  }

 private:
  // start(rootPath, queueDepth, sqpoll, dispatcher) -> null | { stage, errno }
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (ring_.IsOpen() || info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[3].IsFunction()) {
      Napi::TypeError::New(env, "start(root, queueDepth, sqpoll, dispatcher)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const std::string root = info[0].As<Napi::String>().Utf8Value();
    uint32_t depth = info[1].As<Napi::Number>().Uint32Value();
    if (depth == 0 || depth > kQueueDepthMax) {
      Napi::RangeError::New(env, "queueDepth out of range").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const bool sqpoll = info[2].As<Napi::Boolean>().Value();

    root_fd_ = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) return Failure(env, "open-root", errno);

    const char* stage = "";
    // Twice the queue depth of SQ space: retries and cancels never wait behind requests.
    const int err = ring_.Setup(depth * 2, sqpoll, &stage);
    if (err != 0) {
      close(root_fd_);
      root_fd_ = -1;
      return Failure(env, stage, err);
    }
    slots_.resize(depth);
    record_capacity_ = ring_.cq_entries();
    Napi::ArrayBuffer records = Napi::ArrayBuffer::New(env, record_capacity_ * kRecordDoubles * sizeof(double));
    records_ = static_cast<double*>(records.Data());
    records_ref_ = Napi::Persistent(records);
    // The JS object owns the dispatcher (a plain property: a JS-side cycle the GC can collect);
    // the native reference is weak while idle and strong while requests are in the kernel.
    info.This().As<Napi::Object>().DefineProperty(
        Napi::PropertyDescriptor::Value("dispatcher", info[3], napi_default));
    callback_ = Napi::Persistent(info[3].As<Napi::Function>());
    callback_.Unref();

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ring_.Destroy();
      close(root_fd_);
      root_fd_ = -1;
      return Failure(env, "uv-loop", EINVAL);
    }
    handles_ = new LoopHandles();
    handles_->owner = this;
    handles_->poll.data = handles_;
    handles_->prepare.data = handles_;
    int uv_err = uv_poll_init(loop, &handles_->poll, ring_.fd());
    if (uv_err == 0) {
      handles_->open_count = 1;
      uv_err = uv_prepare_init(loop, &handles_->prepare);
      if (uv_err == 0) handles_->open_count = 2;
    }
    if (uv_err != 0) {
      ring_.Destroy();
      close(root_fd_);
      root_fd_ = -1;
      if (handles_->open_count > 0) {
        // Only the poll handle exists; its close callback frees the box.
        handles_->open_count = 1;
        handles_->owner = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), OnHandleClosed);
      } else {
        delete handles_;
      }
      handles_ = nullptr;
      return Failure(env, "uv-poll", -uv_err);
    }
    uv_poll_start(&handles_->poll, UV_READABLE, OnPoll);
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->prepare));
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

  Napi::Value Completions(const Napi::CallbackInfo& info) {
    if (records_ref_.IsEmpty()) return info.Env().Undefined();
    return records_ref_.Value();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("open", ring_.IsOpen());
    out.Set("sqEntries", ring_.sq_entries());
    out.Set("cqEntries", ring_.cq_entries());
    out.Set("features", ring_.features());
    out.Set("sqpoll", ring_.sqpoll());
    out.Set("singleMmap", ring_.single_mmap());
    out.Set("enterCalls", static_cast<double>(ring_.enter_calls()));
    out.Set("submittedSqes", static_cast<double>(ring_.submitted_sqes()));
    out.Set("inKernel", in_kernel_);
    out.Set("retries", static_cast<double>(retries_total_));
    out.Set("overflowFlushes", static_cast<double>(overflow_flushes_));
    out.Set("ownedFds", static_cast<double>(owned_fds_.size()));
    out.Set("fixedTransfers", static_cast<double>(fixed_transfers_));
    out.Set("registeredBuffers", arena_ == nullptr ? 0.0 : static_cast<double>(arena_bytes_ / fixed_bytes_));
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

  // ---- argument helpers (JS validates; these only guard against misuse of the internal API) ----

  Slot* SlotArg(const Napi::CallbackInfo& info, uint32_t* index) { return SlotArg(info.Env(), info[0], index); }

  Slot* SlotArg(Napi::Env env, const Napi::Value& value, uint32_t* index) {
    if (!ring_.IsOpen()) {
      Napi::Error::New(env, "ring is closed").ThrowAsJavaScriptException();
      return nullptr;
    }
    const uint32_t i = value.As<Napi::Number>().Uint32Value();
    if (i >= slots_.size() || slots_[i].state != SlotState::kFree) {
      Napi::Error::New(env, "bad slot").ThrowAsJavaScriptException();
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
    const struct { const char* name; napi_callback callback; } methods[] = {{"read", FastRead}, {"write", FastWrite}};
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

  int DirFd(const Napi::Value& v) const {
    const int fd = v.As<Napi::Number>().Int32Value();
    return fd == kRootFd ? root_fd_ : fd;
  }

  // The bytes of a Uint8Array, without throwing (false when it is not one).
  static bool BufferArg(napi_env env, napi_value value, uint8_t** data, size_t* length) {
    napi_typedarray_type type;
    void* raw = nullptr;
    size_t count = 0;
    if (napi_get_typedarray_info(env, value, &type, &count, &raw, nullptr, nullptr) != napi_ok || type != napi_uint8_array) return false;
    *data = static_cast<uint8_t*>(raw);
    *length = count;
    return true;
  }

  static uint64_t U64(const Napi::Value& v) { return static_cast<uint64_t>(v.As<Napi::Number>().DoubleValue()); }

  // Queues the SQE prepared in `slot->sqe`. Returns undefined, or the synchronous result when the
  // SQ cannot take it (only when io_uring_enter keeps failing).
  Napi::Value Queue(Napi::Env env, uint32_t index, Slot* slot) {
    io_uring_sqe* sqe = ring_.GetSqe();
    if (sqe == nullptr) return Napi::Number::New(env, -EBUSY);
    slot->sqe.user_data = index;
    *sqe = slot->sqe;
    slot->state = SlotState::kInKernel;
    slot->retries = 0;
    ++in_kernel_;
    Hold();
    if (!dispatching_ && !prepare_armed_ && handles_ != nullptr) {
      prepare_armed_ = true;
      uv_prepare_start(&handles_->prepare, OnPrepare);
    }
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
  }

  static Napi::Value Result(Napi::Env env, long ret) { return Napi::Number::New(env, ret < 0 ? -errno : static_cast<double>(ret)); }

  // read(slot, fd, u8, offset)
  Napi::Value Read(const Napi::CallbackInfo& info) { return Rw(info, IORING_OP_READ); }
  Napi::Value Write(const Napi::CallbackInfo& info) { return Rw(info, IORING_OP_WRITE); }

  Napi::Value Rw(const Napi::CallbackInfo& info, uint8_t op) {
    napi_value argv[4] = {info[0], info[1], info[2], info[3]};
    return RwCore(info.Env(), argv, op);
  }

  static napi_value FastRw(napi_env env, napi_callback_info info, uint8_t op) {
    size_t argc = 4;
    napi_value argv[4];
    void* data = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok) return nullptr;
    Ring* ring = data == nullptr ? nullptr : static_cast<FastPath*>(data)->ring;
    if (ring == nullptr) {
      Napi::Error::New(env, "ring is closed").ThrowAsJavaScriptException();
      return nullptr;
    }
    return ring->RwCore(Napi::Env(env), argv, op);
  }

  // The body of read/write; argv = (slot, fd, u8, offset).
  Napi::Value RwCore(Napi::Env env, const napi_value* argv, uint8_t op) {
    uint32_t index;
    Slot* slot = SlotArg(env, Napi::Value(env, argv[0]), &index);
    if (slot == nullptr) return env.Undefined();
    const int fd = Napi::Value(env, argv[1]).As<Napi::Number>().Int32Value();
    const uint64_t offset = U64(Napi::Value(env, argv[3]));
    uint8_t* data = nullptr;
    size_t length = 0;
    if (!BufferArg(env, argv[2], &data, &length)) return Napi::Number::New(env, -EFAULT);
    if (!ring_.Supports(op)) {
      const long ret = op == IORING_OP_READ ? pread(fd, data, length, static_cast<off_t>(offset))
                                            : pwrite(fd, data, length, static_cast<off_t>(offset));
      return Result(env, ret);
    }
    PrepRw(slot, op, fd, reinterpret_cast<uint64_t>(data), static_cast<uint32_t>(length), offset);
    const int fixed = FixedIndex(data, length);
    if (fixed >= 0) {
      slot->sqe.opcode = op == IORING_OP_READ ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED;
      slot->sqe.buf_index = static_cast<uint16_t>(fixed);
      ++fixed_transfers_;
    }
    return Queue(env, index, slot);
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
  // count buffers, registered with IORING_REGISTER_BUFFERS. The ArrayBuffer owns the memory (freed
  // when JS lets go of it); the ring holds it strongly until teardown, after which the kernel has
  // dropped its registration.
  Napi::Value RegisterBuffers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint32_t count = info[0].As<Napi::Number>().Uint32Value();
    const uint32_t each = info[1].As<Napi::Number>().Uint32Value();
    if (!ring_.IsOpen() || arena_ != nullptr || count == 0 || count > 1024 || each == 0 || each % kAlignmentBytes != 0) {
      return Failure(env, "register-buffers", EINVAL);
    }
    const size_t total = static_cast<size_t>(count) * each;
    void* memory = nullptr;
    if (posix_memalign(&memory, kAlignmentBytes, total) != 0) return Failure(env, "register-buffers", ENOMEM);
    memset(memory, 0, total);
    std::vector<iovec> iov(count);
    for (uint32_t i = 0; i < count; ++i) {
      iov[i].iov_base = static_cast<uint8_t*>(memory) + static_cast<size_t>(i) * each;
      iov[i].iov_len = each;
    }
    if (syscall(__NR_io_uring_register, ring_.fd(), IORING_REGISTER_BUFFERS, iov.data(), count) != 0) {
      const int err = errno;
      free(memory);
      return Failure(env, "register-buffers", err);
    }
    napi_value buffer;
    if (napi_create_external_arraybuffer(env, memory, total, [](napi_env, void* data, void*) { free(data); }, nullptr, &buffer) != napi_ok) {
      // Registered memory must stay put; without external buffers, leave registration unused.
      syscall(__NR_io_uring_register, ring_.fd(), IORING_UNREGISTER_BUFFERS, nullptr, 0);
      free(memory);
      return Failure(env, "register-buffers", ENOTSUP);
    }
    arena_ = static_cast<uint8_t*>(memory);
    arena_bytes_ = total;
    fixed_bytes_ = each;
    Napi::ArrayBuffer arena(env, buffer);
    arena_ref_ = Napi::Persistent(arena);
    return arena;
  }

  Napi::Value Readv(const Napi::CallbackInfo& info) { return Rwv(info, IORING_OP_READV); }
  Napi::Value Writev(const Napi::CallbackInfo& info) { return Rwv(info, IORING_OP_WRITEV); }

  Napi::Value Rwv(const Napi::CallbackInfo& info, uint8_t op) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    const int fd = info[1].As<Napi::Number>().Int32Value();
    Napi::Array list = info[2].As<Napi::Array>();
    const uint64_t offset = U64(info[3]);
    const uint32_t count = list.Length();
    slot->iov.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      napi_value element;
      uint8_t* data = nullptr;
      size_t length = 0;
      // Raw calls: while a worker is being terminated they fail, and must not abort the process.
      if (napi_get_element(env, list, i, &element) != napi_ok || !BufferArg(env, Napi::Value(env, element), &data, &length)) {
        return Napi::Number::New(env, -EFAULT);
      }
      slot->iov[i].iov_base = data;
      slot->iov[i].iov_len = length;
    }
    if (!ring_.Supports(op)) {
      const long ret = op == IORING_OP_READV ? preadv(fd, slot->iov.data(), static_cast<int>(count), static_cast<off_t>(offset))
                                             : pwritev(fd, slot->iov.data(), static_cast<int>(count), static_cast<off_t>(offset));
      return Result(env, ret);
    }
    PrepRw(slot, op, fd, reinterpret_cast<uint64_t>(slot->iov.data()), count, offset);
    return Queue(env, index, slot);
  }

  // fsync(slot, fd, dataOnly)
  Napi::Value Fsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    const int fd = info[1].As<Napi::Number>().Int32Value();
    const bool data_only = info[2].As<Napi::Boolean>().Value();
    if (!ring_.Supports(IORING_OP_FSYNC)) return Result(env, data_only ? fdatasync(fd) : fsync(fd));
    PrepRw(slot, IORING_OP_FSYNC, fd, 0, 0, 0);
    slot->sqe.fsync_flags = data_only ? IORING_FSYNC_DATASYNC : 0;
    return Queue(env, index, slot);
  }

  // fallocate(slot, fd, offset, length): mode 0. The SQE carries the length in addr, mode in len.
  Napi::Value Fallocate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    const int fd = info[1].As<Napi::Number>().Int32Value();
    const uint64_t offset = U64(info[2]);
    const uint64_t length = U64(info[3]);
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
    const int fd = info[1].As<Napi::Number>().Int32Value();
    const uint64_t length = U64(info[2]);
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
    const int dirfd = DirFd(info[1]);
    slot->path_a = info[2].As<Napi::String>().Utf8Value();
    memset(&slot->how, 0, sizeof(slot->how));
    slot->how.flags = static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value());
    slot->how.mode = static_cast<uint64_t>(info[4].As<Napi::Number>().Uint32Value());
    slot->how.resolve = static_cast<uint64_t>(info[5].As<Napi::Number>().Uint32Value());
    if (!ring_.Supports(IORING_OP_OPENAT2)) {
      const long fd = syscall(SYS_openat2, dirfd, slot->path_a.c_str(), &slot->how, sizeof(slot->how));
      if (fd >= 0) owned_fds_.insert(static_cast<int>(fd));
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
    const int fd = info[1].As<Napi::Number>().Int32Value();
    owned_fds_.erase(fd);
    if (!ring_.Supports(IORING_OP_CLOSE)) return Result(env, close(fd));
    PrepRw(slot, IORING_OP_CLOSE, fd, 0, 0, 0);
    return Queue(env, index, slot);
  }

  // statx(slot, fd): of the open fd itself (AT_EMPTY_PATH); aux0 = size, aux1 = mode.
  Napi::Value Statx(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    const int fd = info[1].As<Napi::Number>().Int32Value();
    slot->path_a.clear();
    memset(&slot->stx, 0, sizeof(slot->stx));
    const unsigned mask = STATX_TYPE | STATX_MODE | STATX_SIZE;
    if (!ring_.Supports(IORING_OP_STATX)) {
      const long ret = syscall(SYS_statx, fd, "", AT_EMPTY_PATH, mask, &slot->stx);
      if (ret < 0) return Napi::Number::New(env, -errno);
      Napi::Array out = Napi::Array::New(env, 2);
      out.Set(0u, static_cast<double>(slot->stx.stx_size));
      out.Set(1u, static_cast<double>(slot->stx.stx_mode));
      return out;
    }
    PrepRw(slot, IORING_OP_STATX, fd, reinterpret_cast<uint64_t>(slot->path_a.c_str()), mask,
           reinterpret_cast<uint64_t>(&slot->stx));
    slot->sqe.statx_flags = AT_EMPTY_PATH;
    slot->wants_statx = true;
    return Queue(env, index, slot);
  }

  // renameat(slot, olddirfd, oldname, newdirfd, newname)
  Napi::Value Renameat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t index;
    Slot* slot = SlotArg(info, &index);
    if (slot == nullptr) return env.Undefined();
    const int old_dir = DirFd(info[1]);
    slot->path_a = info[2].As<Napi::String>().Utf8Value();
    const int new_dir = DirFd(info[3]);
    slot->path_b = info[4].As<Napi::String>().Utf8Value();
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
    const int dirfd = DirFd(info[1]);
    slot->path_a = info[2].As<Napi::String>().Utf8Value();
    const int flags = info[3].As<Napi::Number>().Int32Value();
    if (!ring_.Supports(IORING_OP_UNLINKAT)) return Result(env, unlinkat(dirfd, slot->path_a.c_str(), flags));
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
    const int dirfd = DirFd(info[1]);
    slot->path_a = info[2].As<Napi::String>().Utf8Value();
    const uint32_t mode = info[3].As<Napi::Number>().Uint32Value();
    if (!ring_.Supports(IORING_OP_MKDIRAT)) return Result(env, mkdirat(dirfd, slot->path_a.c_str(), mode));
    PrepRw(slot, IORING_OP_MKDIRAT, dirfd, reinterpret_cast<uint64_t>(slot->path_a.c_str()), mode, 0);
    return Queue(env, index, slot);
  }

  // readdir(fd) -> string[] | -errno. getdents64 on the JS thread: io_uring has no readdir op.
  Napi::Value Readdir(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int fd = info[0].As<Napi::Number>().Int32Value();
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
    if (ring_.IsOpen()) {
      QueueCancels();
      ring_.Submit();
    }
    return info.Env().Undefined();
  }

  // destroy(): drains (cancelling what is left) and frees the ring. Idempotent.
  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    Teardown();
    return info.Env().Undefined();
  }

  // ---- completion side ----

  void QueueCancels() {
    if (!ring_.Supports(IORING_OP_ASYNC_CANCEL)) return;
    for (uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state != SlotState::kInKernel) continue;
      io_uring_sqe* sqe = ring_.GetSqe();
      if (sqe == nullptr) return;  // SQ wedged: draining still waits for natural completion
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->fd = -1;
      sqe->addr = i;
      sqe->user_data = kCancelTag;
    }
  }

  // Blocks until every request has completed. Runs without JavaScript (teardown paths).
  void CancelAndDrain() {
    if (in_kernel_ == 0) return;
    QueueCancels();
    // Bounded: every wait returns at least one CQE, and there are at most in_kernel_ plus the
    // cancels of them; the extra margin covers EINTR wake-ups.
    const uint64_t rounds_max = 4ULL * (slots_.size() + 1) + 1024;
    for (uint64_t round = 0; in_kernel_ > 0 && round < rounds_max; ++round) {
      if (ring_.OverflowFlagged()) ring_.FlushOverflow();
      if (ring_.CqEmpty() && ring_.SubmitAndWait() != 0) break;
      ring_.Reap(UINT32_MAX, [this](uint64_t user_data, int32_t res) {
        if (user_data & kCancelTag) return;
        if (user_data < slots_.size() && slots_[user_data].state == SlotState::kInKernel) {
          if (slots_[user_data].sqe.opcode == IORING_OP_OPENAT2 && res >= 0) owned_fds_.insert(res);
          slots_[user_data].state = SlotState::kFree;
          --in_kernel_;
        }
      });
    }
  }

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
    if (box->owner != nullptr) box->owner->Dispatch();
  }

  static void OnPrepare(uv_prepare_t* handle) {
    LoopHandles* box = static_cast<LoopHandles*>(handle->data);
    uv_prepare_stop(handle);
    if (box->owner == nullptr) return;
    Ring* ring = box->owner;
    ring->prepare_armed_ = false;
    ring->ring_.Submit();
    // Page-cache hits complete inside io_uring_enter: deliver them now rather than after
    // another trip through epoll.
    if (!ring->ring_.CqEmpty()) ring->Dispatch();
  }

  static void OnEnvTeardown(napi_async_cleanup_hook_handle, void* arg) {
    LoopHandles* box = static_cast<LoopHandles*>(arg);
    // Owner gone means a close is already under way; its close callback removes the hook.
    if (box->owner != nullptr) box->owner->Teardown();
  }

  // Moves completed requests into the record buffer. -EINTR/-EAGAIN are resubmitted.
  uint32_t ReapIntoRecords() {
    uint32_t records = 0;
    ring_.Reap(record_capacity_, [this, &records](uint64_t user_data, int32_t res) {
      if (user_data & kCancelTag) return;
      if (user_data >= slots_.size()) return;
      Slot& slot = slots_[user_data];
      if (slot.state != SlotState::kInKernel) return;
      if ((res == -EINTR || res == -EAGAIN) && slot.retries < kRetriesMax) {
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
      if (slot.sqe.opcode == IORING_OP_OPENAT2 && res >= 0) owned_fds_.insert(res);
      double* record = records_ + records * kRecordDoubles;
      record[0] = static_cast<double>(user_data);
      record[1] = res;
      if (slot.wants_statx && res >= 0) {
        record[2] = static_cast<double>(slot.stx.stx_size);
        record[3] = slot.stx.stx_mode;
      } else {
        record[2] = 0;
        record[3] = 0;
      }
      ++records;
    });
    return records;
  }

  void Dispatch() {
    if (!ring_.IsOpen() || dispatching_) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    // A local handle keeps this object reachable while JS runs below.
    Napi::Object self = Value();
    dispatching_ = true;
    // Looked up at the first batch of a wake-up, not per round: the handle scope keeps it alive
    // across the rounds (the reference is strong anyway while requests are in the kernel).
    Napi::Function dispatcher;
    for (int round = 0; round < kDispatchRoundsMax; ++round) {
      if (ring_.OverflowFlagged()) {
        ++overflow_flushes_;
        ring_.FlushOverflow();
      }
      const uint32_t count = ReapIntoRecords();
      if (count == 0) {
        if (ring_.Unsubmitted() > 0) ring_.Submit();
        if (ring_.CqEmpty()) break;
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
      // Everything queued by the dispatcher and the microtasks it ran goes in one enter.
      ring_.Submit();
    }
    dispatching_ = false;
    if (ring_.Unsubmitted() > 0) ring_.Submit();
    ReleaseIfIdle();
  }

  SubmissionRing ring_;
  FastPath* fast_ = nullptr;
  int root_fd_ = -1;
  std::vector<Slot> slots_;
  uint32_t in_kernel_ = 0;
  uint32_t record_capacity_ = 0;
  double* records_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> records_ref_;
  Napi::FunctionReference callback_;
  LoopHandles* handles_ = nullptr;
  bool held_ = false;
  bool dispatching_ = false;
  bool prepare_armed_ = false;
  uint64_t retries_total_ = 0;
  uint64_t overflow_flushes_ = 0;
  uint8_t* arena_ = nullptr;
  size_t arena_bytes_ = 0;
  size_t fixed_bytes_ = 0;
  uint64_t fixed_transfers_ = 0;
  Napi::Reference<Napi::ArrayBuffer> arena_ref_;
  // Every fd opened through this ring and not yet closed through it, closed at teardown.
  std::unordered_set<int> owned_fds_;
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
  const uint32_t err = info[0].As<Napi::Number>().Uint32Value() & SECCOMP_RET_DATA;
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
  target.Set("restrictIoUringSetupForTesting",
             Napi::Function::New(napi_env, faultline::RestrictIoUringSetupForTesting, "restrictIoUringSetupForTesting"));
  faultline::RegisterBeneath(napi_env, target);
  return exports;
}
