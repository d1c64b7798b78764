/**
 * Crash states: what a power cut can leave on a node's disk, materialised as immutable images.
 *
 * A crash state is built by walking the pending operations and asking a `Chooser` what became of
 * each one. The same walk serves three purposes: a random chooser picks the one state a crash
 * leaves (`node.crash()`), an odometer over every choice enumerates all states
 * (`node.crashStates()`), and a chooser that keeps nothing gives the durable state hashed by
 * `sim.hash()`.
 *
 * Allowed states, per profile:
 * - `posix`: the namespace keeps any set of pending operations closed under their dependencies
 *   (see `disk.ts`); each file's pending writes independently survive whole, are lost, or are torn
 *   (each sector of the write kept or lost on its own), applied in submission order over the
 *   durable bytes; each pending truncate/allocate survives or not.
 * - `ext4-ordered`: the namespace keeps a prefix of its pending operations; each file keeps a
 *   prefix of its pending data operations, each whole, and the first one not kept may be torn at
 *   sector granularity (tearing is the device's doing, not the journal's).
 * - `none`: everything survives.
 * - `writeback` (XFS, ext4 `data=writeback`): the namespace as `ext4-ordered` (one journal); each
 *   file's data as `posix`, but its size is journaled metadata on its own: a prefix of the size
 *   changes survives whatever data did, so an extended file can keep its new size with zeros
 *   where the data did not land (the "zero-length file after a crash" class of bugs).
 * Operations still in flight at the crash (never acknowledged) are treated as pending writes, with
 * one more outcome under `posix` and `writeback`: each sector the device was writing may be old,
 * new, zero-filled or garbage.
 */
import { createHash, type Hash } from 'node:crypto';
import { CHUNK_BYTES, FileData } from './file-data.js';
import {
  applyMutation, journaled, newChunkPool, DirInode, Disk, FileInode, SymlinkInode, type DataOp, type DiskOptions, type Inode, type InodeAttributes,
  type MetaOp,
} from './disk.js';
import type { Prng } from './prng.js';

/** Decides each choice of a crash: returns an integer in [0, n). */
export interface Chooser {
  choose(n: number): number;
}

/** A write in flight when the crash happened. */
export interface InflightWrite {
  readonly file: FileInode;
  readonly offsetBytes: number;
  readonly data: Uint8Array;
}

/**
 * A file of an image. A file with several names (hard links) is one `ImageFile` object reached
 * from each of them, so a restart rebuilds one inode with that many links.
 */
export interface ImageFile {
  readonly kind: 'file';
  readonly id: number;
  readonly data: FileData;
  readonly attrs: InodeAttributes;
}

export interface ImageDir {
  readonly kind: 'dir';
  readonly id: number;
  readonly entries: Map<string, ImageNode>;
  readonly attrs?: InodeAttributes;
}

export interface ImageSymlink {
  readonly kind: 'symlink';
  readonly id: number;
  readonly target: string;
  readonly attrs: InodeAttributes;
}

export type ImageNode = ImageFile | ImageDir | ImageSymlink;

/** Writes of at most this many sectors have every torn variant enumerated; larger ones tear per sector. */
const TORN_ENUM_SECTORS_MAX = 4;

export class RandomChooser implements Chooser {
  constructor(private readonly prng: Prng) {}
  choose(n: number): number { return this.prng.below(n); }
}

/** Always 0: under every profile that means "nothing pending survived" (the durable state). */
export const NOTHING_SURVIVES: Chooser = { choose: () => 0 };

/** Replays a prefix of choices, then picks 0; records the radix of every choice made. */
export class ReplayChooser implements Chooser {
  readonly choices: number[] = [];
  readonly radices: number[] = [];
  constructor(private readonly prefix: readonly number[]) {}
  choose(n: number): number {
    const i = this.choices.length;
    const c = i < this.prefix.length ? Math.min(this.prefix[i] as number, n - 1) : 0;
    this.choices.push(c);
    this.radices.push(n);
    return c;
  }
  /** The next choice vector in odometer order, or undefined when this was the last one. */
  next(): number[] | undefined {
    for (let i = this.choices.length - 1; i >= 0; i--) {
      const c = this.choices[i] as number;
      if (c + 1 < (this.radices[i] as number)) return [...this.choices.slice(0, i), c + 1];
    }
    return undefined;
  }
}

/**
 * The disk image a crash now would leave, as `chooser` decides (`'all'`: everything survives).
 * Never modifies `disk`; shares chunks with it copy-on-write.
 */
export function materialize(disk: Disk, sectorBytes: number, chooser: Chooser | 'all', inflight: readonly InflightWrite[]): ImageDir {
  // Namespace: which pending operations survive.
  const overlays = new Map<DirInode, Map<string, Inode>>();
  const entriesOf = (dir: DirInode): Map<string, Inode> => {
    let map = overlays.get(dir);
    if (map === undefined) {
      map = new Map(dir.durableEntries);
      overlays.set(dir, map);
    }
    return map;
  };
  const pending = disk.pendingMeta;
  let kept: MetaOp[];
  if (chooser === 'all' || disk.profile === 'none') kept = pending;
  else if (journaled(disk.profile)) kept = pending.slice(0, chooser.choose(pending.length + 1));
  else {
    const keptSet = new Set<MetaOp>();
    for (const op of pending) {
      if (!op.deps.every((d) => d.committed || keptSet.has(d))) continue;
      if (chooser.choose(2) === 1) keptSet.add(op);
    }
    kept = pending.filter((op) => keptSet.has(op));
  }
  for (const op of kept) for (const m of op.mutations) applyMutation(entriesOf(m.dir), m);

  const inflightByFile = new Map<FileInode, InflightWrite[]>();
  for (const w of inflight) {
    const list = inflightByFile.get(w.file);
    if (list === undefined) inflightByFile.set(w.file, [w]);
    else list.push(w);
  }

  // A directory is placed once (a crash state cannot show one under two names); a file or link
  // reached by several names (hard links) is one image node, its data chosen once.
  const visited = new Set<Inode>();
  const made = new Map<Inode, ImageFile | ImageSymlink>();
  const walk = (dir: DirInode): ImageDir => {
    const out = new Map<string, ImageNode>();
    const entries = overlays.get(dir) ?? dir.durableEntries;
    for (const name of [...entries.keys()].sort()) {
      const inode = entries.get(name) as Inode;
      if (inode.kind === 'dir') {
        if (visited.has(inode)) continue;
        visited.add(inode);
        out.set(name, walk(inode));
        continue;
      }
      let node = made.get(inode);
      if (node === undefined) {
        node = inode.kind === 'symlink'
          ? { kind: 'symlink', id: inode.id, target: inode.target, attrs: inode.attrs.copy() }
          : { kind: 'file', id: inode.id, data: materializeFile(disk, sectorBytes, inode, chooser, inflightByFile.get(inode)), attrs: inode.attrs.copy() };
        made.set(inode, node);
      }
      out.set(name, node);
    }
    return { kind: 'dir', id: dir.id, entries: out, attrs: dir.attrs.copy() };
  };
  return walk(disk.root);
}

function applyWritePieces(data: FileData, op: { offsetBytes: number; data: Uint8Array }, sectorBytes: number, keep: (sector: number) => boolean): void {
  const offset = op.offsetBytes;
  const end = offset + op.data.byteLength;
  const first = Math.floor(offset / sectorBytes);
  const last = Math.floor((end - 1) / sectorBytes);
  for (let s = first; s <= last; s++) {
    if (!keep(s - first)) continue;
    const from = Math.max(offset, s * sectorBytes);
    const to = Math.min(end, (s + 1) * sectorBytes);
    data.write(op.data.subarray(from - offset, to - offset), from);
  }
}

function applyDataOp(data: FileData, op: DataOp | InflightWrite): void {
  if ('kind' in op && op.kind !== 'write') {
    if (op.kind === 'truncate') data.truncate(op.sizeBytes);
    else if (op.sizeBytes > data.sizeBytes) data.truncate(op.sizeBytes);
    return;
  }
  data.write(op.data as Uint8Array, op.offsetBytes);
}

/** The bytes the media will hold for `file` once its pending operations are all written (a private copy). */
export function replayPending(disk: Disk, file: FileInode): FileData {
  const data = file.durable.share();
  for (const op of disk.pendingOps(file)) applyDataOp(data, op);
  return data;
}

function materializeFile(disk: Disk, sectorBytes: number, file: FileInode, chooser: Chooser | 'all', inflight: InflightWrite[] | undefined): FileData {
  const pending = disk.pendingOps(file);
  const ops: (DataOp | InflightWrite)[] = inflight === undefined ? pending : [...pending, ...inflight];
  if (ops.length === 0) return file.durable.share();
  const data = file.durable.share();
  if (chooser === 'all' || disk.profile === 'none') {
    for (const op of ops) applyDataOp(data, op);
    return data;
  }
  if (disk.profile === 'ext4-ordered') {
    const count = chooser.choose(ops.length + 1);
    for (let i = 0; i < count; i++) applyDataOp(data, ops[i] as DataOp | InflightWrite);
    // The first operation that did not complete may have been cut mid-way: tearing at sector
    // granularity is the device's doing, whatever the journal mode.
    const next = ops[count];
    if (next !== undefined && sectorCount(next, sectorBytes) > 1 && chooser.choose(2) === 1) {
      tear(data, next as { offsetBytes: number; data: Uint8Array }, sectorBytes, chooser);
    }
    return data;
  }
  // posix and writeback: each operation's fate on its own.
  const sizeOnItsOwn = disk.profile === 'writeback';
  // writeback: the size is journaled metadata, independent of the data: a prefix of the size
  // changes is durable, whatever data landed (the tail of an extended file then reads as zeros).
  const sizesKept = sizeOnItsOwn ? chooser.choose(ops.length + 1) : 0;
  let sizeBytes = data.sizeBytes;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as DataOp | InflightWrite;
    const isWrite = !('kind' in op) || op.kind === 'write';
    if (i < sizesKept) sizeBytes = sizeAfter(op, sizeBytes);
    if (!isWrite || (op.data as Uint8Array).byteLength === 0) {
      if (sizeOnItsOwn ? i < sizesKept : chooser.choose(2) === 1) applyDataOp(data, op);
      continue;
    }
    const write = op as { offsetBytes: number; data: Uint8Array };
    const inflight = 'file' in op;
    if (sectorCount(op, sectorBytes) === 1) {
      if (inflight) damage(data, write, sectorBytes, chooser, file.id);
      else if (chooser.choose(2) === 1) applyDataOp(data, op);
      continue;
    }
    // 0 lost, 1 whole, 2 torn; for a write the device was doing at the cut, 3: each sector old,
    // new, zero-filled or garbage.
    const fate = chooser.choose(inflight ? 4 : 3);
    if (fate === 1) applyDataOp(data, op);
    else if (fate === 2) tear(data, write, sectorBytes, chooser);
    else if (fate === 3) damage(data, write, sectorBytes, chooser, file.id);
  }
  if (sizeOnItsOwn) data.truncate(sizeBytes);
  return data;
}

/** The size after `op` applied to a file of `sizeBytes`. */
function sizeAfter(op: DataOp | InflightWrite, sizeBytes: number): number {
  if ('kind' in op && op.kind === 'truncate') return op.sizeBytes;
  if ('kind' in op && op.kind === 'grow') return Math.max(sizeBytes, op.sizeBytes);
  return Math.max(sizeBytes, op.offsetBytes + (op.data as Uint8Array).byteLength);
}

/**
 * Outcome of each sector written at the power cut: 0 old, 1 new, 2 zero-filled, 3 garbage. Only a
 * sector the file already had is overwritten in place on the device; a sector past the end is new
 * space, which no file system exposes before its data is written (its extent or size is committed
 * after the data), so it is only old (absent) or new.
 */
function damage(data: FileData, write: { offsetBytes: number; data: Uint8Array }, sectorBytes: number, chooser: Chooser, fileId: number): void {
  const offset = write.offsetBytes;
  const end = offset + write.data.byteLength;
  const first = Math.floor(offset / sectorBytes);
  const last = Math.floor((end - 1) / sectorBytes);
  const existingEnd = data.sizeBytes;
  for (let s = first; s <= last; s++) {
    const outcome = chooser.choose(s * sectorBytes < existingEnd ? 4 : 2);
    if (outcome === 0) continue;
    const from = Math.max(offset, s * sectorBytes);
    const to = Math.min(end, (s + 1) * sectorBytes);
    if (outcome === 1) data.write(write.data.subarray(from - offset, to - offset), from);
    else if (outcome === 2) data.write(new Uint8Array(to - from), from);
    else data.write(garbage(fileId, s, to - from), from);
  }
}

/**
 * Deterministic garbage for sector `sector` of file `fileId`: what a half-programmed sector reads
 * as. A function of its place only, so crash states stay reproducible and deduplicate.
 */
function garbage(fileId: number, sector: number, lengthBytes: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  let x = (Math.imul(fileId + 1, 0x9e37_79b1) ^ Math.imul(sector + 1, 0x85eb_ca6b)) >>> 0 || 1;
  for (let i = 0; i < lengthBytes; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Sectors a data operation touches (0 for a truncate, a grow or an empty write). */
function sectorCount(op: DataOp | InflightWrite, sectorBytes: number): number {
  if (('kind' in op && op.kind !== 'write') || op.data === undefined || op.data.byteLength === 0) return 0;
  return Math.floor((op.offsetBytes + op.data.byteLength - 1) / sectorBytes) - Math.floor(op.offsetBytes / sectorBytes) + 1;
}

/** A torn write: some of its sectors landed, each whole. */
function tear(data: FileData, write: { offsetBytes: number; data: Uint8Array }, sectorBytes: number, chooser: Chooser): void {
  const sectors = Math.floor((write.offsetBytes + write.data.byteLength - 1) / sectorBytes) - Math.floor(write.offsetBytes / sectorBytes) + 1;
  if (sectors <= TORN_ENUM_SECTORS_MAX) {
    // Every proper non-empty subset of the sectors: 1 .. 2^s - 2.
    const mask = 1 + chooser.choose((1 << sectors) - 2);
    applyWritePieces(data, write, sectorBytes, (s) => ((mask >> s) & 1) === 1);
  } else {
    applyWritePieces(data, write, sectorBytes, () => chooser.choose(2) === 1);
  }
}

function isZero(chunk: Uint8Array): boolean {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return false;
  return true;
}

const u64 = Buffer.alloc(8);
function updateNumber(hash: Hash, value: number): void {
  u64.writeDoubleLE(value, 0);
  hash.update(u64);
}

/**
 * Feeds a canonical encoding of an image (names, kinds, sizes, non-zero chunks) into `hash`. A
 * file met again under another name (a hard link) is encoded by a reference to its first name, so
 * two names of one inode and two equal files hash differently (they restart differently).
 */
export function hashImage(hash: Hash, dir: ImageDir, seen: Map<ImageFile, number> = new Map()): void {
  hash.update('d{');
  for (const [name, node] of dir.entries) {
    hash.update(name);
    hash.update('\u0000');
    if (node.kind === 'dir') hashImage(hash, node, seen);
    else if (node.kind === 'symlink') {
      hash.update('l');
      hash.update(node.target);
      hash.update('\u0000');
    } else {
      const first = seen.get(node);
      if (first !== undefined) {
        hash.update('h');
        updateNumber(hash, first);
        continue;
      }
      seen.set(node, seen.size);
      hash.update('f');
      updateNumber(hash, node.data.sizeBytes);
      for (const index of node.data.sortedIndexes()) {
        const chunk = node.data.chunks.get(index) as Uint8Array;
        if (index * CHUNK_BYTES >= node.data.sizeBytes || isZero(chunk)) continue;
        updateNumber(hash, index);
        hash.update(chunk);
      }
    }
  }
  hash.update('}');
}

export function imageDigest(image: ImageDir): string {
  const hash = createHash('sha256');
  hashImage(hash, image);
  return hash.digest('hex');
}

/** A fresh disk whose cache and durable state are `image` (shared copy-on-write, never modified). */
export function diskFromImage(image: ImageDir, options: DiskOptions): Disk {
  const pool = newChunkPool(options);
  const built = new Map<ImageFile | ImageSymlink, FileInode | SymlinkInode>();
  let usedBytes = 0;
  const build = (src: ImageDir): DirInode => {
    const dir = new DirInode(src.id);
    if (src.attrs !== undefined) dir.attrs = src.attrs.copy();
    for (const [name, node] of src.entries) {
      let inode: Inode;
      if (node.kind === 'dir') {
        inode = build(node);
        dir.subdirCount++;
      } else {
        let made = built.get(node);
        if (made === undefined) {
          if (node.kind === 'symlink') made = new SymlinkInode(node.id, node.target);
          else {
            made = new FileInode(node.id, node.data.share(), pool);
            made.charged = true;
            usedBytes += made.cache.sizeBytes;
          }
          made.attrs = node.attrs.copy();
          built.set(node, made);
        }
        made.nlink++;
        inode = made;
      }
      dir.entries.set(name, inode);
      dir.durableEntries.set(name, inode);
    }
    return dir;
  };
  const disk = new Disk(build(image), options, pool);
  disk.usedBytes = usedBytes;
  return disk;
}

/** Text listing of an image (for failure messages and debugging). */
export function describeImage(image: ImageDir, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [name, node] of image.entries) {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    if (node.kind === 'dir') {
      lines.push(`${path}/`);
      lines.push(...describeImage(node, path));
    } else if (node.kind === 'symlink') lines.push(`${path} -> ${node.target}`);
    else lines.push(`${path} (${node.data.sizeBytes} bytes)`);
  }
  return lines;
}
