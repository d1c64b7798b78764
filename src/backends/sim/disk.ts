/**
 * The simulated disk of one node: inodes, the page cache, what is durable, and what is pending.
 *
 * Architecture: each file inode holds two `FileData` (the page cache that reads and writes see,
 * and the durable image) plus the list of its data operations since its last successful fsync.
 * Each directory holds its cached entries and its durable entries; the namespace operations not
 * yet made durable form one ordered list (`pendingMeta`) with explicit dependencies: an operation
 * depends on the previous pending operation on each name it changes (a rename changes two). A
 * crash keeps a set of pending operations closed under those dependencies (see `crash.ts`). No
 * dependency is needed between a directory's creation and its entries: an entry made durable
 * inside a directory whose own name is lost is simply unreachable, as on a real file system
 * (fsck would move it to lost+found).
 *
 * Hard links are several entries naming one inode (`nlink`); a symbolic link is an inode holding
 * its target text, followed by `resolve` (intermediate components always, the last one on
 * request). Both enter the namespace as ordinary pending operations, so the crash model needs
 * nothing special for them.
 *
 * Memory: chunks are shared copy-on-write between cache, durable image and crash states; pending
 * writes are rows of a per-file `PendingLog` (typed arrays, no object per write) whose bytes are
 * either the cache chunk itself (a whole-chunk write pins it, see `FileData.pin`) or a copy in
 * the disk's `PendingArena`, bounded by `dirtyBytesMax` (past it the simulated kernel
 * writes everything back, as Linux's dirty limits force) and by `PENDING_OPS_MAX`.
 *
 * Fault model (what this file decides): fsync of a file commits its data and size, not its name;
 * fsync of a directory commits its entries (and what they depend on); under `ext4-ordered` any
 * fsync commits every pending namespace operation (one journal); under `none` everything is
 * committed at once. fsyncgate (`failFileSync`) drops the file's pending writes while the cache
 * keeps showing them.
 */
import { StorageError } from '../../interfaces/errors.js';
import { NAME_BYTES_MAX } from '../../interfaces/limits.js';
import { intrinsicByteLength, plainCopy } from '../../interfaces/validate.js';
import { CHUNK_BYTES, ChunkPool, FileData } from './file-data.js';
import { OP_GROW, OP_TRUNCATE, OP_WRITE, PINNED, PendingArena, PendingLog, type DataOp } from './pending-log.js';

export type SimProfile = 'posix' | 'ext4-ordered' | 'writeback' | 'none';
export const SIM_PROFILES: readonly SimProfile[] = ['posix', 'ext4-ordered', 'writeback', 'none'];

/** A crash profile by name: `ERR_INVALID_ARGUMENT` ("`operation`: unknown profile") for anything else. */
export function checkSimProfile(operation: string, profile: unknown): SimProfile {
  const found = SIM_PROFILES.find((name) => name === profile);
  // The value in details only when it is a string: String() of a hostile object would run its code (and may throw).
  if (found === undefined) throw new StorageError('ERR_INVALID_ARGUMENT', `${operation}: unknown profile`, { operation, argument: 'profile', value: typeof profile === 'string' ? profile : typeof profile, allowed: [...SIM_PROFILES] });
  return found;
}

/** Profiles with one metadata journal: namespace operations commit in order, any fsync commits them all. */
export function journaled(profile: SimProfile): boolean {
  return profile === 'ext4-ordered' || profile === 'writeback';
}

/** Most pending data or namespace operations per node before the simulated kernel writes back. */
export const PENDING_OPS_MAX = 65_536;

export type { DataOp } from './pending-log.js';

/**
 * Attributes every inode carries (for `statFull`). Not part of the crash model: a crash keeps the
 * values they have at that moment (real file systems journal them with the inode, and no
 * crash-safety protocol depends on them).
 */
export class InodeAttributes {
  /** Permission bits only (the type comes from the inode's kind). */
  mode: number;
  uid = 0;
  gid = 0;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  constructor(mode: number, nowMs: number) {
    this.mode = mode;
    this.atimeMs = nowMs;
    this.mtimeMs = nowMs;
    this.ctimeMs = nowMs;
    this.birthtimeMs = nowMs;
  }
  copy(): InodeAttributes {
    const out = new InodeAttributes(this.mode, this.birthtimeMs);
    out.uid = this.uid;
    out.gid = this.gid;
    out.atimeMs = this.atimeMs;
    out.mtimeMs = this.mtimeMs;
    out.ctimeMs = this.ctimeMs;
    return out;
  }
}

export class FileInode {
  readonly kind = 'file' as const;
  attrs: InodeAttributes = new InodeAttributes(0o644, 0);
  cache: FileData;
  durable: FileData;
  /** Data operations since the last successful fsync, in submission order. */
  readonly pending = new PendingLog(PENDING_OPS_MAX + 2);
  pendingBytes = 0;
  /** Names in the cached namespace (hard links). */
  nlink = 0;
  openCount = 0;
  /** Counted in the disk's used bytes. */
  charged = false;
  constructor(readonly id: number, durable: FileData, pool: ChunkPool) {
    this.durable = durable;
    this.cache = durable.share(pool);
    this.cache.base = durable;
  }
}

/** One change of one directory entry: `inode` undefined removes the name. */
export interface EntryMutation {
  readonly dir: DirInode;
  readonly name: string;
  readonly inode: Inode | undefined;
}

export class MetaOp {
  committed = false;
  constructor(
    readonly seq: number,
    readonly label: string,
    readonly mutations: readonly EntryMutation[],
    readonly deps: readonly MetaOp[],
  ) {}
}

export class DirInode {
  readonly kind = 'dir' as const;
  attrs: InodeAttributes = new InodeAttributes(0o755, 0);
  readonly entries = new Map<string, Inode>();
  readonly durableEntries = new Map<string, Inode>();
  /** Subdirectories in the cached namespace (for nlink). */
  subdirCount = 0;
  constructor(readonly id: number) {}
}

/** A symbolic link: its target text is fixed at creation. */
export class SymlinkInode {
  readonly kind = 'symlink' as const;
  attrs: InodeAttributes = new InodeAttributes(0o777, 0);
  /** Names in the cached namespace (a symbolic link can be hard-linked too). */
  nlink = 0;
  constructor(readonly id: number, readonly target: string) {}
}

export type Inode = FileInode | DirInode | SymlinkInode;

/** Most symbolic links one path resolution follows before `ELOOP` (Linux's MAXSYMLINKS). */
export const SYMLINK_FOLLOW_MAX = 40;

/** Where a path leads: its parent directory, last name and the inode there (if any). */
export interface Lookup {
  readonly parent: DirInode;
  readonly name: string;
  readonly inode: Inode | undefined;
}

export interface DiskOptions {
  readonly profile: SimProfile;
  readonly capacityBytes: number;
  readonly dirtyBytesMax: number;
  readonly allocInodeId: () => number;
  /** The simulated clock, for inode times. */
  readonly nowMs: () => number;
  /** Told when the simulated kernel writes back on its own (for the trace). */
  readonly onWriteback: (reason: string, bytes: number) => void;
}

function sysError(code: 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'EEXIST' | 'ENOTEMPTY' | 'EINVAL' | 'ENOSPC' | 'EBUSY' | 'ELOOP' | 'ENAMETOOLONG', operation: string, path: string): StorageError {
  return StorageError.fromErrno(code, operation, { path });
}

/** How a resolution treats the last component and `..` above the root. */
export interface ResolveOptions {
  /** Follow a symbolic link in the last component. */
  readonly follow: boolean;
}

export class Disk {

  readonly root: DirInode;
  readonly profile: SimProfile;
  usedBytes = 0;
  readonly capacityBytes: number;
  pendingMeta: MetaOp[] = [];
  private readonly lastOpByKey = new Map<string, MetaOp>();
  private metaSeq = 0;
  readonly dirtyFiles = new Set<FileInode>();
  pendingDataBytes = 0;
  private pendingDataOps = 0;
  private readonly options: DiskOptions;
  /** @internal Recycled chunks for the page cache of this disk's files. */
  readonly pool: ChunkPool;
  private readonly arena: PendingArena;
  /** Reused by `commitFile` (emptied after each use; at most one entry per pending write). */
  private readonly displacedScratch: Uint8Array[] = [];
  /**
   * Set by SimIo while it completes an operation of a POSIX caller (`io.posix`, what node.fs runs
   * on): symbolic links then resolve as Linux resolves them on a whole disk — an absolute target
   * restarts at the root and a `..` at the root stays there. Otherwise (the Io contract, like
   * openat2's RESOLVE_BENEATH on the real backends) both are `ERR_PATH_ESCAPE`.
   */
  posixLinkResolution = false;

  constructor(root: DirInode, options: DiskOptions, pool: ChunkPool = newChunkPool(options)) {
    this.root = root;
    this.pool = pool;
    this.options = options;
    this.profile = options.profile;
    this.capacityBytes = options.capacityBytes;
    this.arena = new PendingArena(options.dirtyBytesMax);
  }

  // ---- namespace lookups -------------------------------------------------------------------

  /**
   * Resolves a normalized path without following a symbolic link in the last component. Missing
   * or non-directory intermediate components throw, in walk order; intermediate symbolic links are
   * followed. See {@link resolve} for `tooLongIndex` and `lastChecked`.
   */
  lookup(operation: string, path: string, tooLongIndex = -1, lastChecked = true): Lookup {
    return this.resolve(operation, path, false, tooLongIndex, lastChecked);
  }

  /**
   * Resolves a normalized path, following intermediate symbolic links and, with `follow`, one in
   * the last component (a dangling one gives the place its target names, `inode` undefined). The
   * component at `tooLongIndex` (of `path`), and any component of a link target longer than
   * NAME_MAX, is `ENAMETOOLONG` once the walk reaches it, as Linux's lookup does. With
   * `lastChecked` false the last name is not looked at (rename walks both parents before it looks
   * up either last name).
   */
  resolve(operation: string, path: string, follow: boolean, tooLongIndex = -1, lastChecked = true): Lookup {
    if (path === '.') return { parent: this.root, name: '.', inode: this.root };
    let dir = this.root;
    let start = 0;
    let index = 0;
    for (;;) {
      const slash = path.indexOf('/', start);
      if (slash < 0) break;
      if (index === tooLongIndex) throw sysError('ENAMETOOLONG', operation, path);
      const next = dir.entries.get(path.slice(start, slash));
      if (next === undefined) throw sysError('ENOENT', operation, path);
      if (next.kind === 'symlink') return this.resolveSlow(operation, path, follow, tooLongIndex, lastChecked);
      if (next.kind !== 'dir') throw sysError('ENOTDIR', operation, path);
      dir = next;
      start = slash + 1;
      index += 1;
    }
    if (lastChecked && index === tooLongIndex) throw sysError('ENAMETOOLONG', operation, path);
    const name = path.slice(start);
    const inode = dir.entries.get(name);
    if (follow && inode !== undefined && inode.kind === 'symlink') return this.resolveSlow(operation, path, follow, tooLongIndex, lastChecked);
    return { parent: dir, name, inode };
  }

  /**
   * Resolution through symbolic links: a component stack walked with the ancestors kept for
   * `..`. For the Io contract an absolute target, or `..` above the root, is `ERR_PATH_ESCAPE`
   * (its namespace ends there, as RESOLVE_BENEATH has it); for a POSIX caller
   * (`posixLinkResolution`) an absolute target restarts at the disk's root and `..` there stays put.
   */
  private resolveSlow(operation: string, path: string, follow: boolean, tooLongIndex: number, lastChecked: boolean): Lookup {
    let parts = path.split('/');
    // Which components are past NAME_MAX: the caller's, found by the shared parser, and any of a link's target.
    let tooLong = parts.map((_, k) => k === tooLongIndex);
    let i = 0;
    let dir = this.root;
    const ancestors: DirInode[] = [];
    let followed = 0;
    while (i < parts.length) {
      const name = parts[i] as string;
      const last = i === parts.length - 1;
      if (name === '' || name === '.') { i++; continue; }
      if (name === '..') {
        const up = ancestors.pop();
        if (up === undefined) {
          // At the root: POSIX callers (node.fs) stay there, as Linux does on a whole disk.
          if (this.posixLinkResolution) { i++; continue; }
          throw new StorageError('ERR_PATH_ESCAPE', `${operation}: a symbolic link leads above the root`, { operation, path });
        }
        dir = up;
        i++;
        continue;
      }
      if (tooLong[i] === true && (!last || lastChecked)) throw sysError('ENAMETOOLONG', operation, path);
      const inode = dir.entries.get(name);
      if (last && (inode === undefined || inode.kind !== 'symlink' || !follow)) return { parent: dir, name, inode };
      if (inode === undefined) throw sysError('ENOENT', operation, path);
      if (inode.kind === 'symlink') {
        if (++followed > SYMLINK_FOLLOW_MAX) throw sysError('ELOOP', operation, path);
        const rest = parts.slice(i + 1);
        const restTooLong = tooLong.slice(i + 1);
        if (inode.target.startsWith('/')) {
          if (!this.posixLinkResolution) {
            throw new StorageError('ERR_PATH_ESCAPE', `${operation}: an absolute symbolic link is outside the Io's namespace (RESOLVE_BENEATH)`, { operation, path });
          }
          dir = this.root;
          ancestors.length = 0;
        }
        const targetParts = inode.target.split('/');
        parts = [...targetParts, ...rest];
        tooLong = [...targetParts.map((part) => Buffer.byteLength(part, 'utf8') > NAME_BYTES_MAX), ...restTooLong];
        i = 0;
        continue;
      }
      if (inode.kind !== 'dir') throw sysError('ENOTDIR', operation, path);
      ancestors.push(dir);
      dir = inode;
      i++;
    }
    // The path ended on a directory reached through '.', '..' or a link's trailing slash.
    return { parent: ancestors[ancestors.length - 1] ?? this.root, name: '.', inode: dir };
  }

  // ---- capacity ----------------------------------------------------------------------------

  /** Throws ENOSPC unless `growthBytes` more fit on the disk. */
  reserve(operation: string, path: string, growthBytes: number): void {
    if (growthBytes > 0 && this.usedBytes + growthBytes > this.capacityBytes) {
      throw StorageError.fromErrno('ENOSPC', operation, { path, capacityBytes: this.capacityBytes, usedBytes: this.usedBytes });
    }
  }

  private resize(file: FileInode, before: number): void {
    if (file.charged) this.usedBytes += file.cache.sizeBytes - before;
  }

  /** Drops the inode's bytes from the used count once it has no name and no open fd. */
  release(file: FileInode): void {
    if (file.charged && file.nlink === 0 && file.openCount === 0) {
      file.charged = false;
      this.usedBytes -= file.cache.sizeBytes;
    }
  }

  // ---- namespace changes (cache + pending) -------------------------------------------------

  /** Marks `dir`'s entries as changed now (mtime and ctime). */
  private touchDir(dir: DirInode): void {
    const now = this.options.nowMs();
    dir.attrs.mtimeMs = now;
    dir.attrs.ctimeMs = now;
  }

  /** Marks a file's data as changed now. */
  touchData(file: FileInode): void {
    const now = this.options.nowMs();
    file.attrs.mtimeMs = now;
    file.attrs.ctimeMs = now;
  }

  createFile(parent: DirInode, name: string, mode = 0o644): FileInode {
    const file = new FileInode(this.options.allocInodeId(), new FileData(), this.pool);
    file.attrs = new InodeAttributes(mode & 0o7777, this.options.nowMs());
    file.charged = true;
    if (name !== '') {
      parent.entries.set(name, file);
      file.nlink = 1;
      this.touchDir(parent);
      this.recordMeta('create', [{ dir: parent, name, inode: file }]);
    }
    return file;
  }

  mkdir(parent: DirInode, name: string): DirInode {
    const dir = new DirInode(this.options.allocInodeId());
    dir.attrs = new InodeAttributes(0o755, this.options.nowMs());
    parent.entries.set(name, dir);
    parent.subdirCount++;
    this.touchDir(parent);
    this.recordMeta('mkdir', [{ dir: parent, name, inode: dir }]);
    return dir;
  }

  symlink(parent: DirInode, name: string, target: string): SymlinkInode {
    const link = new SymlinkInode(this.options.allocInodeId(), target);
    link.attrs = new InodeAttributes(0o777, this.options.nowMs());
    link.nlink = 1;
    parent.entries.set(name, link);
    this.touchDir(parent);
    this.recordMeta('symlink', [{ dir: parent, name, inode: link }]);
    return link;
  }

  /** A second name for a file or symbolic link (link(2)). */
  link(parent: DirInode, name: string, inode: FileInode | SymlinkInode): void {
    parent.entries.set(name, inode);
    inode.nlink++;
    inode.attrs.ctimeMs = this.options.nowMs();
    this.touchDir(parent);
    this.recordMeta('link', [{ dir: parent, name, inode }]);
  }

  /** One name fewer for `inode`; a file's bytes go once it has no name and no open fd. */
  private dropName(inode: FileInode | SymlinkInode): void {
    inode.nlink = Math.max(0, inode.nlink - 1);
    inode.attrs.ctimeMs = this.options.nowMs();
    if (inode.kind === 'file') this.release(inode);
  }

  unlink(parent: DirInode, name: string, inode: FileInode | SymlinkInode): void {
    parent.entries.delete(name);
    this.dropName(inode);
    this.touchDir(parent);
    this.recordMeta('unlink', [{ dir: parent, name, inode: undefined }]);
  }

  rmdir(parent: DirInode, name: string): void {
    parent.entries.delete(name);
    parent.subdirCount--;
    this.touchDir(parent);
    this.recordMeta('rmdir', [{ dir: parent, name, inode: undefined }]);
  }

  rename(from: Lookup, to: Lookup, inode: Inode): void {
    const replaced = to.inode;
    if (replaced !== undefined && replaced.kind !== 'dir') this.dropName(replaced);
    if (replaced !== undefined && replaced.kind === 'dir') to.parent.subdirCount--;
    from.parent.entries.delete(from.name);
    to.parent.entries.set(to.name, inode);
    if (inode.kind === 'dir') {
      from.parent.subdirCount--;
      to.parent.subdirCount++;
    }
    inode.attrs.ctimeMs = this.options.nowMs();
    this.touchDir(from.parent);
    if (to.parent !== from.parent) this.touchDir(to.parent);
    this.recordMeta('rename', [
      { dir: from.parent, name: from.name, inode: undefined },
      { dir: to.parent, name: to.name, inode },
    ]);
  }

  private recordMeta(label: string, mutations: EntryMutation[]): void {
    if (this.profile === 'none') {
      for (const m of mutations) applyMutation(m.dir.durableEntries, m);
      return;
    }
    const deps = new Set<MetaOp>();
    for (const m of mutations) {
      const prev = this.lastOpByKey.get(`${m.dir.id}/${m.name}`);
      if (prev !== undefined && !prev.committed) deps.add(prev);
    }
    const op = new MetaOp(this.metaSeq++, label, mutations, [...deps].sort((a, b) => a.seq - b.seq));
    this.pendingMeta.push(op);
    for (const m of mutations) this.lastOpByKey.set(`${m.dir.id}/${m.name}`, op);
    if (this.pendingMeta.length > PENDING_OPS_MAX) {
      this.options.onWriteback('metadata', this.pendingMeta.length);
      this.commitMeta(this.pendingMeta);
    }
  }

  /** Makes `ops` and everything they depend on durable, in submission order. */
  commitMeta(ops: readonly MetaOp[]): void {
    if (ops.length === 0) return;
    const closure = new Set<MetaOp>();
    const stack = [...ops];
    while (stack.length > 0) {
      const op = stack.pop() as MetaOp;
      if (op.committed || closure.has(op)) continue;
      closure.add(op);
      for (const dep of op.deps) stack.push(dep);
    }
    const ordered = [...closure].sort((a, b) => a.seq - b.seq);
    for (const op of ordered) {
      for (const m of op.mutations) applyMutation(m.dir.durableEntries, m);
      op.committed = true;
    }
    this.pendingMeta = this.pendingMeta.filter((op) => !op.committed);
    for (const op of ordered) {
      for (const m of op.mutations) {
        const key = `${m.dir.id}/${m.name}`;
        if (this.lastOpByKey.get(key) === op) this.lastOpByKey.delete(key);
      }
    }
  }

  /** fsync of a directory. */
  syncDir(dir: DirInode): void {
    if (journaled(this.profile)) this.commitMeta(this.pendingMeta);
    else this.commitMeta(this.pendingMeta.filter((op) => op.mutations.some((m) => m.dir === dir)));
  }

  // ---- data changes ------------------------------------------------------------------------

  write(file: FileInode, data: Uint8Array, offsetBytes: number, copy: boolean): void {
    // `data` may be a caller's own view (SimIo's synchronous write): touched through intrinsics
    // only (see FileData's memory-safety note), and copied when kept (`copy`).
    const length = intrinsicByteLength(data);
    this.touchData(file);
    const before = file.cache.sizeBytes;
    file.cache.write(data, offsetBytes);
    this.resize(file, before);
    if (this.profile === 'none') {
      this.commitChunks(file, offsetBytes, length);
      file.durable.sizeBytes = file.cache.sizeBytes;
      return;
    }
    if (length === CHUNK_BYTES && offsetBytes % CHUNK_BYTES === 0) {
      // One whole page (the common 4 KiB write): the cache chunk now holds exactly these bytes;
      // pinned, it is never changed in place, so it serves as the pending write's copy.
      file.pending.pushWrite(offsetBytes, length, PINNED, file.cache.pin(offsetBytes / CHUNK_BYTES));
      this.pushed(file, length);
      return;
    }
    let position = -1;
    let own: Uint8Array | undefined;
    if (length > PendingArena.COPY_BYTES_MAX) own = copy ? plainCopy(data) : data;
    else {
      position = this.arena.copy(data);
      if (position < 0) {
        // The arena is fragmented by per-file fsyncs: write everything back, which empties it.
        this.writebackAll('arena-full');
        position = this.arena.copy(data);
        if (position < 0) own = plainCopy(data);
      }
    }
    file.pending.pushWrite(offsetBytes, length, position, own);
    this.pushed(file, length);
  }

  /**
   * `write` of one whole aligned page whose bytes are already in `chunk`, a page taken from this
   * disk's pool (`takeChunk`) and referenced by nothing else: the same changes as `write`, with
   * the page installed in the cache instead of copied into it.
   */
  writePage(file: FileInode, chunk: Uint8Array, offsetBytes: number): void {
    this.touchData(file);
    const before = file.cache.sizeBytes;
    const index = offsetBytes / CHUNK_BYTES;
    file.cache.install(index, chunk);
    if (offsetBytes + CHUNK_BYTES > file.cache.sizeBytes) file.cache.sizeBytes = offsetBytes + CHUNK_BYTES;
    this.resize(file, before);
    if (this.profile === 'none') {
      this.commitChunks(file, offsetBytes, CHUNK_BYTES);
      file.durable.sizeBytes = file.cache.sizeBytes;
      return;
    }
    file.pending.pushWrite(offsetBytes, CHUNK_BYTES, PINNED, file.cache.pin(index));
    this.pushed(file, CHUNK_BYTES);
  }

  /** A page for `writePage` (its bytes are unspecified: the caller overwrites all of them). */
  takeChunk(): Uint8Array {
    return this.pool.take() ?? this.pool.fresh();
  }

  /** Gives back a page from `takeChunk` that nothing references. */
  giveChunk(chunk: Uint8Array): void {
    this.pool.put(chunk);
  }

  private writebackAll(reason: string): void {
    this.options.onWriteback(reason, this.pendingDataBytes);
    for (const dirty of [...this.dirtyFiles]) this.commitFile(dirty);
  }

  truncate(file: FileInode, sizeBytes: number): void {
    this.touchData(file);
    const before = file.cache.sizeBytes;
    file.cache.truncate(sizeBytes);
    this.resize(file, before);
    // Logged even under 'none' so the commit below drops the cut chunks from the durable copy too.
    file.pending.pushResize(OP_TRUNCATE, sizeBytes);
    this.pushed(file, 0);
    if (this.profile === 'none') this.commitFile(file);
  }

  grow(file: FileInode, sizeBytes: number): void {
    if (sizeBytes <= file.cache.sizeBytes) return;
    const before = file.cache.sizeBytes;
    file.cache.truncate(sizeBytes);
    this.resize(file, before);
    // Logged even under 'none' so the commit below drops the cut chunks from the durable copy too.
    file.pending.pushResize(OP_GROW, sizeBytes);
    this.pushed(file, 0);
    if (this.profile === 'none') this.commitFile(file);
  }

  private pushed(file: FileInode, bytes: number): void {
    file.pendingBytes += bytes;
    this.pendingDataBytes += bytes;
    this.pendingDataOps++;
    // A file is in `dirtyFiles` exactly while its log is not empty (see `afterDrop`): only its
    // first pending operation adds it (a Set lookup per write showed in profiles).
    if (file.pending.count === 1) this.dirtyFiles.add(file);
    if (this.pendingDataBytes > this.options.dirtyBytesMax || this.pendingDataOps > PENDING_OPS_MAX) this.writebackAll('dirty-limit');
  }

  private commitChunk(file: FileInode, index: number): void {
    const chunk = file.cache.chunks.get(index);
    const durable = file.durable;
    const old = durable.chunks.get(index);
    if (old === chunk) return;
    // The cache stops owning `chunk` by this assignment (ownership is "not the durable chunk").
    if (chunk === undefined) durable.chunks.delete(index);
    else {
      durable.chunks.set(index, chunk);
      file.cache.markShared(index);
    }
    // Recyclable: placed by a commit since the durable image was last shared (so `old` is that chunk).
    if (old !== undefined && durable.recyclable.get(index) === 1) this.pool.put(old);
    durable.recyclable.set(index, chunk === undefined ? 0 : 1);
  }

  private commitChunks(file: FileInode, offsetBytes: number, lengthBytes: number): void {
    if (lengthBytes <= 0) return;
    const first = Math.floor(offsetBytes / CHUNK_BYTES);
    const last = Math.floor((offsetBytes + lengthBytes - 1) / CHUNK_BYTES);
    for (let i = first; i <= last; i++) this.commitChunk(file, i);
  }

  /**
   * A successful fsync of a file: every pending data operation becomes durable (whole pages,
   * as the kernel writes them) and so does the size. Under `ext4-ordered` the journal commit also
   * makes every pending namespace operation durable.
   */
  syncFile(file: FileInode): void {
    this.commitFile(file);
    if (journaled(this.profile)) this.commitMeta(this.pendingMeta);
  }

  private commitFile(file: FileInode): void {
    const log = file.pending;
    const cache = file.cache;
    // Pinned chunks a later write displaced (see `releasePinned`), found in the same pass and
    // recycled after the commits, in the order `releasePinned` would recycle them.
    const displaced = this.displacedScratch;
    for (let i = 0; i < log.count; i++) {
      if (log.kindAt(i) === OP_WRITE) {
        const offsetBytes = log.offsetAt(i);
        const lengthBytes = log.valueAt(i);
        if (lengthBytes === CHUNK_BYTES && offsetBytes % CHUNK_BYTES === 0) {
          const index = offsetBytes / CHUNK_BYTES;
          this.commitChunk(file, index);
          const pinned = log.pinnedAt(i);
          if (pinned !== undefined) {
            // Once `index` is committed the durable image holds the cache's chunk (or none), so
            // a pinned chunk the cache no longer holds is held by nothing but this row.
            if (cache.chunks.get(index) !== pinned) displaced.push(pinned);
            cache.unpin(index);
          }
        } else this.commitChunks(file, offsetBytes, lengthBytes);
      }
      else {
        const from = Math.floor(Math.min(log.valueAt(i), file.cache.sizeBytes) / CHUNK_BYTES);
        const indexes: number[] = [];
        for (const index of file.durable.chunks.keys()) if (index >= from) indexes.push(index);
        for (const index of file.cache.chunks.keys()) if (index >= from && !file.durable.chunks.has(index)) indexes.push(index);
        for (const index of indexes) this.commitChunk(file, index);
      }
    }
    file.durable.sizeBytes = file.cache.sizeBytes;
    this.pendingDataBytes -= file.pendingBytes;
    this.pendingDataOps -= log.count;
    for (let i = 0; i < displaced.length; i++) this.pool.put(displaced[i] as Uint8Array);
    displaced.length = 0;
    log.clear();
    file.pendingBytes = 0;
    this.afterDrop(file);
  }

  /**
   * fsyncgate: the fsync failed; the dirty pages are marked clean without reaching the disk. The
   * cache keeps them (reads still return them) but no crash state will contain them.
   */
  failFileSync(file: FileInode): void {
    const log = file.pending;
    const before = log.count;
    this.releasePinned(file);
    const kept = log.dropWrites();
    this.pendingDataBytes -= file.pendingBytes;
    this.pendingDataOps -= before - kept;
    file.pendingBytes = 0;
    this.afterDrop(file);
  }

  /**
   * Before the log drops its writes: unpins the cache, and recycles each pinned chunk a later
   * write displaced (the log was its only holder: crash states copy, never share, pending bytes).
   */
  private releasePinned(file: FileInode): void {
    const cache = file.cache;
    const durable = file.durable;
    const log = file.pending;
    for (let i = 0; i < log.count; i++) {
      const chunk = log.pinnedAt(i);
      if (chunk === undefined) continue;
      const index = log.offsetAt(i) / CHUNK_BYTES;
      if (cache.chunks.get(index) !== chunk && durable.chunks.get(index) !== chunk) this.pool.put(chunk);
      // Unpin by index (cost: the writes, not the file's length: fsync-heavy logs on big files).
      cache.unpin(index);
    }
  }

  private afterDrop(file: FileInode): void {
    if (file.pending.count === 0) this.dirtyFiles.delete(file);
    // No pending write is left anywhere: nothing refers to the arena any more.
    if (this.pendingDataOps === 0) this.arena.reset();
  }

  /** @internal The pending data operations of `file` as objects (crash materialisation only). */
  pendingOps(file: FileInode): DataOp[] {
    const out: DataOp[] = [];
    for (let i = 0; i < file.pending.count; i++) out.push(file.pending.op(i, this.arena));
    return out;
  }
}

/** A chunk pool sized to the disk's dirty limit. */
export function newChunkPool(options: DiskOptions): ChunkPool {
  return new ChunkPool(Math.min(65_536, Math.ceil(options.dirtyBytesMax / CHUNK_BYTES) + 64));
}

export function applyMutation(entries: Map<string, Inode>, m: EntryMutation): void {
  if (m.inode === undefined) entries.delete(m.name);
  else entries.set(m.name, m.inode);
}
