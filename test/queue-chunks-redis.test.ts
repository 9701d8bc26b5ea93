// Long clips as chunk jobs on Redis (chunk-tests.ts), started here on a free port: each long clip a
// BullMQ flow, its join the parent of its chunks.
import { describe } from 'node:test';
import { chunkJobTests } from './support/chunk-tests.js';
import { useRedis } from './support/queue.js';

describe('batch video --chunk --queue and worker on Redis', () => {
  const redis = useRedis();
  chunkJobTests({ name: 'redis', batchArgs: () => ['--queue', redis.url()], startWorkers: (n) => redis.startWorkers(n), stopWorkers: redis.stopWorkers });
});
