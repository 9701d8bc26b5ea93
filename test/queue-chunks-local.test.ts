// Long clips as chunk jobs on the in-process queue (chunk-tests.ts): the join waits for its chunks,
// which run on both workers.
import { describe } from 'node:test';
import { chunkJobTests } from './support/chunk-tests.js';

describe('batch video --chunk, in-process queue', () => {
  chunkJobTests({ name: 'in-process', batchArgs: (n) => ['--workers', String(n)], startWorkers: async () => [], stopWorkers: async () => {} });
});
