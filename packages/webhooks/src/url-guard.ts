/**
 * SSRF guard for tenant webhook URLs. Checked when a URL is registered and
 * again before every send (the name may now resolve elsewhere: DNS
 * rebinding); the send then connects to an address returned here
 * (pinned-post.ts). Every address the host resolves to must be public; one
 * non-public address refuses the URL.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '@wa-dispatch/core';

export interface LookupAddress {
  address: string;
  family: number;
}

/** `dns.promises.lookup(host, {all: true})`, injectable for tests. */
export type HostLookup = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface UrlGuardOptions {
  /** Deployment switch (tests, private installs): skips the address checks, never the scheme check. */
  allowPrivate: boolean;
  lookup?: HostLookup;
}

export interface DeliverableUrl {
  url: URL;
  addresses: string[];
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

function refuse(message: string, details: Record<string, unknown>, retryable = false): AppError {
  return new AppError('WEBHOOK.URL_REFUSED', message, { details, retryable });
}

type Cidr4 = readonly [number, number]; // [network as uint32, prefix length]

function v4(a: string, bits: number): Cidr4 {
  return [ipv4ToInt(a), bits];
}

const BLOCKED_V4: readonly Cidr4[] = [
  v4('0.0.0.0', 8), // "this network"
  v4('10.0.0.0', 8), // private
  v4('100.64.0.0', 10), // CGNAT
  v4('127.0.0.0', 8), // loopback
  v4('169.254.0.0', 16), // link-local (cloud metadata)
  v4('172.16.0.0', 12), // private
  v4('192.0.0.0', 24), // IETF protocol assignments
  v4('192.168.0.0', 16), // private
  v4('198.18.0.0', 15), // benchmarking
  v4('224.0.0.0', 4), // multicast
  v4('240.0.0.0', 4), // reserved + broadcast
];

function ipv4ToInt(a: string): number {
  const parts = a.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${a}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) throw new Error(`not an IPv4 address: ${a}`);
    const octet = Number(p);
    if (octet > 255) throw new Error(`not an IPv4 address: ${a}`);
    n = n * 256 + octet;
  }
  return n >>> 0;
}

function v4Blocked(n: number): boolean {
  return BLOCKED_V4.some(([net, bits]) => {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return ((n & mask) >>> 0) === ((net & mask) >>> 0);
  });
}

/** 16 bytes of an IPv6 address (accepts `::`, a dotted IPv4 tail and a `%zone`). */
function ipv6ToBytes(a: string): Uint8Array {
  let s = a.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const words: number[] = [];
  const parseGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    groups.forEach((g, i) => {
      if (i === groups.length - 1 && g.includes('.')) {
        const n = ipv4ToInt(g);
        out.push(n >>> 16, n & 0xffff);
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(g)) throw new Error(`not an IPv6 address: ${a}`);
        out.push(parseInt(g, 16));
      }
    });
    return out;
  };
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    const fill = 8 - head.length - tail.length;
    if (fill < 1) throw new Error(`not an IPv6 address: ${a}`);
    words.push(...head, ...new Array<number>(fill).fill(0), ...tail);
  } else {
    words.push(...parseGroups(s));
  }
  if (words.length !== 8) throw new Error(`not an IPv6 address: ${a}`);
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >>> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

function bytesToV4(b: Uint8Array, offset: number): number {
  return (((b[offset] ?? 0) << 24) | ((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) | (b[offset + 3] ?? 0)) >>> 0;
}

function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

function v6Blocked(b: Uint8Array): boolean {
  const b0 = b[0] ?? 0;
  const b1 = b[1] ?? 0;
  if (allZero(b, 0, 16)) return true; // :: unspecified
  if (allZero(b, 0, 15) && b[15] === 1) return true; // ::1 loopback
  if ((b0 & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return true; // fec0::/10 site-local (deprecated)
  if (b0 === 0xff) return true; // ff00::/8 multicast
  // Forms that embed an IPv4 address: judge the embedded one.
  if (allZero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return v4Blocked(bytesToV4(b, 12)); // ::ffff:a.b.c.d mapped
  if (allZero(b, 0, 12)) return v4Blocked(bytesToV4(b, 12)); // ::a.b.c.d compatible (deprecated)
  if (b0 === 0x00 && b1 === 0x64 && b[2] === 0xff && b[3] === 0x9b && allZero(b, 4, 12)) {
    return v4Blocked(bytesToV4(b, 12)); // 64:ff9b::/96 NAT64
  }
  if (b0 === 0x20 && b1 === 0x02) return v4Blocked(bytesToV4(b, 2)); // 2002::/16 6to4
  return false;
}

/** Whether `address` (an IP literal) is loopback, private, link-local, CGNAT, multicast, reserved, or maps onto one. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address.includes('%') ? address.slice(0, address.indexOf('%')) : address);
  if (family === 4) return v4Blocked(ipv4ToInt(address));
  if (family === 6) return v6Blocked(ipv6ToBytes(address));
  return true; // not an IP literal: refuse rather than guess
}

/**
 * Parses and checks a webhook URL; returns it with the addresses it resolved to.
 * Throws `WEBHOOK.URL_REFUSED` (details.reason: scheme | invalid | credentials | private | unresolvable).
 * `unresolvable` is marked retryable: at send time a DNS failure is transient.
 */
export async function assertDeliverableUrl(raw: string, opts: UrlGuardOptions): Promise<DeliverableUrl> {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw refuse('Webhook URL is too long', { reason: 'invalid' });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('Webhook URL is not a valid URL', { reason: 'invalid' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw refuse('Webhook URL must use https or http', { reason: 'scheme', protocol: url.protocol });
  }
  if (url.username !== '' || url.password !== '') {
    throw refuse('Webhook URL must not carry credentials', { reason: 'credentials' });
  }
  // WHATWG URL has already normalised numeric hosts (2130706433, 0x7f.1) to dotted IPv4.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw refuse('Webhook URL has no host', { reason: 'invalid' });

  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = (await (opts.lookup ?? systemLookup)(host)).map((a) => a.address);
    } catch (err) {
      throw new AppError('WEBHOOK.URL_REFUSED', 'Webhook host does not resolve', {
        details: { reason: 'unresolvable', host },
        retryable: true,
        cause: err,
      });
    }
    if (addresses.length === 0) {
      throw refuse('Webhook host does not resolve', { reason: 'unresolvable', host }, true);
    }
  }
  if (!opts.allowPrivate) {
    const blocked = addresses.filter((a) => isNonPublicAddress(a));
    if (blocked.length > 0) {
      throw refuse('Webhook URL resolves to a loopback, private or reserved address', {
        reason: 'private',
        host,
        addresses: blocked,
      });
    }
  }
  return { url, addresses };
}
