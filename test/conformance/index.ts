/**
 * faultline's conformance suites, published as `faultline/conformance` so anyone can hold their own
 * backend to the same contract as the built-in ones.
 *
 * Usage (under node:test, vitest or mocha, with chai and fast-check installed as devDependencies):
 *
 * ```ts
 * import { describe, it } from 'node:test'; // or 'vitest'; under mocha pass nothing
 * import { defineIoConformance } from 'faultline/conformance';
 * defineIoConformance('my-backend', async () => {
 *   const io = await createMyIo();
 *   return { io, dispose: () => io.shutdown() };
 * }, { direct: false, tmpfile: false, symlinks: false, directoryFsync: true,
 *      reasons: { symlinks: 'my backend has no symlinks', direct: 'no O_DIRECT', tmpfile: 'no O_TMPFILE' } },
 * { describe, it });
 * ```
 *
 * Every test gets a fresh backend from the factory and disposes it afterwards. Capabilities the
 * manifest rules out appear as pending tests whose titles give the reason.
 */
export type { BackendFactory, BackendInstance, ConformanceSupports, TestRunnerFunctions } from './harness.js';
export { manifestMismatch } from './harness.js';
export { skipReason } from './harness.js';
export { defineIoConformance, expectCode } from './io-suite.js';
export { defineIoModelTest } from './io-model.js';
export { defineStorageConformance, type StorageConformanceSupports } from './storage-suite.js';
export { defineStorageModelTest } from './storage-model.js';
