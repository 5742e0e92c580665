import sharp from 'sharp';
import { countJpegScans, MAX_JPEG_SCANS } from './jpeg-scans.js';

/** The JPEG with its last scan repeated `times` more times (what a scan-bomb looks like to the marker walk). */
export function withRepeatedScans(jpeg: Buffer, times: number): Buffer {
  const eoi = jpeg.lastIndexOf(Buffer.from([0xff, 0xd9]));
  const lastScan = jpeg.lastIndexOf(Buffer.from([0xff, 0xda])); // FFDA never occurs inside entropy data
  const scan = jpeg.subarray(lastScan, eoi);
  return Buffer.concat([jpeg.subarray(0, eoi), ...Array.from({ length: times }, () => scan), jpeg.subarray(eoi)]);
}

describe('countJpegScans', () => {
  const image = (progressive: boolean) =>
    sharp({ create: { width: 64, height: 48, channels: 3, background: '#48c' } })
      .jpeg({ progressive, quality: 80 })
      .toBuffer();

  it('finds one scan in a baseline JPEG and a handful in a progressive one', async () => {
    expect(countJpegScans(await image(false))).toBe(1);
    const progressive = countJpegScans(await image(true));
    expect(progressive).toBeGreaterThan(1);
    expect(progressive).toBeLessThanOrEqual(20);
  });

  it('counts repeated scans, and stops counting past the bound', async () => {
    const base = await image(true);
    expect(countJpegScans(withRepeatedScans(base, 50))).toBe(countJpegScans(base) + 50);
    expect(countJpegScans(withRepeatedScans(base, 5000))).toBe(MAX_JPEG_SCANS + 1);
  });

  it('does not loop or throw on truncated or garbage data', () => {
    expect(countJpegScans(Buffer.from([0xff, 0xd8, 0xff]))).toBe(0);
    expect(countJpegScans(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff]))).toBe(1);
    expect(countJpegScans(Buffer.from([0xff, 0xd8, 0x12, 0x34, 0x56, 0x78]))).toBe(0);
  });
});
