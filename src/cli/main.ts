#!/usr/bin/env node
/**
 * Entry point of the `faultline` command (the package's `bin`). Exit codes: 0 success, 1 a seed
 * failed, 2 bad input, 130/143 interrupted by SIGINT/SIGTERM. See `cli.ts`.
 *
 * Campaigns run their seeds in worker processes started with V8's GC helper threads off (see
 * `worker-process.ts`), so this process does not re-run itself with different flags: a signal sent
 * to it reaches the one process that owns the workers.
 */
import { cliMain } from './cli.js';

process.exitCode = await cliMain(process.argv.slice(2));
