/** The contract: types, the error class and codes, limits and shared validation. Imports no backend. */
export * from './errors.js';
export * from './clock.js';
export * from './io.js';
export * from './storage.js';
export * from './limits.js';
export * as validate from './validate.js';
export * from './namespace-io.js';
