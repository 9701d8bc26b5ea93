import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from '../options.js';
import { whileRunning } from '../signals.js';
import { optionFromText } from '../../tasks/options.js';

export const summary = 'local web app: upload images or a video, run tasks, watch them train, download the results';
export const help = `Usage: double-dip serve [--port N] [--host H] [--allowed-host NAME]... [--data DIR]
                      [--queue redis://HOST:PORT[/DB]]

Starts a local web server with a page to run the tasks: pick images (or a video
for the Video task: segment, separate or dehaze a clip of at most 300 frames), draw
a box, set the size and iterations, watch live previews and the loss, stop when it
looks good, download each output (a video's as MP4s), report.json or everything as a
ZIP. One job trains at a time; the others wait in a queue. Results are kept in
DIR/jobs/ across restarts.

  --port N      port to listen on (default 8080; 0 = any free port)
  --host H      address to listen on (default 127.0.0.1: this machine only)
  --allowed-host NAME
                another name the server may be reached by (a name or address,
                optionally NAME:PORT; repeatable). Requests must name the server
                in their Host header: localhost, 127.0.0.1, [::1], the --host
                given (with 0.0.0.0 or ::, this machine's addresses), or these.
                Others get 403, so that no web page can reach the server by
                DNS rebinding.
  --data DIR    where jobs and their outputs are kept (default ./double-dip-data)
  --queue URL   put the jobs on the Redis queue at URL instead of training here:
                run them with double-dip worker --queue URL (any number, on
                machines that see DIR at the same absolute path: a shared file
                system). Jobs and their states survive a restart of the server.
  -h, --help    this help`;

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, 'allowed-host': { type: 'string', multiple: true }, queue: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    } }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) { process.stdout.write(help + '\n'); return 0; }
  // Loaded here, not at the top: --help stays quick (the server loads the tasks and libtorch).
  const { parseHost, startServer } = await import('../../web/server.js');
  const port = values.port === undefined ? 8080 : optionFromText('port', String(values.port)) as number;
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const dataDir = resolve((values.data as string | undefined) ?? 'double-dip-data');
  const allowedHosts = (values['allowed-host'] as string[] | undefined) ?? [];
  for (const h of allowedHosts) {
    if (!parseHost(h)) throw new UsageError(`Expected a host name or address for --allowed-host (e.g. example.lan or example.lan:8080), got "${h}"`);
  }
  const queue = values.queue as string | undefined;
  if (queue !== undefined) {
    const { QueueUrlError, checkRedis, parseQueueUrl } = await import('../../queue/redis.js');
    try { parseQueueUrl(queue); } catch (e) { if (e instanceof QueueUrlError) throw new UsageError(e.message); throw e; }
    await checkRedis(queue); // exit 1, naming the URL, within 5 s and before anything is written
  }
  let server;
  try {
    server = await startServer({ port, host, dataDir, allowedHosts, queue });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`Port ${port} is already in use: pick another with --port N (or --port 0 for any free one)`);
    if (code === 'EACCES') throw new Error(`No permission to listen on ${host}:${port}: use a port above 1023`);
    if (code === 'EADDRNOTAVAIL')
      throw new Error(`Cannot listen on ${host}: this machine has no such address. Use --host 127.0.0.1 (this machine only), ` +
        '0.0.0.0 (every address) or one of its own addresses.');
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME')
      throw new Error(`Cannot listen on "${host}": no such host name here. Use --host with one of this machine's addresses, e.g. 127.0.0.1.`);
    throw e;
  }
  process.stdout.write(`double-dip web app: ${server.url}\n(data in ${dataDir}${queue ? `; jobs on ${queue}, run by double-dip worker --queue ${queue}` : ''}; Ctrl-C to stop)\n`);
  // The first signal closes the server; a second quits at once.
  await new Promise<void>((closed) => {
    const done = whileRunning(() => {
      process.stderr.write('\nStopping the server...\n');
      void server.close().finally(() => { done(); closed(); });
    });
  });
  return 0;
}
