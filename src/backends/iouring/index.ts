/** The io_uring backend: {@link UringIo} over the native addon in `native/`. */
export { UringIo, type UringIoOptions, type UringRingInfo } from './uring-io.js';
export type { UringSupport } from './support.js';
export { errnoToCode } from './errno.js';
export { eventLoopUtilization } from './event-loop-utilization.js';
