/**
 * Hostile arguments to truncate/ftruncate, rm/rmdir, open flags and readdir/readFile options:
 * each case runs on a temporary directory of the real disk and on `node.fs`; the outcome (the
 * returned value, or the error's class and code) and the resulting file tree must be the same.
 * Bad input must change nothing on the disk.
 */
import * as realFs from 'node:fs';
import { realVersusFacade, type Case, type Fs, type P } from './real-vs-facade.js';

function outcomeOf(value: unknown): unknown {
  if (value instanceof Error) return { threw: value.constructor.name, code: (value as { code?: unknown }).code };
  if (Buffer.isBuffer(value)) return { buffer: value.toString('latin1') };
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? `${typeof v}:${(v as { name?: string }).name}` : v));
  return { ok: value };
}

/** Kinds and contents of everything under `root`, sorted. */
function treeOf(fs: Fs, root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of (fs.readdirSync(dir) as string[]).sort()) {
      const st = fs.lstatSync(`${dir}/${name}`);
      if (st.isDirectory()) {
        out.push(`${rel}${name}/`);
        walk(`${dir}/${name}`, `${rel}${name}/`);
      } else if (st.isSymbolicLink()) out.push(`${rel}${name} -> ${fs.readlinkSync(`${dir}/${name}`)}`);
      else out.push(`${rel}${name} (${st.size}) ${st.size <= 64 ? fs.readFileSync(`${dir}/${name}`, 'latin1') : ''}`);
    }
  };
  walk(root, '');
  return out;
}

function populate(fs: Fs, root: string): void {
  fs.writeFileSync(`${root}/f`, 'hello world');
  fs.mkdirSync(`${root}/d`);
  fs.writeFileSync(`${root}/d/x`, 'x');
  fs.mkdirSync(`${root}/e`);
  fs.symlinkSync('d', `${root}/l`);
}

const withFd = (fs: Fs, path: string, flags: string | number, fn: (fd: number) => unknown): unknown => {
  const fd = fs.openSync(path, flags);
  try {
    return fn(fd);
  } finally {
    fs.closeSync(fd);
  }
};
const withHandle = async (fs: Fs, path: string, fn: (h: realFs.promises.FileHandle) => Promise<unknown>): Promise<unknown> => {
  const h = await fs.promises.open(path, 'r+');
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
};
const callback = (call: (cb: (err: unknown, value?: unknown) => void) => void): Promise<unknown> => new Promise((resolve, reject) => {
  call((err, value) => (err ? reject(err) : resolve(value)));
});
const throwingGetter = (key: string, base: object = {}): object => Object.defineProperty({ ...base }, key, {
  get() { throw new Error(`getter ${key} read`); }, enumerable: true,
});

describe('node.fs under hostile arguments, compared with real node:fs', function () {
  const cases = realVersusFacade({
    seed: 'hostile', prefix: 'nodefs-hostile-', outcomeOf, populate, snapshot: treeOf,
    pathOf: (root, name) => (name === '' ? '' : `${root}/${name}`),
    // Error messages and paths in results name the run's own root.
    normalize: (outcome, root) => JSON.parse(JSON.stringify(outcome, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)).split(root).join('<root>')) as unknown,
  });

  const badLengths: readonly unknown[] = [NaN, 1.5, '1', null, {}, true, 2n, Infinity, -Infinity, 2 ** 53, -(2 ** 53), [], '0'];
  cases('truncate lengths', [
    ...badLengths.map((len): Case => [`fh.truncate(${String(len)})`, (fs, p) => withHandle(fs, p('f'), (h) => h.truncate(len as number))]),
    ...badLengths.map((len): Case => [`ftruncateSync(fd, ${String(len)})`, (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.ftruncateSync(fd, len as number))]),
    ...badLengths.map((len): Case => [`truncateSync(f, ${String(len)})`, (fs, p) => fs.truncateSync(p('f'), len as number)]),
    ['ftruncate(fd, null, cb)', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => callback((cb) => fs.ftruncate(fd, null as unknown as number, cb)))],
    ['ftruncate(fd, null) without a callback', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.ftruncate(fd, null as unknown as number, undefined as unknown as () => void))],
    ['ftruncateSync(-1, null): len is checked before fd', (fs) => fs.ftruncateSync(-1, null as unknown as number)],
    ['ftruncateSync(9999, null)', (fs) => fs.ftruncateSync(9999, null as unknown as number)],
    ['truncate(f, null, cb)', (fs, p) => callback((cb) => fs.truncate(p('f'), null as unknown as number, cb))],
    ['truncate(missing, null, cb): len before open', (fs, p) => callback((cb) => fs.truncate(p('nope'), null as unknown as number, cb))],
    ['truncate(f, 1.5, cb)', (fs, p) => callback((cb) => fs.truncate(p('f'), 1.5, cb))],
    ['truncate(f, undefined, cb)', (fs, p) => callback((cb) => fs.truncate(p('f'), undefined, cb))],
    ['truncateSync(missing, null): open before len', (fs, p) => fs.truncateSync(p('nope'), null as unknown as number)],
    ['truncateSync(dir, null): open before len', (fs, p) => fs.truncateSync(p('d'), null as unknown as number)],
    ['truncateSync(f, -5)', (fs, p) => fs.truncateSync(p('f'), -5)],
    ['promises.truncate(f, null)', (fs, p) => fs.promises.truncate(p('f'), null as unknown as number)],
    ['promises.truncate(missing, null): open before len', (fs, p) => fs.promises.truncate(p('nope'), null as unknown as number)],
    ['promises.truncate(f, 1.5)', (fs, p) => fs.promises.truncate(p('f'), 1.5)],
    ['fh.truncate(undefined)', (fs, p) => withHandle(fs, p('f'), (h) => h.truncate(undefined))],
    ['fh.truncate(-3)', (fs, p) => withHandle(fs, p('f'), (h) => h.truncate(-3))],
    ['fh.truncate(2 ** 53 - 1): EFBIG', (fs, p) => withHandle(fs, p('f'), (h) => h.truncate(2 ** 53 - 1))],
    ['ftruncateSync(fd, 2 ** 45): EFBIG', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.ftruncateSync(fd, 2 ** 45))],
    ['ftruncateSync(read-only fd, 2 ** 53 - 1): EINVAL', (fs, p) => withFd(fs, p('f'), 'r', (fd) => fs.ftruncateSync(fd, 2 ** 53 - 1))],
  ]);

  const inherited = (): object => Object.create({ recursive: true }) as object;
  const fnWithRecursive = Object.assign(() => undefined, { recursive: true });
  cases('rm and rmdir options', [
    ['rmSync(d, inherited recursive)', (fs, p) => fs.rmSync(p('d'), inherited())],
    ['rmSync(d, {recursive, force: "x"})', (fs, p) => fs.rmSync(p('d'), { recursive: true, force: 'x' as unknown as boolean })],
    ['rmSync(d, {recursive, maxRetries: -1})', (fs, p) => fs.rmSync(p('d'), { recursive: true, maxRetries: -1 })],
    ['rmSync(d, {recursive, maxRetries: 2 ** 32})', (fs, p) => fs.rmSync(p('d'), { recursive: true, maxRetries: 2 ** 32 })],
    ['rmSync(d, {recursive, retryDelay: "x"})', (fs, p) => fs.rmSync(p('d'), { recursive: true, retryDelay: 'x' as unknown as number })],
    ['rmSync(d, {recursive, retryDelay: 1.5})', (fs, p) => fs.rmSync(p('d'), { recursive: true, retryDelay: 1.5 })],
    ['rmSync(d, {recursive, retryDelay: -1})', (fs, p) => fs.rmSync(p('d'), { recursive: true, retryDelay: -1 })],
    ['rmSync(d, {recursive: undefined})', (fs, p) => fs.rmSync(p('d'), { recursive: undefined } as unknown as realFs.RmOptions)],
    ['rmSync(d, {recursive: 1})', (fs, p) => fs.rmSync(p('d'), { recursive: 1 } as unknown as realFs.RmOptions)],
    ['rmSync(d, {recursive, throwing force getter})', (fs, p) => fs.rmSync(p('d'), throwingGetter('force', { recursive: true }))],
    ['rmSync(d, {recursive, throwing encoding getter}): Node spreads the options', (fs, p) => fs.rmSync(p('d'), throwingGetter('encoding', { recursive: true }))],
    ['rmSync(d, {recursive, unknown keys})', (fs, p) => fs.rmSync(p('d'), { recursive: true, bogus: 1 } as realFs.RmOptions)],
    ...([5, [], true, 'nope', fnWithRecursive, null] as const).map((o): Case => [`rmSync(d, ${typeof o}:${String(o).slice(0, 8)})`, (fs, p) => fs.rmSync(p('d'), o as realFs.RmOptions)]),
    ['rmSync("", {recursive, force})', (fs) => fs.rmSync('', { recursive: true, force: true })],
    ['rmSync("", {force})', (fs) => fs.rmSync('', { force: true })],
    ['rmSync("")', (fs) => fs.rmSync('')],
    ['rmSync(missing, {force})', (fs, p) => fs.rmSync(p('nope'), { force: true })],
    ['rm(d, inherited recursive, cb)', (fs, p) => callback((cb) => fs.rm(p('d'), inherited(), cb))],
    ['rm(d, {recursive, force: 1}, cb)', (fs, p) => callback((cb) => fs.rm(p('d'), { recursive: true, force: 1 } as unknown as realFs.RmOptions, cb))],
    ['rm("", {force}, cb)', (fs) => callback((cb) => fs.rm('', { force: true }, cb))],
    ['promises.rm(d, inherited recursive)', (fs, p) => fs.promises.rm(p('d'), inherited())],
    ['promises.rm(d, {recursive, maxRetries: -1})', (fs, p) => fs.promises.rm(p('d'), { recursive: true, maxRetries: -1 })],
    ['promises.rm(d, 5)', (fs, p) => fs.promises.rm(p('d'), 5 as realFs.RmOptions)],
    ['rmdirSync(d, inherited recursive): ERR_FS_EISDIR', (fs, p) => fs.rmdirSync(p('d'), inherited())],
    ['rmdirSync(d, {recursive})', (fs, p) => fs.rmdirSync(p('d'), { recursive: true })],
    ['rmdirSync(f, {recursive}): ENOTDIR, the file stays', (fs, p) => fs.rmdirSync(p('f'), { recursive: true })],
    ['rmdirSync(l, {recursive}): a link is not followed', (fs, p) => fs.rmdirSync(p('l'), { recursive: true })],
    ['rmdirSync(missing, {recursive})', (fs, p) => fs.rmdirSync(p('nope'), { recursive: true })],
    ['rmdirSync(d, {recursive: 1})', (fs, p) => fs.rmdirSync(p('d'), { recursive: 1 } as unknown as realFs.RmDirOptions)],
    ['rmdirSync(d, {recursive, maxRetries: -1})', (fs, p) => fs.rmdirSync(p('d'), { recursive: true, maxRetries: -1 })],
    ['rmdirSync(d, {recursive, force: "x"}): force is ignored', (fs, p) => fs.rmdirSync(p('d'), { recursive: true, force: 'x' } as realFs.RmDirOptions)],
    ['rmdirSync(d, function with recursive)', (fs, p) => fs.rmdirSync(p('d'), fnWithRecursive as realFs.RmDirOptions)],
    ['rmdirSync(e, {maxRetries: -1})', (fs, p) => fs.rmdirSync(p('e'), { maxRetries: -1 })],
    ['rmdirSync(e, {retryDelay: "x"})', (fs, p) => fs.rmdirSync(p('e'), { retryDelay: 'x' as unknown as number })],
    ...([5, [], true, 'nope', null] as const).map((o): Case => [`rmdirSync(e, ${typeof o}:${String(o)})`, (fs, p) => fs.rmdirSync(p('e'), o as realFs.RmDirOptions)]),
    ['rmdir(d, inherited recursive, cb)', (fs, p) => callback((cb) => fs.rmdir(p('d'), inherited(), cb))],
    ['rmdir(f, {recursive}, cb)', (fs, p) => callback((cb) => fs.rmdir(p('f'), { recursive: true }, cb))],
    ['promises.rmdir(d, inherited recursive): own keys only', (fs, p) => fs.promises.rmdir(p('d'), inherited())],
    ['promises.rmdir(f, {recursive})', (fs, p) => fs.promises.rmdir(p('f'), { recursive: true })],
    ['promises.rmdir(l, {recursive}): stat follows the link', (fs, p) => fs.promises.rmdir(p('l'), { recursive: true })],
    ['promises.rmdir(missing, {recursive})', (fs, p) => fs.promises.rmdir(p('nope'), { recursive: true })],
    ['promises.rmdir(e, 5)', (fs, p) => fs.promises.rmdir(p('e'), 5 as realFs.RmDirOptions)],
  ]);

  const { O_RDONLY, O_TRUNC, O_CREAT, O_EXCL, O_WRONLY } = realFs.constants;
  cases('O_RDONLY | O_TRUNC', [
    ['openSync(f, O_RDONLY | O_TRUNC) truncates', (fs, p) => withFd(fs, p('f'), O_RDONLY | O_TRUNC, (fd) => fs.fstatSync(fd).size)],
    ['openSync(f, O_RDONLY | O_TRUNC): reads work, writes EBADF', (fs, p) => withFd(fs, p('f'), O_RDONLY | O_TRUNC, (fd) => {
      try { return fs.writeSync(fd, 'zz'); } catch (err) { return (err as { code?: string }).code; }
    })],
    ['openSync(d, O_RDONLY | O_TRUNC): EISDIR', (fs, p) => withFd(fs, p('d'), O_RDONLY | O_TRUNC, () => 'opened')],
    ['openSync(l, O_RDONLY | O_TRUNC): EISDIR through the link', (fs, p) => withFd(fs, p('l'), O_RDONLY | O_TRUNC, () => 'opened')],
    ['openSync(missing, O_RDONLY | O_TRUNC): ENOENT', (fs, p) => withFd(fs, p('nope'), O_RDONLY | O_TRUNC, () => 'opened')],
    ['openSync(new, O_RDONLY | O_TRUNC | O_CREAT)', (fs, p) => withFd(fs, p('n'), O_RDONLY | O_TRUNC | O_CREAT, (fd) => fs.fstatSync(fd).size)],
    ['openSync(f, O_RDONLY | O_TRUNC | O_CREAT | O_EXCL): EEXIST, f intact', (fs, p) => withFd(fs, p('f'), O_RDONLY | O_TRUNC | O_CREAT | O_EXCL, () => 'opened')],
    ['promises.open(f, O_RDONLY | O_TRUNC)', async (fs, p) => { const h = await fs.promises.open(p('f'), O_RDONLY | O_TRUNC); await h.close(); return 'closed'; }],
    ['readFileSync(f, {flag: O_RDONLY | O_TRUNC})', (fs, p) => fs.readFileSync(p('f'), { flag: O_RDONLY | O_TRUNC } as unknown as { flag: string })],
    ['openSync(f, O_WRONLY | O_TRUNC) truncates', (fs, p) => withFd(fs, p('f'), O_WRONLY | O_TRUNC, (fd) => fs.fstatSync(fd).size)],
  ]);

  const badFlags: readonly unknown[] = [NaN, 1.5, 2 ** 31, -(2 ** 31) - 1, Infinity, 2 ** 53, -1, 0x7fff_ffff, -(2 ** 31), 2n, true, '', 'rw', {}];
  cases('open flags', [
    ...badFlags.map((fl): Case => [`openSync(f, ${String(fl)})`, (fs, p) => withFd(fs, p('f'), fl as number, () => 'opened')]),
    ...badFlags.map((fl): Case => [`writeFileSync(f, W, {flag: ${String(fl)}})`, (fs, p) => fs.writeFileSync(p('f'), 'W', { flag: fl as string })]),
    ...badFlags.map((fl): Case => [`readFileSync(f, {flag: ${String(fl)}})`, (fs, p) => fs.readFileSync(p('f'), { flag: fl as string })]),
    ...badFlags.map((fl): Case => [`appendFileSync(f, W, {flag: ${String(fl)}})`, (fs, p) => fs.appendFileSync(p('f'), 'W', { flag: fl as string })]),
    ['open(f, 1.5, cb)', (fs, p) => callback((cb) => fs.open(p('f'), 1.5, cb))],
    ['promises.open(f, NaN)', (fs, p) => fs.promises.open(p('f'), NaN)],
    ['openSync(d, -1): an O_PATH open of a directory', (fs, p) => withFd(fs, p('d'), -1, () => 'opened')],
    ['writeFileSync(f, W, {flag: 0}): falsy is "w"', (fs, p) => fs.writeFileSync(p('f'), 'W', { flag: 0 as unknown as string })],
    ['appendFileSync(f, W, {flag: 0}): falsy is "a"', (fs, p) => fs.appendFileSync(p('f'), 'W', { flag: 0 as unknown as string })],
    ['readFileSync(f, {flag: 0})', (fs, p) => fs.readFileSync(p('f'), { flag: 0 as unknown as string })],
    ['writeFileSync(fd, W, {flag: 1.5, mode: -1}): unused for an fd', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.writeFileSync(fd, 'W', { flag: 1.5 as unknown as string, mode: -1 }))],
    ['readFileSync(fd, {flag: 1.5}): unused for an fd', (fs, p) => withFd(fs, p('f'), 'r', (fd) => fs.readFileSync(fd, { flag: 1.5 as unknown as string }))],
  ]);

  const getterOn = (key: string): object => throwingGetter(key);
  cases('readdir and readFile options', [
    ['readdirSync(d, {withFileTypes: 1})', (fs, p) => fs.readdirSync(p('d'), { withFileTypes: 1 } as unknown as { withFileTypes: true })],
    ['readdirSync(d, {withFileTypes: "x", recursive: 1}) ', (fs, p) => fs.readdirSync(p('d'), { withFileTypes: 'x', recursive: 1 } as unknown as { withFileTypes: true })],
    ['readdirSync(d, {recursive: "yes"})', (fs, p) => fs.readdirSync(p('d'), { recursive: 'yes' } as unknown as { recursive: boolean })],
    ['readdirSync(d, {recursive: null})', (fs, p) => fs.readdirSync(p('d'), { recursive: null } as unknown as { recursive: boolean })],
    ['readdirSync(., {recursive: 1, withFileTypes: 0})', (fs, p) => (fs.readdirSync(p(''.concat('d')), { recursive: 1, withFileTypes: 0 } as unknown as { recursive: boolean }) as string[]).sort()],
    ['readdir(d, {recursive: "yes"}, cb)', (fs, p) => callback((cb) => fs.readdir(p('d'), { recursive: 'yes' } as unknown as { recursive: boolean }, cb))],
    ['promises.readdir(d, {recursive: "yes"}): not checked', (fs, p) => fs.promises.readdir(p('d'), { recursive: 'yes' } as unknown as { recursive: boolean })],
    ['promises.readdir(d, {withFileTypes: 1})', (fs, p) => fs.promises.readdir(p('d'), { withFileTypes: 1 } as unknown as { withFileTypes: true })],
    ['readdirSync(5, {recursive: "x"}): options first', (fs) => fs.readdirSync(5 as unknown as string, { recursive: 'x' } as unknown as { recursive: boolean })],
    ['readdirSync(d, {encoding: ""})', (fs, p) => fs.readdirSync(p('d'), { encoding: '' as BufferEncoding })],
    ['readdirSync(d, {encoding: 0})', (fs, p) => fs.readdirSync(p('d'), { encoding: 0 as unknown as BufferEncoding })],
    ['readdirSync(d, {encoding: "nope"})', (fs, p) => fs.readdirSync(p('d'), { encoding: 'nope' as BufferEncoding })],
    ['readdirSync(d, "buffer")', (fs, p) => (fs.readdirSync(p('d'), 'buffer') as Buffer[]).map((b) => b.toString())],
    ['readdirSync(d, getter on an unread key)', (fs, p) => fs.readdirSync(p('d'), getterOn('bigint') as { withFileTypes: false })],
    ['readdirSync(d, getter on recursive)', (fs, p) => fs.readdirSync(p('d'), getterOn('recursive') as { withFileTypes: false })],
    ['readdirSync(d, inherited withFileTypes)', (fs, p) => fs.readdirSync(p('d'), Object.create({ withFileTypes: true }) as { withFileTypes: false })],
    ['readFileSync(f, "buffer")', (fs, p) => fs.readFileSync(p('f'), 'buffer' as BufferEncoding)],
    ['readFileSync(f, {encoding: "buffer"})', (fs, p) => fs.readFileSync(p('f'), { encoding: 'buffer' as BufferEncoding })],
    ['readFileSync(f, "")', (fs, p) => fs.readFileSync(p('f'), '' as BufferEncoding)],
    ['readFileSync(f, {encoding: 0})', (fs, p) => fs.readFileSync(p('f'), { encoding: 0 as unknown as BufferEncoding })],
    ['readFileSync(f, {encoding: 5})', (fs, p) => fs.readFileSync(p('f'), { encoding: 5 as unknown as BufferEncoding })],
    ['readFileSync(f, inherited encoding)', (fs, p) => fs.readFileSync(p('f'), Object.create({ encoding: 'hex' }) as { encoding: 'hex' })],
    ['readFile(f, "buffer", cb): the error goes to the callback', (fs, p) => callback((cb) => fs.readFile(p('f'), 'buffer' as BufferEncoding, cb))],
    ['promises.readFile(f, "buffer")', (fs, p) => fs.promises.readFile(p('f'), 'buffer' as BufferEncoding)],
    ['fh.readFile("buffer")', (fs, p) => withHandle(fs, p('f'), (h) => h.readFile('buffer' as BufferEncoding))],
    ['readFileSync(f, getter on recursive): never read', (fs, p) => fs.readFileSync(p('f'), getterOn('recursive'))],
    ['readFileSync(f, getter on encoding)', (fs, p) => fs.readFileSync(p('f'), getterOn('encoding'))],
    ['writeFileSync(f, W, getter on bigint): never read', (fs, p) => fs.writeFileSync(p('f'), 'W', getterOn('bigint'))],
    ['writeFileSync(f, W, getter on flag)', (fs, p) => fs.writeFileSync(p('f'), 'W', getterOn('flag'))],
    ['writeFileSync(f, W, inherited flag a)', (fs, p) => fs.writeFileSync(p('f'), 'W', Object.create({ flag: 'a' }) as object)],
    ['promises.writeFile(f, W, getter on bigint)', (fs, p) => fs.promises.writeFile(p('f'), 'W', getterOn('bigint'))],
  ]);

  // Sparse files: nothing of the 2 GiB is read or allocated (Node checks the size first).
  const big = (fs: Fs, p: P, size: number): void => fs.truncateSync(p('f'), size);
  const rmBig = (fs: Fs, p: P): void => fs.truncateSync(p('f'), 11);
  const thenShrink = async (fs: Fs, p: P, run: () => unknown): Promise<unknown> => {
    try {
      return await run();
    } finally {
      rmBig(fs, p);
    }
  };
  cases('readFile over 2 GiB', [
    ['readFileSync of 2 GiB + 1', (fs, p) => { big(fs, p, 2 ** 31 + 1); return thenShrink(fs, p, () => fs.readFileSync(p('f')).length); }],
    ['readFileSync of 2 GiB', (fs, p) => { big(fs, p, 2 ** 31); return thenShrink(fs, p, () => fs.readFileSync(p('f'), 'latin1').length); }],
    ['readFile(cb) of 2 GiB + 1', (fs, p) => { big(fs, p, 2 ** 31 + 1); return thenShrink(fs, p, () => callback((cb) => fs.readFile(p('f'), cb))); }],
    ['promises.readFile of 2 GiB + 1', (fs, p) => { big(fs, p, 2 ** 31 + 1); return thenShrink(fs, p, () => fs.promises.readFile(p('f'))); }],
    ['fh.readFile of 2 GiB + 1', (fs, p) => { big(fs, p, 2 ** 31 + 1); return thenShrink(fs, p, () => withHandle(fs, p('f'), (h) => h.readFile())); }],
    ['readFileSync(fd) of 2 GiB + 1', (fs, p) => { big(fs, p, 2 ** 31 + 1); return thenShrink(fs, p, () => withFd(fs, p('f'), 'r', (fd) => fs.readFileSync(fd))); }],
  ]);

  // A last component `.` or `..` as written: Linux walks the directory before it (ENOENT,
  // ENOTDIR) and then refuses by the kind of name (rmdir EINVAL / ENOTEMPTY, O_CREAT EISDIR,
  // mkdir EEXIST).
  const dotted = ['f/.', 'd/.', 'e/.', 'nope/.', 'e/./', 'e/..', 'd/x/.', 'l/.', 'e/./.', 'nope/..', 'f/..'];
  cases('last components . and ..', [
    ...dotted.map((n): Case => [`rmdirSync(${n})`, (fs, p) => fs.rmdirSync(p(n))]),
    ...dotted.map((n): Case => [`openSync(${n}, w)`, (fs, p) => fs.closeSync(fs.openSync(p(n), 'w'))]),
    ...dotted.map((n): Case => [`openSync(${n}, r)`, (fs, p) => fs.closeSync(fs.openSync(p(n), 'r'))]),
    ...dotted.map((n): Case => [`writeFileSync(${n})`, (fs, p) => fs.writeFileSync(p(n), 'x')]),
    ...dotted.map((n): Case => [`mkdirSync(${n})`, (fs, p) => fs.mkdirSync(p(n))]),
    ...dotted.map((n): Case => [`mkdirSync(${n}, recursive)`, (fs, p) => fs.mkdirSync(p(n), { recursive: true })]),
    // (Not `e/..`: Node's rimraf then empties the directory holding `e` through paths that stop
    // resolving once `e` is gone, in the real disk's readdir order.)
    ...dotted.filter((n) => n !== 'e/..').map((n): Case => [`rmSync(${n}, recursive)`, (fs, p) => fs.rmSync(p(n), { recursive: true })]),
    ...dotted.filter((n) => n !== 'e/..').map((n): Case => [`rmSync(${n}, recursive, force)`, (fs, p) => fs.rmSync(p(n), { recursive: true, force: true })]),
    ...dotted.map((n): Case => [`rmSync(${n})`, (fs, p) => fs.rmSync(p(n))]),
    ...dotted.map((n): Case => [`unlinkSync(${n})`, (fs, p) => fs.unlinkSync(p(n))]),
    ...dotted.map((n): Case => [`symlinkSync(x, ${n})`, (fs, p) => fs.symlinkSync('x', p(n))]),
    ...dotted.map((n): Case => [`linkSync(f, ${n})`, (fs, p) => fs.linkSync(p('f'), p(n))]),
    ...dotted.map((n): Case => [`renameSync(${n}, z)`, (fs, p) => fs.renameSync(p(n), p('z'))]),
    ...dotted.map((n): Case => [`renameSync(e, ${n})`, (fs, p) => fs.renameSync(p('e'), p(n))]),
  ]);
});
