import type { Metadata } from 'sharp';

/** What decoding an image costs, from its header alone. */
export interface DecodeCost {
  /** Every sample the decoder produces: width × height × channels × bytes per sample. */
  decodedBytes: number;
  /**
   * What the decoder holds at once. Interlaced (Adam7) PNGs are decoded whole in memory (every pass touches
   * every row), progressive JPEGs keep all their DCT coefficients (2 bytes a sample, chroma subsampled);
   * anything else is read in sequence, a window of rows at a time.
   */
  residentBytes: number;
  /** Interlaced PNG or progressive JPEG. */
  interlaced: boolean;
}

const MiB = 1024 * 1024;
export const BYTES_PER_SAMPLE: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
};
/** Samples per pixel kept by a JPEG decoder for each chroma subsampling (luma + two chroma planes). */
const JPEG_PLANES: Record<string, number> = { '4:4:4': 3, '4:2:2': 2, '4:4:0': 2, '4:2:0': 1.5, '4:1:1': 1.5 };

/** What decoding costs, from the header's size, channels, sample format and interlacing (sharp's metadata). */
export function decodeCost(
  metadata: Pick<
    Metadata,
    'format' | 'width' | 'height' | 'channels' | 'depth' | 'isProgressive' | 'chromaSubsampling'
  >,
): DecodeCost {
  const pixels = metadata.width * metadata.height;
  const channels = metadata.channels ?? 3;
  const decodedBytes = pixels * channels * (BYTES_PER_SAMPLE[metadata.depth ?? 'uchar'] ?? 4);
  const interlaced = metadata.isProgressive === true;
  let residentBytes: number;
  if (interlaced && metadata.format === 'png') residentBytes = decodedBytes;
  else if (interlaced && metadata.format === 'jpeg') {
    const planes = channels === 4 ? 4 : (JPEG_PLANES[metadata.chromaSubsampling ?? ''] ?? channels);
    residentBytes = Math.ceil(pixels * planes * 2);
  } else {
    // Read in sequence: a window of rows (libvips' strip cache and the shrink) in flight, a few MiB at least.
    residentBytes = Math.min(decodedBytes, Math.max(4 * MiB, (decodedBytes / metadata.height) * 256));
  }
  return { decodedBytes, residentBytes, interlaced };
}

/** The decode budget in bytes: what the largest accepted image costs as 8-bit RGBA (MAX_INPUT_PIXELS × 4). */
export const decodeBudget = (maxInputPixels: number): number => maxInputPixels * 4;
