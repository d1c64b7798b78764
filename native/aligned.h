// Aligned, reference-counted native memory for O_DIRECT and for the io_uring driver.
//
// Memory safety: an Allocation is freed only when its last holder lets go. JS holds one share per
// external ArrayBuffer made over it (dropped by that ArrayBuffer's finalizer, which Node runs when
// the backing store is freed, also after a transfer to a new owner); the ring holds one share per
// request in flight and one for its registered-buffer arena. So memory the kernel may still write
// is never freed, whatever JS does with its views (detach, transfer, drop).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace faultline {

constexpr uint32_t kAlignmentBytes = 4096;
// allocAligned refuses more (the Io contract's IO_BYTES_MAX; larger is ERR_LIMIT_EXCEEDED in JS).
constexpr double kAllocAlignedBytesMax = 2147479552.0;

struct Allocation;

// Zeroed memory of `bytes` (> 0) aligned to kAlignmentBytes, with one share held by the caller.
// `registered`: findable by FindAllocation (memory JS may pass back as an I/O buffer). nullptr when
// out of memory.
Allocation* CreateAllocation(size_t bytes, bool registered);
uint8_t* AllocationData(const Allocation* allocation);
size_t AllocationBytes(const Allocation* allocation);
void RetainAllocation(Allocation* allocation);
void ReleaseAllocation(Allocation* allocation);
// The registered allocation that starts at `base` and contains [base + offset, + length), with a
// new share for the caller; nullptr when there is none (the memory is not ours).
Allocation* FindAllocation(const uint8_t* base, size_t offset, size_t length);
// An external ArrayBuffer over the allocation holding one JS share. false (nothing pending) when
// the runtime forbids external buffers.
bool ExternalArrayBuffer(napi_env env, Allocation* allocation, napi_value* result);

// allocAligned(lengthBytes) -> Uint8Array, zeroed, its first byte aligned to kAlignmentBytes.
Napi::Value AllocAligned(const Napi::CallbackInfo& info);

}  // namespace faultline
