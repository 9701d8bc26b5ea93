// PNG bytes for the web tests (what a browser or curl uploads).
import sharp from 'sharp';

/** A yellow square on a blue gradient, as PNG bytes. */
export async function picture(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const i = (y * width + x) * 3;
    const inside = x > width * 0.3 && x < width * 0.7 && y > height * 0.25 && y < height * 0.75;
    data[i] = inside ? 240 : 40 + x;
    data[i + 1] = inside ? 200 : 60 + y;
    data[i + 2] = inside ? 30 : 170;
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
