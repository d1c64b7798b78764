// Aligned buffers for O_DIRECT: zeroed memory from posix_memalign, handed to JS as an external
// ArrayBuffer whose finalizer frees it. Shared by the Linux addon and the portable stub.
#pragma once

#include <napi.h>

namespace faultline {

constexpr uint32_t kAlignmentBytes = 4096;

// allocAligned(lengthBytes) -> Uint8Array, zeroed, its first byte aligned to kAlignmentBytes.
Napi::Value AllocAligned(const Napi::CallbackInfo& info);

}  // namespace faultline
