import './admin-env.js'; // before adminjs
import type { ActionRequest, ActionResponse, RecordJSON } from 'adminjs';

/** Removes keys (and their flattened children such as `key.0`) from a flat params object. */
export function dropParams(params: Record<string, unknown> | undefined, ...keys: string[]): void {
  if (!params) return;
  for (const k of Object.keys(params)) {
    if (keys.some((key) => k === key || k.startsWith(`${key}.`))) delete params[k];
  }
}

/** Keeps only the given keys (and their flattened children) of a submitted payload. */
export function keepParams(params: Record<string, unknown> | undefined, ...keys: string[]): void {
  if (!params) return;
  for (const k of Object.keys(params)) {
    if (!keys.some((key) => k === key || k.startsWith(`${key}.`))) delete params[k];
  }
}

/** Every record JSON an action response carries (list/search: records; others: record), populated ones included. */
export async function eachRecord(response: ActionResponse, fn: (r: RecordJSON) => void | Promise<void>): Promise<void> {
  const list: RecordJSON[] = [];
  if (response.record) list.push(response.record as RecordJSON);
  if (Array.isArray(response.records)) list.push(...(response.records as RecordJSON[]));
  await Promise.all(list.filter(Boolean).map(fn));
}

/** Removes a secret from the records of a response and from the records they populate (references). */
export function stripEverywhere(response: ActionResponse, ...keys: string[]): Promise<void> {
  return eachRecord(response, (r) => {
    dropParams(r.params, ...keys);
    for (const populated of Object.values(r.populated ?? {}))
      dropParams((populated as RecordJSON | null)?.params, ...keys);
  });
}

/** Collects a flattened array param (`key.0`, `key.1` or `key: []`) from a payload and removes it. */
export function takeArrayParam(payload: Record<string, unknown> | undefined, key: string): string[] | undefined {
  if (!payload) return undefined;
  let found = false;
  const values: string[] = [];
  for (const [k, v] of Object.entries(payload)) {
    if (k !== key && !k.startsWith(`${key}.`)) continue;
    found = true;
    delete payload[k];
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== null && item !== undefined && item !== '' && !String(item).startsWith('__FORM_VALUE_'))
        values.push(String(item));
    }
  }
  return found ? [...new Set(values)] : undefined;
}

export const isPost = (request: ActionRequest): boolean => request.method === 'post';

/**
 * A request header. AdminJS's express router spreads the request into the ActionRequest; `headers` is a
 * prototype getter on Node's IncomingMessage, so it may not survive the spread, but rawHeaders (own) does.
 */
export function headerOf(request: ActionRequest, name: string): string | undefined {
  const r = request as ActionRequest & { headers?: Record<string, unknown>; rawHeaders?: string[] };
  const value = r.headers?.[name];
  if (typeof value === 'string') return value;
  const raw = r.rawHeaders;
  if (raw) for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() === name) return raw[i + 1];
  return undefined;
}
