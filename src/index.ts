/**
 * faultline: one storage contract (Io, Storage, Blob), a deterministic fault-injecting simulator,
 * an io_uring backend and a node:fs backend. See README.md.
 */
export * from './interfaces/index.js';
export { MetricsRecorder } from './common/metrics.js';
// Each backend area appends its exports below (one line each).
