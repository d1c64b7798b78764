/** `node.fs`: Node's fs API over a simulated (or any sync-capable namespace) disk. */
export { createNodeFs, type NodeFs } from './create-node-fs.js';
export { FileHandle } from './file-handle.js';
export { Dir } from './dir.js';
export { BigIntStats } from './stats.js';
export { NODE_FS_FD_COUNT_MAX } from './fd-table.js';
