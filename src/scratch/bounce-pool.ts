/** The bounded bounce-buffer pool lives in `src/common/` (FsIo uses it too); re-exported here for the scratch region. */
export { BouncePool, type BouncePoolOptions } from '../common/bounce-pool.js';
