/**
 * Child process for workers.test.ts: starts many operations and exits (process.exit) while they
 * are in flight. The parent checks the exit status: no crash, no abort.
 */
import { UringIo } from '../../src/backends/iouring/index.js';

const root = process.argv[2] as string;
const io = new UringIo({ root, queueDepth: 32 });
const fd = await io.open('exit.bin', { write: true, create: true, read: true });
const block = new Uint8Array(1 << 16).fill(7);
for (let i = 0; i < 500; i += 1) {
  void io.write(fd, block, i * 65536).catch(() => undefined);
  if (i % 10 === 0) void io.fsync(fd).catch(() => undefined);
}
// Let one batch reach the kernel, then leave with the rest in flight or waiting.
setImmediate(() => {
  process.stdout.write(`in-flight ${io.metrics.inFlight}\n`);
  process.exit(0);
});
