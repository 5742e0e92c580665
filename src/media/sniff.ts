/** File signatures: the format is judged by the first bytes, never by a name or a declared type. */
const SIGNATURES: Array<{ name: string; test: (b: Buffer) => boolean }> = [
  { name: 'png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { name: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { name: 'GIF', test: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  {
    name: 'WebP',
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  { name: 'TIFF', test: (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1')) },
  { name: 'BMP', test: (b) => b.subarray(0, 2).toString('latin1') === 'BM' },
  { name: 'ICO', test: (b) => b.readUInt32BE(0) === 0x00000100 },
  { name: 'PSD', test: (b) => b.subarray(0, 4).toString('latin1') === '8BPS' },
  { name: 'JPEG 2000', test: (b) => b.subarray(4, 8).toString('latin1') === 'jP  ' },
  { name: 'JPEG XL', test: (b) => (b[0] === 0xff && b[1] === 0x0a) || b.subarray(4, 8).toString('latin1') === 'JXL ' },
  {
    // ISO-BMFF: AVIF, HEIC, HEIF
    name: 'AVIF/HEIF',
    test: (b) =>
      b.subarray(4, 8).toString('latin1') === 'ftyp' &&
      /^(avi|hei|hev|mif|msf)/.test(b.subarray(8, 12).toString('latin1')),
  },
  { name: 'SVG', test: (b) => /^(\xef\xbb\xbf)?\s*(<\?xml|<svg|<!doctype svg)/i.test(b.toString('latin1')) },
];

/** The format named by the first bytes: 'png' or 'jpeg', another image format's name, or null for not an image. */
export function sniff(head: Buffer): string | null {
  if (head.length < 12) return null;
  return SIGNATURES.find((s) => s.test(head))?.name ?? null;
}

/** Width and height from a PNG's IHDR (the first chunk, at a fixed place). */
export function pngSize(head: Buffer): { width: number; height: number } | undefined {
  if (head.length < 24 || head.subarray(12, 16).toString('latin1') !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
