/**
 * faultline: one storage contract (Io, Storage, Blob), a deterministic fault-injecting simulator,
 * an io_uring backend and a node:fs backend. See README.md.
 */
export * from './interfaces/index.js';
export { MetricsRecorder } from './common/metrics.js';
// Each backend area appends its exports below (one line each).
export * from './scratch/index.js';
export * from './backends/fs/index.js';
export { eventLoopUtilization, UringIo, type UringIoOptions, type UringRingInfo, type UringSupport } from './backends/iouring/index.js';
export { openIo, type OpenIoOptions, type IoBackendName } from './backends/open-io.js';
export { nativeAlignedAllocator } from './native/binding.js';
export * from './backends/sim/index.js';
export * from './nodefs/index.js';
export * from './storage/index.js';
export { defineWorkload, InvariantViolation, type Workload, type WorkloadContext, type WorkloadNode } from './cli/workload.js';
export * from './intercept/index.js';
export * from './batch/index.js';
