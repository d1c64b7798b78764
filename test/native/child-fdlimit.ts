/**
 * Child process for memory-safety.test.ts: uses up every file descriptor this process may open
 * (the parent runs it under a small `ulimit -n`), then stats paths through UringIo, which must not
 * need an fd for it (node:fs's stat does not), and must keep the root's confinement.
 *
 *   child-fdlimit <root>
 */
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UringIo } from '../../src/backends/iouring/index.js';
import { StorageError } from '../../src/interfaces/errors.js';

const root = process.argv[2] as string;
mkdirSync(join(root, 'a', 'b'), { recursive: true });
writeFileSync(join(root, 'a', 'b', 'file'), 'hello');
symlinkSync('a/b/file', join(root, 'inside'));
symlinkSync('b/../b', join(root, 'a', 'loopback'));
symlinkSync('/etc', join(root, 'absolute'));
symlinkSync('../..', join(root, 'a', 'up'));
symlinkSync('self', join(root, 'self'));

const io = new UringIo({ root, queueDepth: 4 });
const held: number[] = [];
let exhausted = false;
for (let i = 0; i < 100_000; i += 1) {
  try {
    held.push(openSync('/dev/null', 'r'));
  } catch (err) {
    exhausted = (err as NodeJS.ErrnoException).code === 'EMFILE';
    break;
  }
}

async function outcome(path: string): Promise<unknown> {
  try {
    const st = await io.stat(path);
    return [st.sizeBytes, st.isFile, st.isDirectory];
  } catch (err) {
    return err instanceof StorageError ? err.code : `raw ${String(err)}`;
  }
}

const out: Record<string, unknown> = { exhausted };
for (const path of ['a/b/file', 'inside', 'a', '.', 'a/loopback/file', 'a/b/file/x', 'missing', 'absolute', 'a/up', 'self']) {
  out[path] = await outcome(path);
}
for (const fd of held) closeSync(fd);
await io.shutdown();
process.stdout.write(`${JSON.stringify(out)}\n`);
