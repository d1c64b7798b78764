/** Storage and Blob, built once over any Io. */
export { createStorage, ATOMIC_TEMP_SUFFIX, STORAGE_OPERATIONS_IN_FLIGHT_MAX } from './storage.js';
export type { StorageOptions } from './storage.js';
export { BLOB_OPERATIONS_IN_FLIGHT_MAX } from './blob.js';
export {
  BLOB_MAGIC, BLOB_LAYOUT_VERSION, HEADER_OFFSET_MAGIC, HEADER_OFFSET_LAYOUT_VERSION, HEADER_OFFSET_BLOB_VERSION,
  HEADER_OFFSET_CRC, HEADER_OFFSET_PADDING, encodeHeader, decodeHeader, headerChecksum,
} from './header.js';
export type { HeaderDecodeResult, HeaderDamage } from './header.js';
