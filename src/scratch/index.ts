/** Scratch space: preallocated, optionally direct-I/O spill files split into slots. */
export { openScratch, SCRATCH_BUFFERED_ALIGNMENT_BYTES, SCRATCH_SLOT_COUNT_MAX_DEFAULT, SCRATCH_OPERATIONS_IN_FLIGHT_MAX_DEFAULT } from './open.js';
export type { ScratchOptions } from './open.js';
export { ScratchRegion } from './region.js';
export type { ScratchStats } from './region.js';
export { ScratchAllocator } from './allocator.js';
export type { ScratchExtent, ScratchAllocatorOptions } from './allocator.js';
export { sweepScratch, SCRATCH_DIRECTORY_DEFAULT, SCRATCH_FILE_PATTERN, SWEEP_ENTRIES_MAX } from './scratch-file.js';
export type { SweepScratchOptions } from './scratch-file.js';
