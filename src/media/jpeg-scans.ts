/** More scans than any encoder writes (libjpeg's progressive script has 10; mozjpeg's optimised ones up to ~60). */
export const MAX_JPEG_SCANS = 100;

/**
 * Counts the scans (SOS segments) of a JPEG by walking its markers, without decoding: each progressive scan
 * makes the decoder pass over every coefficient again, so thousands of tiny valid scans in a small file cost
 * minutes of CPU. Stops counting past `stopAfter`. Entropy-coded data is skipped byte-wise (0xFF00 stuffing and
 * RSTn markers stay inside a scan).
 */
export function countJpegScans(data: Buffer, stopAfter = MAX_JPEG_SCANS): number {
  let scans = 0;
  let i = 2; // after SOI
  while (i + 3 < data.length) {
    if (data[i] !== 0xff) return scans; // not a marker where one must be: the decoder will judge the rest
    const marker = data[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd9) return scans; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // no length
      continue;
    }
    const length = data.readUInt16BE(i + 2);
    i += 2 + length;
    if (marker !== 0xda) continue;
    if (++scans > stopAfter) return scans;
    // Entropy-coded data up to the next marker that is neither stuffing (FF00) nor a restart (FFD0–FFD7).
    while (i + 1 < data.length) {
      if (data[i] === 0xff) {
        const next = data[i + 1];
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
      }
      i++;
    }
  }
  return scans;
}
