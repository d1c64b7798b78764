#!/usr/bin/env node
/**
 * Entry point of the `faultline` command (the package's `bin`). Exit codes: 0 success, 1 a seed
 * failed, 2 bad input. See `cli.ts`.
 */
import { cliMain } from './cli.js';

process.exitCode = await cliMain(process.argv.slice(2));
