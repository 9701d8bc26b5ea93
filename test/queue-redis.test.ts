// double-dip batch --queue and double-dip worker on a real Redis (started here on a free port, no
// persistence): the job-level tests that the in-process queue passes too (job-tests.ts).
import { describe } from 'node:test';
import { jobLevelTests } from './support/job-tests.js';
import { useRedis } from './support/queue.js';

describe('batch --queue and worker on Redis', () => {
  const redis = useRedis();
  jobLevelTests({ name: 'redis', batchArgs: () => ['--queue', redis.url()], startWorkers: (n) => redis.startWorkers(n), stopWorkers: redis.stopWorkers });
});
