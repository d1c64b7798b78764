/**
 * Child process for unavailable.test.ts. Installs a seccomp filter that makes io_uring_setup fail
 * with the errno given in argv[2] (exactly what Docker's default profile does, EPERM; ENOSYS as
 * gVisor and some runtimes answer), then reports, as one JSON line, what the library does.
 */
import { loadBinding } from '../../src/native/binding.js';
import { UringIo } from '../../src/backends/iouring/index.js';
import { openIo } from '../../src/backends/open-io.js';
import { isStorageError } from '../../src/interfaces/errors.js';

const errno = Number(process.argv[2]);
const root = process.argv[3] as string;
const load = loadBinding();
if (!load.ok || load.binding.restrictIoUringSetupForTesting === undefined) {
  process.stdout.write(`${JSON.stringify({ error: 'addon unavailable' })}\n`);
  process.exit(0);
}
const restricted = load.binding.restrictIoUringSetupForTesting(errno);
const support = UringIo.isSupported();
let constructorCode: string | undefined;
let constructorDetails: unknown;
let constructorMessage: string | undefined;
try {
  await new UringIo({ root }).shutdown();
} catch (err) {
  if (isStorageError(err)) {
    constructorCode = err.code;
    constructorDetails = err.details;
    constructorMessage = err.message;
  }
}
const first = await openIo({ backend: 'auto', root });
const second = await openIo({ backend: 'auto', root });
const fd = await first.open('works', { write: true, create: true });
await first.write(fd, new Uint8Array([1, 2, 3]), 0);
await first.close(fd);
let explicitCode: string | undefined;
try {
  await openIo({ backend: 'iouring', root });
} catch (err) {
  if (isStorageError(err)) explicitCode = err.code;
}
process.stdout.write(`${JSON.stringify({
  restricted, support, constructorCode, constructorDetails, constructorMessage, explicitCode,
  backends: [first.features.backend, second.features.backend],
})}\n`);
await first.shutdown();
await second.shutdown();
