// Stopping a job that a worker is running, for the web server on Redis (serve --queue): BullMQ
// cannot reach into a sandboxed child, so the server sets a Redis key and the child polls it. A
// stopped job publishes nothing (executeJob) and fails at once, without retries, with STOPPED.
import type { Redis } from 'ioredis';
import { QUEUE_NAME } from './redis.js';

/** The failed reason of a job stopped on request: the server shows it as cancelled. */
export const STOPPED = 'Stopped on request before the end: nothing written.';
/** How often a running job looks for its stop key. */
const POLL_MS = 1000;
/** A stop key outlives any job it could stop, then goes. */
const KEY_SECONDS = 7 * 24 * 3600;

/** Beside BullMQ's own keys of the job (default prefix "bull"): obliterating the queue removes it too. */
export const stopKey = (id: string) => `bull:${QUEUE_NAME}:${id}:stop`;

/** Asks the worker running job `id` to stop it. */
export async function requestStop(client: Redis, id: string): Promise<void> {
  await client.set(stopKey(id), '1', 'EX', KEY_SECONDS);
}

/**
 * Aborts the returned signal once job `id`'s stop key is set in the Redis at `url` (the worker's connection
 * settings, handed to its children in DOUBLE_DIP_QUEUE_URL). Call the returned stop() when the job ends.
 */
export async function watchStop(url: string, id: string): Promise<{ signal: AbortSignal; stop: () => void }> {
  const [{ Redis }, { parseQueueUrl }] = await Promise.all([import('ioredis'), import('./redis.js')]);
  const client = new Redis({ ...parseQueueUrl(url), maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {}); // a lost Redis only delays a stop; the worker reports the outage
  const controller = new AbortController();
  const timer = setInterval(() => {
    void client.exists(stopKey(id)).then((n) => { if (n > 0) controller.abort(); }, () => {});
  }, POLL_MS);
  return { signal: controller.signal, stop: () => { clearInterval(timer); client.disconnect(); } };
}
