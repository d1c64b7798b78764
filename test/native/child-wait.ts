/**
 * Child process for wait-in-ring.test.ts: one FIFO read that waits in the ring (waitInRing), written
 * by a timer. Once it has settled nothing is left, and the process must exit on its own: the wait's
 * idle handle and its poll of the event loop's epoll fd must not keep the loop alive.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UringIo } from '../../src/backends/iouring/index.js';

const root = process.argv[2] as string;
const io = new UringIo({ root, waitInRing: true });
execFileSync('mkfifo', [join(root, 'child-wait')]);
const fd = await io.open('child-wait', { read: true, write: true });
const pending = io.read(fd, new Uint8Array(1), 0);
setTimeout(() => {
  const writer = openSync(join(root, 'child-wait'), 'w');
  writeSync(writer, 'w');
  closeSync(writer);
}, 30);
const count = await pending;
await io.close(fd);
process.stdout.write(`read ${count}, waits ${io.ringInfo.ringWaits > 0 ? '>0' : '0'}\n`);
// No shutdown: the ring is idle and must hold nothing.
