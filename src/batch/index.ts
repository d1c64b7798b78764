export { readBatch, writeBatch, type BatchEntry } from './batch.js';
