// Baseline for serving: bare node:http sending one file from disk on every request (stat, then
// fs.createReadStream), with the headers the project sends (Content-Type, Content-Length, ETag,
// Cache-Control, nosniff) and If-None-Match → 304. Usage: node bench/baseline-static.mjs FILE ETAG TYPE
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';

const [file, etag, type] = process.argv.slice(2);
const server = createServer(async (req, res) => {
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'public, max-age=300');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const { size } = await stat(file);
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': size });
  createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
