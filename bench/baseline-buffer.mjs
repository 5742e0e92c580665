// The floor for serving: a bare node:http server answering one thumbnail from a Buffer in memory, with the very
// headers the project sent for it (captured by bench/run.mjs from the project's own 200 and 304), and 304 when
// If-None-Match matches. No routing, no logging, no metrics: what Node itself costs per request.
// Usage: node bench/baseline-buffer.mjs FILE HEADERS_200_JSON HEADERS_304_JSON
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [file, ok, notModified] = process.argv.slice(2);
const body = readFileSync(file);
const headers200 = Object.entries(JSON.parse(ok));
const headers304 = Object.entries(JSON.parse(notModified));
const etag = JSON.parse(ok).etag;
const server = createServer((req, res) => {
  const fresh = req.headers['if-none-match'] === etag;
  for (const [name, value] of fresh ? headers304 : headers200) res.setHeader(name, value);
  res.statusCode = fresh ? 304 : 200;
  res.end(fresh ? undefined : body);
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
