/**
 * Which memory came from an `allocAligned`, of any backend: a process-wide weak set of the
 * ArrayBuffers handed out. UringIo and FsIo hand out native memory that starts on a 4096-byte
 * boundary; SimIo hands out ordinary memory that its direct I/O accepts as aligned (so a
 * simulated program needs the same discipline as a real one). Kept in one place so that a buffer
 * from one backend counts as aligned on another, as the memory really is.
 *
 * Storage asks it (through {@link isAlignedView}) to pass a caller's aligned buffer straight to a
 * direct write instead of copying it into a bounce buffer.
 */
import { DIRECT_ALIGNMENT_BYTES } from '../interfaces/limits.js';
import { intrinsicBuffer, intrinsicByteLength, intrinsicByteOffset } from '../interfaces/validate.js';

const alignedMemory = new WeakSet<ArrayBufferLike>();

/** Records `view`'s memory as aligned (called by each backend's allocAligned); returns `view`. */
export function markAlignedMemory<T extends Uint8Array>(view: T): T {
  alignedMemory.add(intrinsicBuffer(view));
  return view;
}

/** True when `buffer` (an ArrayBuffer) came from an allocAligned. */
export function isAlignedMemory(buffer: ArrayBufferLike): boolean {
  return alignedMemory.has(buffer);
}

/**
 * True when `view` lies in allocAligned memory at an offset and with a length that are multiples
 * of `alignmentBytes`: a direct transfer can use it as it is. Always false past
 * {@link DIRECT_ALIGNMENT_BYTES}, the alignment allocAligned promises. Engine getters only.
 */
export function isAlignedView(view: Uint8Array, alignmentBytes: number): boolean {
  return alignmentBytes <= DIRECT_ALIGNMENT_BYTES && alignedMemory.has(intrinsicBuffer(view))
    && intrinsicByteOffset(view) % alignmentBytes === 0
    && intrinsicByteLength(view) % alignmentBytes === 0;
}
