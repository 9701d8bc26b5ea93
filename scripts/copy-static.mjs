// Copies the web page's static files next to the compiled server.
import { cpSync, existsSync } from 'node:fs';
const src = new URL('../src/web/static/', import.meta.url);
if (existsSync(src)) cpSync(src, new URL('../dist/src/web/static/', import.meta.url), { recursive: true });
