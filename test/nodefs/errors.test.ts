/**
 * Argument errors of `node.fs` are Node's own: the same class, code and message as real
 * `node:fs`, thrown at the same moment (synchronously, also for callback forms; as a rejection
 * for promise forms). Every real call here is refused before it touches the disk, or names a path
 * inside a temporary directory.
 */
import { expect } from 'chai';
import * as realFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../src/backends/sim/index.js';

type Fs = typeof realFs;
type Call = (fs: Fs, p: (s: string) => string, fd: number) => unknown;

function thrown(run: () => unknown): unknown {
  let value: unknown;
  try {
    value = run();
  } catch (err) {
    const e = err as Error & { code?: string };
    return { sync: true, name: e.name, code: e.code, message: e.message };
  }
  if (value instanceof Promise) {
    return value.then(() => ({ resolved: true }), (err: Error & { code?: string }) => ({ sync: false, name: err.name, code: err.code, message: err.message }));
  }
  return { sync: false };
}

const noop = (): void => undefined;

const CASES: [string, Call][] = [
  ['NUL in a path', (fs) => fs.openSync('a\u0000b', 'r')],
  ['NUL in a Buffer path', (fs) => fs.statSync(Buffer.from('a\u0000b'))],
  ['number as a path', (fs) => fs.openSync(5 as unknown as string, 'r')],
  ['object as a path', (fs) => fs.readFileSync({} as unknown as string)],
  ['undefined path', (fs) => fs.mkdirSync(undefined as unknown as string)],
  ['http URL', (fs) => fs.readFileSync(new URL('http://example.com/x'))],
  ['bad flag string', (fs, p) => fs.openSync(p('f'), 'zz')],
  ['bad flag type', (fs, p) => fs.openSync(p('f'), {} as unknown as string)],
  ['bad mode string', (fs, p) => fs.openSync(p('f'), 'r', 'abc')],
  ['negative mode', (fs, p) => fs.openSync(p('f'), 'r', -1)],
  ['fractional mode', (fs, p) => fs.chmodSync(p('f'), 1.5)],
  ['mode of the wrong type', (fs, p) => fs.chmodSync(p('f'), {} as unknown as number)],
  ['open without a callback', (fs, p) => (fs.open as unknown as (...a: unknown[]) => void)(p('f'), 'r')],
  ['stat with a non-function callback', (fs, p) => (fs.stat as unknown as (...a: unknown[]) => void)(p('f'), 'nope')],
  ['fd of the wrong type', (fs) => fs.readSync('x' as unknown as number, Buffer.alloc(1))],
  ['negative fd', (fs) => fs.fstatSync(-1)],
  ['fractional fd', (fs) => fs.closeSync(1.5)],
  ['fd past int32', (fs) => fs.fsyncSync(2 ** 31)],
  ['read into a non-buffer', (fs, _p, fd) => fs.readSync(fd, 'abc' as unknown as Buffer, 0, 1, 0)],
  ['read offset past the buffer', (fs, _p, fd) => fs.readSync(fd, Buffer.alloc(4), 5, 1, 0)],
  ['read length past the buffer', (fs, _p, fd) => fs.readSync(fd, Buffer.alloc(4), 1, 4, 0)],
  ['read negative offset', (fs, _p, fd) => fs.readSync(fd, Buffer.alloc(4), -1, 1, 0)],
  ['read position of the wrong type', (fs, _p, fd) => fs.readSync(fd, Buffer.alloc(4), 0, 1, '1' as unknown as number)],
  ['write a number', (fs, _p, fd) => fs.writeSync(fd, 123 as unknown as string)],
  ['writeFile data of the wrong type', (fs, p) => fs.writeFileSync(p('f'), 123 as unknown as string)],
  ['readFile bad encoding', (fs, p) => fs.readFileSync(p('f'), 'nope' as BufferEncoding)],
  ['readFile bad flag', (fs, p) => fs.readFileSync(p('f'), { flag: 'q' })],
  ['promises.open NUL path', (fs) => fs.promises.open('a\u0000b')],
  ['promises.readFile number-like object path', (fs) => fs.promises.readFile([] as unknown as string)],
  ['promises.mkdir bad mode', (fs, p) => fs.promises.mkdir(p('d'), { mode: 'zz' as unknown as number })],
  ['mkdir recursive of the wrong type', (fs, p) => fs.mkdirSync(p('d'), { recursive: 1 as unknown as boolean })],
  ['readv with a non-array', (fs, _p, fd) => fs.readvSync(fd, Buffer.alloc(1) as unknown as Buffer[])],
];

describe('node.fs argument errors are Node\'s own', function () {
  let root: string;
  let realFd: number;
  const sim = new Simulation({ seed: 'errors' });
  const simFs = sim.node('n').fs;
  let simFd: number;
  before(function () {
    root = realFs.mkdtempSync(join(tmpdir(), 'faultline-nodefs-errors-'));
    realFs.writeFileSync(join(root, 'f'), 'data');
    realFd = realFs.openSync(join(root, 'f'), 'r+');
    simFs.mkdirSync('/w');
    simFs.writeFileSync('/w/f', 'data');
    simFd = simFs.openSync('/w/f', 'r+');
  });
  after(function () {
    realFs.closeSync(realFd);
    realFs.rmSync(root, { recursive: true, force: true });
  });

  for (const [name, call] of CASES) {
    it(name, async function () {
      const real = await thrown(() => call(realFs, (s) => join(root, s), realFd));
      const simulated = await thrown(() => call(simFs, (s) => `/w/${s}`, simFd));
      const clean = (o: unknown): unknown => JSON.parse(JSON.stringify(o).split(root).join('<root>').split('/w').join('<root>'));
      expect(real, 'the real call must fail').to.have.property('code');
      expect(clean(simulated)).to.deep.equal(clean(real));
    });
  }

  it('nothing changed on the simulated disk after all the refused calls', function () {
    expect(simFs.readdirSync('/w')).to.deep.equal(['f']);
    expect(simFs.readFileSync('/w/f', 'utf8')).to.equal('data');
  });

  it('system errors carry errno, code, syscall, path and dest like Node\'s', function () {
    const err = (() => { try { simFs.renameSync('/w/none', '/w/x'); } catch (e) { return e as Record<string, unknown>; } return {}; })();
    expect(err).to.be.instanceOf(Error);
    expect(Object.keys(err)).to.deep.equal(['errno', 'code', 'syscall', 'path', 'dest']);
    expect(err).to.include({ errno: -2, code: 'ENOENT', syscall: 'rename', path: '/w/none', dest: '/w/x' });
    void noop;
  });
});
