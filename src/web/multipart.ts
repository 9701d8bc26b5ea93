// A multipart/form-data request (the page's form, `curl -F`), parsed by busboy: text fields kept
// as text, files streamed to disk as they arrive (never whole in memory), the body's total size
// bounded as a JSON body is.
import busboy from 'busboy';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A refused upload: the HTTP status and the sentence for the client. */
export class UploadError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export interface UploadedFile { field: string; path: string; bytes: number }
export interface Multipart { fields: Record<string, string>; files: UploadedFile[] }

export const isMultipart = (req: IncomingMessage) => /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');

/**
 * Reads a multipart body into `dir`: at most `limit` bytes of fields and files together (413
 * beyond, every file removed). The caller removes the files it does not keep.
 */
export function readMultipart(req: IncomingMessage, limit: number, dir: string): Promise<Multipart> {
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const writes: Promise<unknown>[] = [];
  const tooLarge = () => new UploadError(413, `The request is too large: at most ${Math.floor(limit / 1024 / 1024)} MB. Send smaller images.`);
  // As with a JSON body, the rest of an oversized one is read and dropped (up to a bound), so the client sees the 413.
  const drainLimit = Math.max(limit * 8, 256 * 1024 * 1024);
  let size = 0;
  let refused: UploadError | undefined;
  const count = (n: number) => {
    size += n;
    if (size > limit) refused ??= tooLarge();
  };
  const cleanUp = () => Promise.all(files.map((f) => rm(f.path, { force: true })));

  return new Promise<Multipart>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fieldSize: limit, fileSize: limit, files: 64, fields: 200, parts: 264 } });
    } catch (e) {
      reject(new UploadError(400, `Cannot read the multipart request (${(e as Error).message}): send it as curl -F does, with a boundary.`));
      return;
    }
    const fail = (e: UploadError) => { refused ??= e; };
    bb.on('field', (name, value) => {
      count(Buffer.byteLength(name) + Buffer.byteLength(value));
      if (!refused) fields[name] = value;
    });
    bb.on('file', (field, stream) => {
      if (refused) { stream.resume(); return; }
      const file: UploadedFile = { field, path: join(dir, `${randomBytes(8).toString('hex')}.upload`), bytes: 0 };
      files.push(file);
      // Counts every byte; once over the limit, drops them (the rest is drained, not stored).
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          count(chunk.length);
          file.bytes += chunk.length;
          if (size > drainLimit) { req.unpipe(bb); req.destroy(); }
          done(null, refused ? undefined : chunk);
        },
      });
      writes.push(pipeline(stream, meter, createWriteStream(file.path)).catch((e: Error) => fail(new UploadError(400, `Cannot store the upload "${field}": ${e.message}`))));
    });
    for (const limitEvent of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const)
      bb.on(limitEvent, () => fail(new UploadError(400, `The request has too many parts (${limitEvent.replace('Limit', '')}): send the task, its options and its files only.`)));
    const finish = async (error?: UploadError) => {
      await Promise.all(writes);
      const e = error ?? refused;
      if (e) { await cleanUp(); reject(e); } else resolve({ fields, files });
    };
    bb.on('close', () => void finish());
    bb.on('error', (e: Error) => void finish(refused ?? new UploadError(400, `The multipart body is malformed (${e.message}): send it as curl -F does.`)));
    req.on('aborted', () => void finish(new UploadError(400, 'The upload was cut short.')));
    req.pipe(bb);
  });
}
