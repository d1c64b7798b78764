/**
 * What FsIo can offer beyond the common core on this platform: O_DIRECT (with aligned buffers
 * from the native addon) and O_TMPFILE. Decided once per FsIo from the platform, the CPU
 * architecture (flag values), the fs module (only the real node:fs reaches the kernel) and
 * whether the native addon loads; each unsupported capability carries the reason, so a caller or
 * a test manifest can say why it is off.
 *
 * This is about the platform, not the filesystem under the root: a filesystem that does not
 * honour O_DIRECT (tmpfs before Linux 6.6, some FUSE and network filesystems) fails the open
 * itself with the kernel's `EINVAL`, and one without O_TMPFILE with `EOPNOTSUPP`, exactly as the
 * io_uring backend does.
 */
import * as nodeFs from 'node:fs';
import { DIRECT_ALIGNMENT_BYTES } from '../../interfaces/limits.js';
import { loadBinding, nativeAlignedAllocator } from '../../native/binding.js';

/** One capability: whether it is available and, when not, why. */
export interface FsCapability {
  readonly supported: boolean;
  /** Why the capability is off (absent when supported). */
  readonly reason?: string;
}

/** What {@link fsIoCapabilities} reports. */
export interface FsIoCapabilities {
  /** O_DIRECT opens with 4096-aligned buffers from `allocAligned`. */
  readonly direct: FsCapability;
  /** O_TMPFILE opens (an unnamed file in a directory). */
  readonly tmpfile: FsCapability;
}

/**
 * Linux's `__O_TMPFILE` on the asm-generic ABI. Node does not export O_TMPFILE, so it is defined
 * here; O_TMPFILE proper is this bit together with O_DIRECTORY (whose value node does export, and
 * which differs on 32-bit ARM and PowerPC). Alpha, PA-RISC and SPARC use other values: they are
 * not in {@link TMPFILE_ARCHES}.
 */
const O_TMPFILE_BIT = 0o20000000;

/** Node's `process.arch` values whose kernels use the asm-generic `__O_TMPFILE` value. */
const TMPFILE_ARCHES: ReadonlySet<string> = new Set(['x64', 'arm64', 'arm', 'ia32', 'riscv64', 'ppc64', 's390x', 'loong64', 'mips', 'mipsel']);

/** The open flags of O_TMPFILE (`__O_TMPFILE | O_DIRECTORY`), or 0 where they are unknown. */
export function tmpfileOpenFlags(): number {
  const directory = nodeFs.constants.O_DIRECTORY;
  if (process.platform !== 'linux' || !TMPFILE_ARCHES.has(process.arch) || typeof directory !== 'number') return 0;
  return O_TMPFILE_BIT | directory;
}

/** Node's O_DIRECT, or 0 where the platform has none (macOS has F_NOCACHE instead, not offered). */
export function directOpenFlag(): number {
  const direct = (nodeFs.constants as { O_DIRECT?: number }).O_DIRECT;
  return process.platform === 'linux' && typeof direct === 'number' ? direct : 0;
}

/** The aligned allocator for direct I/O, or its absence with the reason. */
export interface AlignedAllocatorLookup {
  readonly allocate: ((lengthBytes: number) => Uint8Array) | undefined;
  readonly reason?: string;
}

function lookupAllocator(): AlignedAllocatorLookup {
  const allocate = nativeAlignedAllocator();
  if (allocate === undefined) {
    const load = loadBinding();
    const why = load.ok ? 'it has no allocator' : load.reason;
    return { allocate, reason: `no 4096-aligned allocator: the native addon is not loadable (${why})` };
  }
  const load = loadBinding();
  if (load.ok && load.binding.alignmentBytes < DIRECT_ALIGNMENT_BYTES) {
    return { allocate: undefined, reason: `the native allocator aligns to ${load.binding.alignmentBytes} bytes, not ${DIRECT_ALIGNMENT_BYTES}` };
  }
  return { allocate };
}

/**
 * What an FsIo over node:fs (or, with `custom`, over another fs module) can offer on this
 * platform, each capability with the reason when it is off. A custom module never reaches the
 * kernel's open flags, so neither capability is offered for one. Loads the native addon (once per
 * thread) when O_DIRECT is otherwise possible. Never throws.
 */
export function fsIoCapabilities(custom = false): FsIoCapabilities {
  const { direct, tmpfile } = resolveFsCapabilities(custom, true);
  return { direct, tmpfile };
}

/**
 * {@link fsIoCapabilities} plus the aligned allocator, for FsIo itself. Without `lookupDirect`
 * the addon is not loaded and `direct` is reported off (the caller has turned it off anyway).
 */
export function resolveFsCapabilities(custom: boolean, lookupDirect: boolean): FsIoCapabilities & { readonly allocator: AlignedAllocatorLookup } {
  const noAllocator: AlignedAllocatorLookup = { allocate: undefined };
  if (custom) {
    const reason = 'a custom fs module does not pass open flags to the kernel';
    return { direct: { supported: false, reason }, tmpfile: { supported: false, reason }, allocator: noAllocator };
  }
  const tmpfile: FsCapability = tmpfileOpenFlags() !== 0
    ? { supported: true }
    : {
      supported: false,
      reason: process.platform === 'linux'
        ? `the value of O_TMPFILE is not known for the ${process.arch} architecture`
        : `O_TMPFILE is Linux-only (platform: ${process.platform})`,
    };
  if (directOpenFlag() === 0) {
    return { direct: { supported: false, reason: `O_DIRECT is Linux-only (platform: ${process.platform})` }, tmpfile, allocator: noAllocator };
  }
  if (!lookupDirect) {
    return { direct: { supported: false, reason: 'not looked up' }, tmpfile, allocator: noAllocator };
  }
  const allocator = lookupAllocator();
  const direct: FsCapability = allocator.allocate !== undefined
    ? { supported: true }
    : { supported: false, reason: allocator.reason ?? 'no aligned allocator' };
  return { direct, tmpfile, allocator };
}
