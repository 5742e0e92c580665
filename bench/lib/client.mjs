// The bench's own requests to a server under test (set-up and checks, never the measured load, which is wrk's).
import { execFileSync } from 'node:child_process';

/**
 * fetch, with one retry: a kept-alive socket the server has just closed after its idle timeout fails at once
 * ("other side closed"), and a fresh socket is what a browser would try.
 */
export const request = (url, init) =>
  fetch(url, init).catch((error) =>
    error.cause?.code === 'UND_ERR_SOCKET' ? fetch(url, init) : Promise.reject(error),
  );

/** A response's JSON, or an error naming its URL, status and body. */
export async function json(res) {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * Creates a user of `tier` with the CLI of the checkout `cwd` (the server's environment `env`) and logs in:
 * resolves with the access token.
 */
export async function signIn(base, env, username, tier, cwd = process.cwd()) {
  const password = `${username}-password`;
  execFileSync(
    process.execPath,
    ['dist/cli/main.js', 'create-user', username, '--password', password, '--tier', tier],
    { cwd, env },
  );
  const res = await request(`${base}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return (await json(res)).accessToken;
}

/** Uploads `data` as `token`'s user; resolves with the response (201 with the image, or the refusal). */
export function upload(base, token, data, name = 'photo.jpg') {
  const form = new FormData();
  form.append('file', new Blob([data]), name);
  return request(`${base}/api/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

/**
 * What a server has done before its links are measured, as in production: five uploads of `photo`, 200 list
 * pages and 20 image reads as `token`'s user (Express, PostgreSQL, sharp). A server that has only ever answered
 * links runs them faster than one that has also served the API, whose shapes have reached Node's shared HTTP
 * and stream code (bench/README); two servers compared on links get the same history. Resolves with the last
 * image.
 */
export async function exercise(base, token, photo) {
  const auth = { authorization: `Bearer ${token}` };
  let image;
  for (let i = 0; i < 5; i++) image = await json(await upload(base, token, photo));
  for (let i = 0; i < 200; i++) await (await request(`${base}/api/images?limit=20`, { headers: auth })).text();
  for (let i = 0; i < 20; i++) await (await request(`${base}/api/images/${image.id}`, { headers: auth })).text();
  return image;
}
