// See aligned.h. The registry maps the first byte of every registered allocation to it, so the
// ring can recognise a view over memory it may pin instead of copying (addresses are unique among
// live allocations, and an allocation leaves the registry, under the lock, before it is freed).
// One registry per process: a buffer may be transferred to another worker's thread, and its
// finalizer then runs on the thread that created it, so shares are counted under a mutex.
// Runtimes that forbid external buffers (napi_no_external_buffers_allowed) get an over-allocated
// JS ArrayBuffer viewed at its first aligned offset instead: V8 never moves it, and the ring
// copies through its own memory for such buffers like for any other JS memory.
#include "aligned.h"

#include <stdlib.h>
#include <string.h>

#include <mutex>
#include <unordered_map>

namespace faultline {

struct Allocation {
  uint8_t* data;
  size_t bytes;
  size_t shares;  // guarded by Registry::mutex
  bool registered;
};

namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_map<const uint8_t*, Allocation*> by_base;
};

// Never destroyed: finalizers may run during process teardown after static destructors.
Registry& TheRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

void FinalizeShare(napi_env, void*, void* hint) { ReleaseAllocation(static_cast<Allocation*>(hint)); }

}  // namespace

Allocation* CreateAllocation(size_t bytes, bool registered) {
  void* memory = nullptr;
  if (bytes == 0 || posix_memalign(&memory, kAlignmentBytes, bytes) != 0 || memory == nullptr) return nullptr;
  memset(memory, 0, bytes);
  Allocation* allocation = new Allocation{static_cast<uint8_t*>(memory), bytes, 1, registered};
  if (registered) {
    Registry& registry = TheRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.by_base[allocation->data] = allocation;
  }
  return allocation;
}

uint8_t* AllocationData(const Allocation* allocation) { return allocation->data; }
size_t AllocationBytes(const Allocation* allocation) { return allocation->bytes; }

void RetainAllocation(Allocation* allocation) {
  std::lock_guard<std::mutex> lock(TheRegistry().mutex);
  ++allocation->shares;
}

void ReleaseAllocation(Allocation* allocation) {
  Registry& registry = TheRegistry();
  {
    std::lock_guard<std::mutex> lock(registry.mutex);
    if (--allocation->shares != 0) return;
    if (allocation->registered) registry.by_base.erase(allocation->data);
  }
  free(allocation->data);
  delete allocation;
}

Allocation* FindAllocation(const uint8_t* base, size_t offset, size_t length) {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  if (registry.by_base.empty()) return nullptr;
  auto found = registry.by_base.find(base);
  if (found == registry.by_base.end()) return nullptr;
  Allocation* allocation = found->second;
  if (offset > allocation->bytes || length > allocation->bytes - offset) return nullptr;
  ++allocation->shares;
  return allocation;
}

bool ExternalArrayBuffer(napi_env env, Allocation* allocation, napi_value* result) {
  RetainAllocation(allocation);
  if (napi_create_external_arraybuffer(env, allocation->data, allocation->bytes, FinalizeShare, allocation, result) == napi_ok) {
    return true;
  }
  ReleaseAllocation(allocation);
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
  return false;
}

Napi::Value AllocAligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double requested = -1;
  if (info.Length() < 1 || !info[0].IsNumber() || napi_get_value_double(env, info[0], &requested) != napi_ok ||
      !(requested >= 0) || requested > kAllocAlignedBytesMax || requested != static_cast<double>(static_cast<size_t>(requested))) {
    Napi::RangeError::New(env, "allocAligned(lengthBytes): an integer 0..2147479552").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const size_t length = static_cast<size_t>(requested);
  if (length == 0) return Napi::Uint8Array::New(env, 0);
  Allocation* allocation = CreateAllocation(length, true);
  if (allocation == nullptr) {
    Napi::Error::New(env, "posix_memalign failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  napi_value buffer;
  const bool external = ExternalArrayBuffer(env, allocation, &buffer);
  ReleaseAllocation(allocation);  // the creator's share: JS's share (if any) now owns it
  if (external) return Napi::Uint8Array::New(env, length, Napi::ArrayBuffer(env, buffer), 0);
  // Fallback for runtimes without external buffers.
  Napi::ArrayBuffer plain = Napi::ArrayBuffer::New(env, length + kAlignmentBytes);
  const uintptr_t base = reinterpret_cast<uintptr_t>(plain.Data());
  const size_t skip = (kAlignmentBytes - (base % kAlignmentBytes)) % kAlignmentBytes;
  return Napi::Uint8Array::New(env, length, plain, skip);
}

}  // namespace faultline
