// See beneath.h.
//
// openBeneath(dirFd, path, flags, mode, resolve) -> fd | -errno: one openat2(2) call with
// O_CLOEXEC added. FsIo uses it to open a path's parent (or the path itself) O_PATH beneath its
// root directory fd, so the kernel, not a check in JS, guarantees that no component (symlinks
// included, swapped concurrently or not) leads outside the root; the operation then runs through
// the fs module on /proc/self/fd/N/<name>, i.e. on libuv's thread pool like any node:fs call.
// Runs on the calling (JS) thread: an O_PATH lookup touches only the dentry cache in the common
// case. -EAGAIN (RESOLVE_BENEATH's answer when a rename raced the lookup) and -EINTR are retried,
// a bounded number of times.
//
// addressModulo(view, alignment) -> the address of the view's first byte modulo `alignment` (a
// power of two): FsIo runs O_DIRECT transfers on its own aligned bounce memory and checks the
// caller's address here, so the kernel's EINVAL for a misaligned buffer is kept.
//
// Memory safety: no pointer is kept past the call. Every argument is type- and range-checked and
// a bad one throws a JS TypeError/RangeError (never a fatal N-API error).
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace faultline {
namespace {

constexpr int kRetriesMax = 64;
constexpr size_t kPathBytesMax = 4095;
constexpr uint32_t kResolveKnown = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT;

bool Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* what, uint32_t max, uint32_t* out) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsNumber()) {
    Napi::TypeError::New(env, std::string(what) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  const double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= 0) || value > max || value != static_cast<double>(static_cast<uint64_t>(value))) {
    Napi::RangeError::New(env, std::string(what) + " is out of range").ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint32_t>(value);
  return true;
}

Napi::Value OpenBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t dir_fd = 0;
  uint32_t flags = 0;
  uint32_t mode = 0;
  uint32_t resolve = 0;
  if (!Uint32Arg(info, 0, "dirFd", INT32_MAX, &dir_fd)) return env.Undefined();
  if (info.Length() <= 1 || !info[1].IsString()) {
    Napi::TypeError::New(env, "path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string path = info[1].As<Napi::String>().Utf8Value();
  if (path.empty() || path.size() > kPathBytesMax || memchr(path.data(), '\0', path.size()) != nullptr) {
    Napi::RangeError::New(env, "path must be 1..4095 bytes without NUL").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!Uint32Arg(info, 2, "flags", UINT32_MAX, &flags)) return env.Undefined();
  if (!Uint32Arg(info, 3, "mode", 07777, &mode)) return env.Undefined();
  if (!Uint32Arg(info, 4, "resolve", kResolveKnown, &resolve)) return env.Undefined();
  if ((resolve & ~kResolveKnown) != 0) {
    Napi::RangeError::New(env, "resolve has unknown bits").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  // openat2 refuses a mode without O_CREAT/O_TMPFILE (EINVAL). O_TMPFILE includes O_DIRECTORY's
  // bit, so it is tested as a whole.
  const bool creates = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = creates ? mode : 0;
  how.resolve = resolve;
  long fd = -1;
  int error = 0;
  for (int attempt = 0; attempt < kRetriesMax; ++attempt) {
    fd = syscall(SYS_openat2, static_cast<int>(dir_fd), path.c_str(), &how, sizeof(how));
    if (fd >= 0) break;
    error = errno;
    if (error != EAGAIN && error != EINTR) break;
  }
  return Napi::Number::New(env, fd >= 0 ? static_cast<double>(fd) : -static_cast<double>(error));
}

Napi::Value AddressModulo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "view must be a typed array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t alignment = 0;
  if (!Uint32Arg(info, 1, "alignment", 1u << 30, &alignment)) return env.Undefined();
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    Napi::RangeError::New(env, "alignment must be a power of two").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value array_buffer;
  size_t byte_offset = 0;
  if (napi_get_typedarray_info(env, info[0], &type, &length, &data, &array_buffer, &byte_offset) != napi_ok) {
    Napi::TypeError::New(env, "view must be a typed array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // `data` already includes the byte offset.
  return Napi::Number::New(env, static_cast<double>(reinterpret_cast<uintptr_t>(data) & (alignment - 1)));
}

}  // namespace

void RegisterBeneath(Napi::Env env, Napi::Object exports) {
  exports.Set("openBeneath", Napi::Function::New(env, OpenBeneath, "openBeneath"));
  exports.Set("addressModulo", Napi::Function::New(env, AddressModulo, "addressModulo"));
}

}  // namespace faultline
