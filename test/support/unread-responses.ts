/**
 * A test that looks only at a fetch response's status or headers leaves its body unread: the connection stays
 * busy, and its socket open after the server is gone, until the response is garbage-collected. Left at the end
 * of the last file a jest worker runs, such sockets keep the worker from exiting (jest then kills it: "A worker
 * process has failed to exit gracefully"). Bodies still unread when a file's tests end are cancelled here,
 * which closes their connections. Weak references: the responses stay collectable (memory tests measure).
 */
const responses = new Set<WeakRef<Response>>();
const fetchAndTrack = globalThis.fetch;
globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
  const response = await fetchAndTrack(...args);
  responses.add(new WeakRef(response));
  return response;
};

afterAll(async () => {
  for (const ref of responses) {
    const response = ref.deref();
    if (response && !response.bodyUsed) await response.body?.cancel().catch(() => undefined);
  }
  responses.clear();
});
