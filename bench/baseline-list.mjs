// Baseline for GET /api/images: bare node:http + pg running the same keyset query and building the same JSON,
// with the same signed links (HMAC-SHA256 over "p:{id}:{variant}", 128 bits, base64url, as
// src/links/link-signer.ts does) and the same cursor. No auth, no framework: the platform's cost of the page.
// The first page (default size or smaller) comes from memory, as the project's does (src/images/image-pages
// .service.ts): its 21 rows read once, never dropped (the project also follows the database's notifications).
// Environment: DATABASE_URL, OWNER_ID, LINK_SECRET, PUBLIC_URL, HEIGHTS (e.g. 200,400), ORIGINAL (1 or 0).
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const owner = process.env.OWNER_ID;
const secret = Buffer.from(process.env.LINK_SECRET.split(',')[0]);
const publicUrl = process.env.PUBLIC_URL;
const heights = process.env.HEIGHTS.split(',').filter(Boolean).map(Number);
const original = process.env.ORIGINAL === '1';
const EXT = { png: 'png', jpeg: 'jpg' };
const sign = (message) => createHmac('sha256', secret).update(message).digest().subarray(0, 16).toString('base64url');
const link = (id, variant, format) =>
  `${publicUrl}/media/${id}/${sign(`p:${id}:${variant}`)}/${variant}.${EXT[format]}`;

// A named (prepared) statement, as the project's: parsed and planned once per connection.
const query = async (values, after) =>
  (
    await pool.query({
      name: after ? 'page-after' : 'page',
      text: `SELECT id, title, description, format, width, height, bytes, "createdAt", placeholder FROM images
        WHERE "ownerId" = $1 ${after} ORDER BY "createdAt" DESC, id DESC LIMIT $2`,
      values,
    })
  ).rows;
const FIRST_PAGE_ROWS = 21;
let firstPage;

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const limit = Number(url.searchParams.get('limit') ?? 20);
  const cursor = url.searchParams.get('cursor');
  const params = [owner, limit + 1];
  let after = '';
  if (cursor) {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    params.push(at, id);
    after = 'AND ("createdAt", id) < ($3, $4)';
  }
  const rows =
    !cursor && limit + 1 <= FIRST_PAGE_ROWS
      ? (firstPage ??= await query([owner, FIRST_PAGE_ROWS], '')).slice(0, limit + 1)
      : await query(params, after);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const body = JSON.stringify({
    items: page.map((r) => ({
      id: r.id,
      title: r.title,
      description: r.description,
      format: r.format,
      width: r.width,
      height: r.height,
      bytes: r.bytes,
      createdAt: r.createdAt.toISOString(),
      placeholder: r.placeholder,
      links: {
        thumbnails: heights.map((height) => ({
          height,
          // The width as served (src/media/render.ts servedSize): in proportion, never enlarged.
          width: height >= r.height ? r.width : Math.max(1, Math.round((r.width * height) / r.height)),
          url: link(r.id, `${height}`, r.format),
        })),
        original: original ? link(r.id, 'original', r.format) : null,
      },
    })),
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.id])).toString('base64url')
        : null,
  });
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
