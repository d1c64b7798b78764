// See aligned.h. Memory safety: the external ArrayBuffer owns the allocation; V8 calls FreeAligned
// when the last view is collected (or when the environment is torn down). Runtimes that forbid
// external buffers (napi_no_external_buffers_allowed) get an over-allocated JS ArrayBuffer
// viewed at its first aligned offset instead, which V8 never moves.
#include "aligned.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

namespace faultline {
namespace {

void FreeAligned(napi_env, void* data, void*) { free(data); }

}  // namespace

Napi::Value AllocAligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double requested = info[0].As<Napi::Number>().DoubleValue();
  if (!(requested >= 0) || requested > 4294967296.0) {
    Napi::RangeError::New(env, "lengthBytes out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t length = static_cast<size_t>(requested);
  if (length == 0) return Napi::Uint8Array::New(env, 0);
  void* memory = nullptr;
  if (posix_memalign(&memory, kAlignmentBytes, length) != 0 || memory == nullptr) {
    Napi::Error::New(env, "posix_memalign failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  memset(memory, 0, length);
  napi_value buffer;
  napi_status status = napi_create_external_arraybuffer(env, memory, length, FreeAligned, nullptr, &buffer);
  if (status == napi_ok) {
    return Napi::Uint8Array::New(env, length, Napi::ArrayBuffer(env, buffer), 0);
  }
  free(memory);
  // Fallback for runtimes without external buffers.
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
  Napi::ArrayBuffer plain = Napi::ArrayBuffer::New(env, length + kAlignmentBytes);
  const uintptr_t base = reinterpret_cast<uintptr_t>(plain.Data());
  const size_t skip = (kAlignmentBytes - (base % kAlignmentBytes)) % kAlignmentBytes;
  return Napi::Uint8Array::New(env, length, plain, skip);
}

}  // namespace faultline
