// Kernel-checked path resolution for the fs backend (FsIo): openat2 with RESOLVE_BENEATH on the
// JS thread, and a buffer's address for O_DIRECT alignment checks. Linux only.
#pragma once

#include <napi.h>

namespace faultline {

// Adds `openBeneath` and `addressModulo` to the module's exports.
void RegisterBeneath(Napi::Env env, Napi::Object exports);

}  // namespace faultline
