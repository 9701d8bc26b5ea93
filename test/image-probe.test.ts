// probeImageBuffer: an image's size and colour bands from its header, as reading it would give
// them, and the same refusals, without decoding.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { probeImageBuffer, readImageBuffer } from '../src/io/image-file.js';

const solid = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#406080' }, limitInputPixels: false });

describe('probeImageBuffer', () => {
  test('size and bands match what reading gives, EXIF orientation included', async () => {
    const files = {
      rgb: await solid(64, 48).png().toBuffer(),
      grey: await solid(64, 48).toColourspace('b-w').png().toBuffer(),
      // Stored 64x48, shown turned a quarter: read as 48x64.
      turned: await solid(64, 48).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
      alpha: await solid(40, 30).ensureAlpha().png().toBuffer(),
    };
    for (const [name, buf] of Object.entries(files)) {
      const head = await probeImageBuffer(buf, name);
      const img = await readImageBuffer(buf, name, { channels: head.channels });
      assert.deepEqual([head.width, head.height, head.channels], [img.width, img.height, img.channels], name);
    }
    assert.deepEqual(await probeImageBuffer(files.turned, 'turned'), { width: 48, height: 64, channels: 3, format: 'jpeg' });
    assert.equal((await probeImageBuffer(files.grey, 'grey')).channels, 1);
  });

  test('refuses what reading refuses, with the same message', async () => {
    const bad = [Buffer.alloc(0), Buffer.from('not an image at all'), await solid(8, 8).png().toBuffer(), await solid(9000, 9000).png().toBuffer()];
    for (const buf of bad) {
      const read = await readImageBuffer(buf, 'up.png').then(() => '', (e: Error) => e.message);
      assert.ok(read !== '');
      await assert.rejects(probeImageBuffer(buf, 'up.png'), (e: Error) => e.message === read);
    }
  });
});
