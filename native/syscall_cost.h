// What one system call costs on this host, for UringIo's choice between answering a read at the
// call (a preadv2 per read) and coalescing reads into one io_uring submission. Linux only.
#pragma once

#include <napi.h>

namespace faultline {

// Adds `syscallNanos` to the module's exports.
void RegisterSyscallCost(Napi::Env env, Napi::Object exports);

}  // namespace faultline
