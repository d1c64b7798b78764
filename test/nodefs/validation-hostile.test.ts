/**
 * Hostile arguments to truncate/ftruncate, rm/rmdir, open flags and readdir/readFile options:
 * each case runs on a temporary directory of the real disk and on `node.fs`; the outcome (the
 * returned value, or the error's class and code) and the resulting file tree must be the same.
 * Bad input must change nothing on the disk.
 */
import * as realFs from 'node:fs';
import { NODE_MAJOR, realVersusFacade, withFd, withHandle, type Case, type Fs, type P } from './real-vs-facade.js';

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

  // What the Node lines answer differently (the facade answers as the line it runs on; see
  // src/nodefs/node-line.ts): each case runs against this line's real node:fs.
  const isFileOrNone = (st: realFs.Stats | realFs.BigIntStats | undefined): unknown => (st === undefined ? 'none' : st.isFile());
  cases('truncate of an fd given as the path', [
    ['truncateSync(fd, 2)', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.truncateSync(fd as unknown as string, 2))],
    ['truncateSync(fd)', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.truncateSync(fd as unknown as string))],
    ['truncate(fd, 2, cb)', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => callback((cb) => fs.truncate(fd as unknown as string, 2, cb)))],
    ['promises.truncate(fd, 2)', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.promises.truncate(fd as unknown as string, 2))],
  ]);
  cases('symlink types', [
    ...(['bogus', 5, null, 'dir', 'file', 'junction', undefined, ''] as const).map((t): Case => [`symlinkSync(x, s, ${String(t)})`, (fs, p) => fs.symlinkSync('x', p('s'), t as 'dir')]),
    ['symlink(x, s, "bogus", cb)', (fs, p) => callback((cb) => fs.symlink('x', p('s'), 'bogus' as 'dir', cb))],
    ['symlink(x, s, 5, cb)', (fs, p) => callback((cb) => fs.symlink('x', p('s'), 5 as unknown as 'dir', cb))],
    ['symlink(x, s, undefined, cb)', (fs, p) => callback((cb) => fs.symlink('x', p('s'), undefined, cb))],
    ['symlink(x, s, cb)', (fs, p) => callback((cb) => fs.symlink('x', p('s'), cb))],
    ['promises.symlink(x, s, "bogus")', (fs, p) => fs.promises.symlink('x', p('s'), 'bogus')],
    ['promises.symlink(x, s, 5)', (fs, p) => fs.promises.symlink('x', p('s'), 5 as unknown as string)],
  ]);
  const statCb = (fs: Fs, path: string, options: unknown, name: 'stat' | 'lstat' = 'stat'): Promise<unknown> =>
    callback((cb) => (fs[name] as (...a: unknown[]) => void)(path, options, cb)).then((st) => isFileOrNone(st as realFs.Stats | undefined));
  cases('stat options', [
    ['statSync(missing, {throwIfNoEntry: false})', (fs, p) => isFileOrNone(fs.statSync(p('nope'), { throwIfNoEntry: false }))],
    ['statSync(f/x, {throwIfNoEntry: false}): ENOTDIR', (fs, p) => isFileOrNone(fs.statSync(p('f/x'), { throwIfNoEntry: false }))],
    ['lstatSync(f/x, {throwIfNoEntry: false}): ENOTDIR', (fs, p) => isFileOrNone(fs.lstatSync(p('f/x'), { throwIfNoEntry: false }))],
    ['promises.stat(f/x, {throwIfNoEntry: false})', async (fs, p) => isFileOrNone(await fs.promises.stat(p('f/x'), { throwIfNoEntry: false } as realFs.StatOptions) as realFs.Stats)],
    ['stat(missing, {throwIfNoEntry: false}, cb)', (fs, p) => statCb(fs, p('nope'), { throwIfNoEntry: false })],
    ['stat(f/x, {throwIfNoEntry: false}, cb)', (fs, p) => statCb(fs, p('f/x'), { throwIfNoEntry: false })],
    ['lstat(missing, {throwIfNoEntry: false}, cb)', (fs, p) => statCb(fs, p('nope'), { throwIfNoEntry: false }, 'lstat')],
    ['promises.stat(missing, {throwIfNoEntry: false})', async (fs, p) => isFileOrNone(await fs.promises.stat(p('nope'), { throwIfNoEntry: false } as realFs.StatOptions) as realFs.Stats)],
    ['promises.lstat(missing, {throwIfNoEntry: false})', async (fs, p) => isFileOrNone(await fs.promises.lstat(p('nope'), { throwIfNoEntry: false } as realFs.StatOptions) as realFs.Stats)],
    ['stat(f, {encoding: "nope"}, cb)', (fs, p) => statCb(fs, p('f'), { encoding: 'nope' })],
    ['stat(f, "nope", cb)', (fs, p) => statCb(fs, p('f'), 'nope')],
    ['lstat(f, {encoding: "nope"}, cb)', (fs, p) => statCb(fs, p('f'), { encoding: 'nope' }, 'lstat')],
    ['statSync(f, {encoding: "nope"})', (fs, p) => isFileOrNone(fs.statSync(p('f'), { encoding: 'nope' } as realFs.StatSyncOptions))],
    ['promises.stat(f, "x")', async (fs, p) => isFileOrNone(await fs.promises.stat(p('f'), 'x' as realFs.StatOptions) as realFs.Stats)],
    ['promises.lstat(f, 5)', async (fs, p) => isFileOrNone(await fs.promises.lstat(p('f'), 5 as realFs.StatOptions) as realFs.Stats)],
  ]);
  const loop = (fs: Fs, p: P): void => fs.symlinkSync('loop', p('loop'));
  cases('rm and rmdir, as each line removes', [
    ['rmSync(5, {maxRetries: -1}): options or path first', (fs) => fs.rmSync(5 as unknown as string, { maxRetries: -1 })],
    ['rmSync(5, 7)', (fs) => fs.rmSync(5 as unknown as string, 7 as realFs.RmOptions)],
    ['rmSync(5, {recursive, force})', (fs) => fs.rmSync(5 as unknown as string, { recursive: true, force: true })],
    ['rmSync(d, {force: "x", maxRetries: -1}): which option first', (fs, p) => fs.rmSync(p('d'), { force: 'x' as unknown as boolean, maxRetries: -1 })],
    ['rm(d, {force: "x", maxRetries: -1}, cb)', (fs, p) => callback((cb) => fs.rm(p('d'), { force: 'x' as unknown as boolean, maxRetries: -1 }, cb))],
    ['promises.rm(d, {force: "x", maxRetries: -1})', (fs, p) => fs.promises.rm(p('d'), { force: 'x' as unknown as boolean, maxRetries: -1 })],
    ['rmdirSync(e, {recursive: false})', (fs, p) => fs.rmdirSync(p('e'), { recursive: false })],
    ['rmdirSync(e, {recursive: undefined})', (fs, p) => fs.rmdirSync(p('e'), { recursive: undefined } as realFs.RmDirOptions)],
    ['rmdir(e, {recursive: false}, cb)', (fs, p) => callback((cb) => fs.rmdir(p('e'), { recursive: false }, cb))],
    ['promises.rmdir(e, {recursive: false})', (fs, p) => fs.promises.rmdir(p('e'), { recursive: false })],
    ['promises.rmdir(d, {recursive})', (fs, p) => fs.promises.rmdir(p('d'), { recursive: true })],
    ['rmSync(l)', (fs, p) => fs.rmSync(p('l'))],
    ['rmSync(l, {recursive})', (fs, p) => fs.rmSync(p('l'), { recursive: true })],
    ['rmSync(l/)', (fs, p) => fs.rmSync(p('l/'))],
    ['rmSync(l/, {recursive}): the directory behind the link', (fs, p) => fs.rmSync(p('l/'), { recursive: true })],
    ['rmSync(l/, {recursive, force})', (fs, p) => fs.rmSync(p('l/'), { recursive: true, force: true })],
    ['rmdirSync(l/, {recursive})', (fs, p) => fs.rmdirSync(p('l/'), { recursive: true })],
    ['rm(l/, {recursive}, cb)', (fs, p) => callback((cb) => fs.rm(p('l/'), { recursive: true }, cb))],
    ['promises.rm(l/, {recursive})', (fs, p) => fs.promises.rm(p('l/'), { recursive: true })],
    ['rmSync(f/, {recursive, force})', (fs, p) => fs.rmSync(p('f/'), { recursive: true, force: true })],
    ['rmSync(f/x, {recursive})', (fs, p) => fs.rmSync(p('f/x'), { recursive: true })],
    ['rmSync(f/x, {recursive, force}): ENOTDIR', (fs, p) => fs.rmSync(p('f/x'), { recursive: true, force: true })],
    ['rmSync(f/x, {force})', (fs, p) => fs.rmSync(p('f/x'), { force: true })],
    ['rmSync(nope/x, {recursive, force})', (fs, p) => fs.rmSync(p('nope/x'), { recursive: true, force: true })],
    ['rmSync(loop/x, {recursive, force}): ELOOP', (fs, p) => { loop(fs, p); return fs.rmSync(p('loop/x'), { recursive: true, force: true }); }],
    ['rmSync(loop/x, {recursive})', (fs, p) => { loop(fs, p); return fs.rmSync(p('loop/x'), { recursive: true }); }],
    ['rmSync(loop, {recursive, force})', (fs, p) => { loop(fs, p); return fs.rmSync(p('loop'), { recursive: true, force: true }); }],
    ['rm(loop/x, {recursive, force}, cb)', (fs, p) => { loop(fs, p); return callback((cb) => fs.rm(p('loop/x'), { recursive: true, force: true }, cb)); }],
    ['promises.rm(loop/x, {recursive, force})', (fs, p) => { loop(fs, p); return fs.promises.rm(p('loop/x'), { recursive: true, force: true }); }],
    ['rmdirSync(loop/x, {recursive})', (fs, p) => { loop(fs, p); return fs.rmdirSync(p('loop/x'), { recursive: true }); }],
    ['rmdirSync(d/., {recursive})', (fs, p) => fs.rmdirSync(p('d/.'), { recursive: true })],
    ['rmdir(d/., {recursive}, cb)', (fs, p) => callback((cb) => fs.rmdir(p('d/.'), { recursive: true }, cb))],
    ['rm(d/., {recursive}, cb)', (fs, p) => callback((cb) => fs.rm(p('d/.'), { recursive: true }, cb))],
    ['promises.rm(d/., {recursive, force})', (fs, p) => fs.promises.rm(p('d/.'), { recursive: true, force: true })],
    ['rm(f/x, {recursive, force}, cb)', (fs, p) => callback((cb) => fs.rm(p('f/x'), { recursive: true, force: true }, cb))],
    ['rmSync(d, {recursive}) with a link out of it', (fs, p) => { fs.symlinkSync('../e', p('d/le')); fs.writeFileSync(p('e/keep'), 'k'); return fs.rmSync(p('d'), { recursive: true }); }],
    ['rmSync(d, {recursive}) of a tree', (fs, p) => {
      fs.mkdirSync(p('d/y/z'), { recursive: true });
      fs.writeFileSync(p('d/y/z/w'), 'w');
      fs.symlinkSync('../../f', p('d/y/lf'));
      return fs.rmSync(p('d'), { recursive: true });
    }],
    // Node 24's native rmSync empties the directory `e/..` names and then finds `e/..` gone;
    // Node 20 and 22's rimraf instead walks paths through `e` in the real disk's readdir order
    // (see the `.` and `..` cases below), which no simulated disk shares: not compared there.
    ...(NODE_MAJOR >= 24 ? [
      ['rmSync(e/.., {recursive}) (Node 24 on)', (fs, p) => fs.rmSync(p('e/..'), { recursive: true })],
      ['rmSync(e/.., {recursive, force}) (Node 24 on)', (fs, p) => fs.rmSync(p('e/..'), { recursive: true, force: true })],
    ] satisfies Case[] : []),
  ]);
  cases('writeFile and appendFile modes', [
    ['writeFileSync(fd, W, {mode: -1})', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.writeFileSync(fd, 'W', { mode: -1 }))],
    ['writeFileSync(fd, buf, {mode: "x"})', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.writeFileSync(fd, Buffer.from('W'), { mode: 'x' }))],
    ['appendFileSync(fd, W, {mode: -1})', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => fs.appendFileSync(fd, 'W', { mode: -1 }))],
    ['writeFile(fd, W, {mode: -1}, cb)', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => callback((cb) => fs.writeFile(fd, 'W', { mode: -1 }, cb)))],
    ['appendFile(fd, W, {mode: -1}, cb)', (fs, p) => withFd(fs, p('f'), 'r+', (fd) => callback((cb) => fs.appendFile(fd, 'W', { mode: -1 }, cb)))],
    ['fh.writeFile(W, {mode: -1})', (fs, p) => withHandle(fs, p('f'), (h) => h.writeFile('W', { mode: -1 } as object))],
    ['fh.appendFile(W, {mode: "x"})', (fs, p) => withHandle(fs, p('f'), (h) => h.appendFile('W', { mode: 'x' } as object))],
    ['promises.writeFile(fh, W, {mode: -1})', (fs, p) => withHandle(fs, p('f'), (h) => fs.promises.writeFile(h, 'W', { mode: -1 }))],
    ['writeFileSync(f, 5, {mode: -1}): data or mode first', (fs, p) => fs.writeFileSync(p('f'), 5 as unknown as string, { mode: -1 })],
    ['writeFileSync(5.5, W, {mode: -1}): path or mode first', (fs) => fs.writeFileSync(5.5, 'W', { mode: -1 })],
    ['promises.writeFile(f, 5, {mode: -1})', (fs, p) => fs.promises.writeFile(p('f'), 5 as unknown as string, { mode: -1 })],
    ['writeFile(f, 5, {mode: -1}, cb)', (fs, p) => callback((cb) => fs.writeFile(p('f'), 5 as unknown as string, { mode: -1 }, cb))],
  ]);
  cases('which bad argument is named first', [
    ['openSync(5, "bogus")', (fs) => fs.openSync(5 as unknown as string, 'bogus')],
    ['openSync(5, "r", -1)', (fs) => fs.openSync(5 as unknown as string, 'r', -1)],
    ['open(5, "bogus", cb)', (fs) => callback((cb) => fs.open(5 as unknown as string, 'bogus', cb))],
    ['promises.open(5, "bogus")', (fs) => fs.promises.open(5 as unknown as string, 'bogus')],
    ['mkdirSync(5, {mode: -1})', (fs) => fs.mkdirSync(5 as unknown as string, { mode: -1 })],
    ['mkdirSync(5, {recursive: 1})', (fs) => fs.mkdirSync(5 as unknown as string, { recursive: 1 } as unknown as realFs.MakeDirectoryOptions)],
    ['mkdirSync(5, "x")', (fs) => fs.mkdirSync(5 as unknown as string, 'x' as unknown as number)],
    ['mkdir(5, {mode: -1}, cb)', (fs) => callback((cb) => fs.mkdir(5 as unknown as string, { mode: -1 }, cb))],
    ['promises.mkdir(5, {mode: -1})', (fs) => fs.promises.mkdir(5 as unknown as string, { mode: -1 })],
    ['fchmodSync(-1, "x")', (fs) => fs.fchmodSync(-1, 'x')],
    ['futimesSync(-1, {}, 1)', (fs) => fs.futimesSync(-1, {} as number, 1)],
    ['utimesSync(5, {}, 1)', (fs) => fs.utimesSync(5 as unknown as string, {} as number, 1)],
  ]);
  // Node's JavaScript realpath (realpathSync, fs.realpath) resolves `path.resolve(p)`; realpath(3)
  // (the .native forms and fs.promises.realpath) keeps the trailing `/`, `/.`, `/..`.
  const realpathForms: readonly [string, (fs: Fs, path: string) => unknown][] = [
    ['realpathSync', (fs, path) => fs.realpathSync(path)],
    ['realpathSync.native', (fs, path) => fs.realpathSync.native(path)],
    ['realpath(cb)', (fs, path) => callback((cb) => fs.realpath(path, cb))],
    ['realpath.native(cb)', (fs, path) => callback((cb) => fs.realpath.native(path, cb))],
    ['promises.realpath', (fs, path) => fs.promises.realpath(path)],
  ];
  cases('realpath of a trailing slash, dot or dot-dot', [
    ...['f/', 'f/.', 'f/..', 'l/', 'l/.', 'd/', 'nope/', 'e/..', 'd/x/'].flatMap((n) => realpathForms.map(([form, run]): Case => [`${form}(${n})`, (fs, p) => run(fs, p(n))])),
  ]);

  // Node's mkdir -p is two C++ walks: the asynchronous one (callback and promises) answers ENOTDIR
  // for a parent taken by a dangling link, the synchronous one what stat says (ENOENT).
  const dangling = (fs: Fs, p: P): void => fs.symlinkSync('nope', p('e/dl'));
  cases('recursive mkdir through a dangling link', [
    ['mkdirSync(e/dl/a, {recursive})', (fs, p) => { dangling(fs, p); return fs.mkdirSync(p('e/dl/a'), { recursive: true }); }],
    ['mkdir(e/dl/a, {recursive}, cb)', (fs, p) => { dangling(fs, p); return callback((cb) => fs.mkdir(p('e/dl/a'), { recursive: true }, cb)); }],
    ['promises.mkdir(e/dl/a, {recursive})', (fs, p) => { dangling(fs, p); return fs.promises.mkdir(p('e/dl/a'), { recursive: true }); }],
    ['promises.mkdir(e/dl, {recursive})', (fs, p) => { dangling(fs, p); return fs.promises.mkdir(p('e/dl'), { recursive: true }); }],
    ['mkdirSync(e/dl, {recursive})', (fs, p) => { dangling(fs, p); return fs.mkdirSync(p('e/dl'), { recursive: true }); }],
  ]);
  const linkedTree = (fs: Fs, p: P): void => {
    fs.symlinkSync('../d', p('e/ld'));
    fs.writeFileSync(p('e/y'), 'y');
  };
  const direntNames = (list: unknown): string[] => (list as realFs.Dirent[]).map((d) => `${d.parentPath}/${d.name}${d.isDirectory() ? '/' : d.isSymbolicLink() ? '@' : ''}`).sort();
  cases('recursive readdir through links to directories', [
    ['readdirSync(e, {recursive})', (fs, p) => { linkedTree(fs, p); return (fs.readdirSync(p('e'), { recursive: true })).sort(); }],
    ['readdirSync(e, {recursive, withFileTypes})', (fs, p) => { linkedTree(fs, p); return direntNames(fs.readdirSync(p('e'), { recursive: true, withFileTypes: true })); }],
    ['readdir(e, {recursive}, cb)', async (fs, p) => { linkedTree(fs, p); return ((await callback((cb) => fs.readdir(p('e'), { recursive: true }, cb))) as string[]).sort(); }],
    ['readdir(e, {recursive, withFileTypes}, cb)', async (fs, p) => { linkedTree(fs, p); return direntNames(await callback((cb) => fs.readdir(p('e'), { recursive: true, withFileTypes: true }, cb))); }],
    ['promises.readdir(e, {recursive})', async (fs, p) => { linkedTree(fs, p); return (await fs.promises.readdir(p('e'), { recursive: true })).sort(); }],
    ['promises.readdir(e, {recursive, withFileTypes})', async (fs, p) => { linkedTree(fs, p); return direntNames(await fs.promises.readdir(p('e'), { recursive: true, withFileTypes: true })); }],
    ['readdirSync(e, {recursive}) with a dangling link', (fs, p) => { fs.symlinkSync('nope', p('e/dl')); return fs.readdirSync(p('e'), { recursive: true }).sort(); }],
    ['readdirSync(e, {recursive}) through a link to itself, to ELOOP', (fs, p) => { fs.symlinkSync('.', p('e/self')); return fs.readdirSync(p('e'), { recursive: true }).length; }],
    ['readdirSync(e, {recursive, withFileTypes}) through a link to itself', (fs, p) => { fs.symlinkSync('.', p('e/self')); return fs.readdirSync(p('e'), { recursive: true, withFileTypes: true }).length; }],
    ['readdir(e, {recursive}, cb) through a link to itself', async (fs, p) => { fs.symlinkSync('.', p('e/self')); return ((await callback((cb) => fs.readdir(p('e'), { recursive: true }, cb))) as string[]).length; }],
    ['promises.readdir(e, {recursive, withFileTypes}) through a link to itself', async (fs, p) => { fs.symlinkSync('.', p('e/self')); return (await fs.promises.readdir(p('e'), { recursive: true, withFileTypes: true })).length; }],
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
