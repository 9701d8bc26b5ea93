// A web server in its own process, so that a test can read its memory (/proc/PID/status).
// Usage: node [--expose-gc] server-child.js DATA_DIR [SERVER_MODULE]: prints the port, stops on SIGTERM.
// With --expose-gc it collects every 200 ms, so that RSS shows what is held, not what awaits
// collection. SIGUSR2 prints process.memoryUsage() as a JSON line (after a collection).
// SERVER_MODULE (default: this build's) lets the same test be run on another build.
import { pathToFileURL } from 'node:url';
import type { startServer as Start } from '../../src/web/server.js';

const [dataDir, module] = process.argv.slice(2);
const { startServer } = (await import(module ? pathToFileURL(module).href : '../../src/web/server.js')) as { startServer: typeof Start };
const srv = await startServer({ port: 0, dataDir });
const gc = (globalThis as { gc?: () => void }).gc;
const timer = gc ? setInterval(gc, 200) : undefined;
process.stdout.write(`${srv.port}\n`);
process.on('SIGUSR2', () => {
  gc?.();
  process.stdout.write(`${JSON.stringify(process.memoryUsage())}\n`);
});
process.on('SIGTERM', () => {
  clearInterval(timer);
  void srv.close().then(() => process.exit(0));
});
