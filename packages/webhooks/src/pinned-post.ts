/**
 * The webhook POST, connected only to an address the URL guard approved.
 * `fetch` would resolve the host again, and a name that answered with a
 * public address for the check could answer with 127.0.0.1 or a cloud
 * metadata address a moment later (DNS rebinding). Here the socket's lookup
 * returns the checked address, while the URL (Host header, TLS server name
 * and certificate check) stays the tenant's. Redirects are never followed.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

export interface PostResult {
  status: number;
  retryAfter: string | null;
}

export interface PinnedPostRequest {
  url: URL;
  /** An address `assertDeliverableUrl` returned for `url`'s host. */
  address: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  timeoutMs: number;
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function timeoutError(): Error {
  const err = new Error('webhook request timed out');
  err.name = 'TimeoutError';
  return err;
}

export function pinnedPost(req: PinnedPostRequest): Promise<PostResult> {
  const family = isIP(req.address);
  if (family === 0) return Promise.reject(new TypeError('pinnedPost needs an IP address'));
  // Node asks with `all: true` when it may try several families (autoSelectFamily)
  const lookup = ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (options.all) cb(null, [{ address: req.address, family }]);
    else cb(null, req.address, family);
  }) as unknown as LookupFunction;
  const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(
      req.url,
      {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        lookup,
        agent: false,
      },
      (res) => {
        clearTimeout(timer);
        res.resume(); // the body is not used; drain it so the socket closes
        resolve({ status: res.statusCode ?? 0, retryAfter: header(res.headers, 'retry-after') });
      },
    );
    const timer = setTimeout(() => r.destroy(timeoutError()), req.timeoutMs);
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end(req.body);
  });
}
