/**
 * Limits every backend enforces identically (through the checks in `validate.ts`). Going past one
 * is `ERR_LIMIT_EXCEEDED` (or `ENAMETOOLONG` for names, as Linux reports it), never silent growth.
 */

/**
 * Largest offset, and largest `offset + length` of a write or an allocation, that any call
 * accepts: 2^44 (16 TiB). Past it the argument is refused with `ERR_LIMIT_EXCEEDED` before
 * anything else is looked at (a library limit, checked identically everywhere).
 */
export const OFFSET_MAX_BYTES = 2 ** 44;
/**
 * Largest size a file can reach: ext4's limit with 4 KiB blocks, 2^44 - 4096 (s_maxbytes; one
 * block less than 16 TiB), enforced by every backend as Linux does: a write starting at or past
 * it is `EFBIG`, one crossing it is short (it stops there), a truncate or allocation past it is
 * `EFBIG`, and a read there returns 0.
 */
export const FILE_SIZE_MAX_BYTES = 2 ** 44 - 4096;
/** Largest transfer of one read/write/readv/writev call: Linux's MAX_RW_COUNT (2 GiB minus one page). */
export const IO_BYTES_MAX = 0x7fff_f000;
/** Most buffers in one readv/writev call: Linux's IOV_MAX. */
export const IOV_COUNT_MAX = 1024;
/**
 * Most entries in one `readBatch`/`writeBatch` call: a batch is one allocation of per-entry state
 * and, on io_uring, at most this many submission-queue entries queued at once.
 */
export const BATCH_ENTRIES_MAX = 4096;
/** Longest path, in UTF-8 bytes: Linux's PATH_MAX less its terminating NUL. */
export const PATH_BYTES_MAX = 4095;
/** Longest path component, in UTF-8 bytes: Linux's NAME_MAX. */
export const NAME_BYTES_MAX = 255;
/** Longest partition name, in characters. */
export const PARTITION_NAME_LENGTH_MAX = 128;
/** Longest blob name, in bytes (its lowercase-hex file name is twice as long and must fit NAME_MAX with a suffix). */
export const BLOB_NAME_BYTES_MAX = 120;
/** Alignment of offsets, lengths and buffers for `direct` (O_DIRECT) I/O. */
export const DIRECT_ALIGNMENT_BYTES = 4096;
/** Size of the header that starts every blob file; blob data begins right after it. */
export const BLOB_HEADER_BYTES = 4096;
/** Largest blob data size: the file size limit less the header. */
export const BLOB_SIZE_MAX_BYTES = FILE_SIZE_MAX_BYTES - BLOB_HEADER_BYTES;
/**
 * Most buffers in one blob write (`writeAt`/`writeAtDurable` given an array): 64 writev calls of
 * {@link IOV_COUNT_MAX}. The list is snapshotted at the call, so the bound keeps that copy small.
 */
export const BLOB_WRITE_BUFFERS_MAX = 64 * IOV_COUNT_MAX;
/** Largest application blob version (a u16). */
export const BLOB_VERSION_MAX = 0xffff;
