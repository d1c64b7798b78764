// Portable build of the addon for systems without io_uring (macOS, BSDs): it only offers the
// aligned allocator and reports io_uring as unavailable, so `npm install` succeeds everywhere
// and `openIo({ backend: 'auto' })` picks the node:fs backend.
#include <napi.h>

#include "aligned.h"

NAPI_MODULE_INIT() {
  Napi::Env napi_env(env);
  Napi::Object target(env, exports);
  target.Set("platformSupported", false);
  target.Set("allocAligned", Napi::Function::New(napi_env, faultline::AllocAligned, "allocAligned"));
  target.Set("alignmentBytes", faultline::kAlignmentBytes);
  return exports;
}
