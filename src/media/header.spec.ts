import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { AppConfig } from '../config/config.js';
import { HEADER_TIMEOUT_MS } from './header.js';
import { ImageProcessor } from './image-processor.js';
import { InvalidImageError } from './media.errors.js';

/** Every sharp call has a time limit (issue 16, item 3): header reads too, which have no sharp `timeout`. */
describe('header reads are bounded in time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'header-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses with 400 an image whose header read does not answer in time (upload and stored original)', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#369' } })
      .png()
      .toBuffer();
    const path = join(dir, 'a.png');
    writeFileSync(path, png);
    const processor = new ImageProcessor({ maxInputPixels: 50_000_000 } as AppConfig);
    expect(processor.headerTimeoutMs).toBe(HEADER_TIMEOUT_MS);
    processor.headerTimeoutMs = 100;
    // A header read that never answers (what a libvips loader stuck in a crafted file looks like from here).
    const stuck = jest
      .spyOn(Object.getPrototypeOf(sharp()) as { metadata: () => Promise<unknown> }, 'metadata')
      .mockImplementation(() => new Promise(() => undefined));
    try {
      const started = Date.now();
      await expect(processor.prepare(path, [20])).rejects.toThrow(
        new InvalidImageError('The image header could not be read in time'),
      );
      await expect(processor.thumbnails(png, [20], ['png'])).rejects.toBeInstanceOf(InvalidImageError);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(stuck).toHaveBeenCalledTimes(2);
    } finally {
      stuck.mockRestore();
    }
    // Answering in time: as before.
    await expect(processor.prepare(path, [20])).resolves.toMatchObject({ info: { format: 'png', width: 40 } });
  });
});
