import sharp from 'sharp';

/** Test images, made here with sharp, so no binary fixtures live in the repository. */
const noisy = (width: number, height: number, channels: 3 | 4) => {
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24; // deterministic noise
  return sharp(data, { raw: { width, height, channels } });
};

export const png = (width: number, height: number, alpha = false) =>
  noisy(width, height, alpha ? 4 : 3)
    .png()
    .toBuffer();
export const jpeg = (width: number, height: number) => noisy(width, height, 3).jpeg({ quality: 90 }).toBuffer();
export const gif = () => noisy(40, 30, 3).gif().toBuffer();
export const webp = () => noisy(40, 30, 3).webp().toBuffer();
export const tiff = () => noisy(40, 30, 3).tiff().toBuffer();
export const avif = () => noisy(40, 30, 3).avif().toBuffer();
export const svg = () =>
  Buffer.from(
    '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30"/></svg>',
  );

/** A JPEG stored as width×height whose EXIF orientation (6: rotate 90° clockwise) makes it display as height×width. */
export const rotatedJpeg = (width: number, height: number) =>
  noisy(width, height, 3).jpeg().withMetadata({ orientation: 6 }).toBuffer();

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A tiny file whose PNG header claims width×height pixels: a decompression bomb's calling card. */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function describeImage(data: Buffer) {
  const { format, width, height, orientation, exif } = await sharp(data).metadata();
  return { format, width, height, orientation, hasExif: exif !== undefined };
}
