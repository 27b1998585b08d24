import { describe, expect, it } from 'vitest';
import { AppError } from '@wa-dispatch/core';
import { assertDeliverableUrl, isNonPublicAddress, type HostLookup } from './url-guard.js';

const fakeDns: Record<string, string[]> = {
  'public.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'mixed.example': ['93.184.216.34', '10.0.0.5'],
  'rebind.example': ['127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'mapped.example': ['::ffff:192.168.1.1'],
  'empty.example': [],
};
const lookup: HostLookup = async (host) => {
  const addrs = fakeDns[host];
  if (addrs === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

async function reason(url: string, allowPrivate = false): Promise<string | null> {
  try {
    await assertDeliverableUrl(url, { allowPrivate, lookup });
    return null;
  } catch (err) {
    expect(AppError.is(err)).toBe(true);
    const e = err as AppError;
    expect(e.code).toBe('WEBHOOK.URL_REFUSED');
    return String(e.details.reason);
  }
}

describe('isNonPublicAddress', () => {
  it.each([
    ['127.0.0.1', true], ['127.255.255.254', true], ['10.1.2.3', true], ['172.16.0.1', true], ['172.31.255.255', true],
    ['172.32.0.1', false], ['172.15.255.255', false], ['192.168.0.1', true], ['169.254.169.254', true],
    ['100.64.0.1', true], ['100.127.255.255', true], ['100.128.0.1', false], ['0.0.0.0', true], ['0.1.2.3', true],
    ['224.0.0.1', true], ['239.255.255.250', true], ['255.255.255.255', true], ['198.18.0.1', true],
    ['8.8.8.8', false], ['93.184.216.34', false], ['1.1.1.1', false],
    ['::1', true], ['::', true], ['fc00::1', true], ['fd12:3456::1', true], ['fe80::1', true], ['fe80::1%eth0', true],
    ['febf::1', true], ['ff02::1', true], ['2606:4700:4700::1111', false], ['2001:4860:4860::8888', false],
    ['::ffff:127.0.0.1', true], ['::ffff:7f00:1', true], ['::ffff:10.0.0.1', true], ['::ffff:169.254.169.254', true],
    ['::ffff:8.8.8.8', false], ['0:0:0:0:0:ffff:c0a8:0101', true], ['::127.0.0.1', true],
    ['64:ff9b::10.0.0.1', true], ['64:ff9b::8.8.8.8', false], ['2002:7f00:1::', true], ['2002:0808:0808::', false],
    ['not-an-ip', true],
  ])('%s -> %s', (address, blocked) => {
    expect(isNonPublicAddress(address)).toBe(blocked);
  });
});

describe('assertDeliverableUrl', () => {
  it.each([
    ['https://public.example/hook', null],
    ['http://public.example:8080/hook?x=1', null],
    ['https://8.8.8.8/hook', null],
    ['https://[2606:4700:4700::1111]/', null],
    ['ftp://public.example/', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['not a url', 'invalid'],
    ['https://user:pw@public.example/', 'credentials'],
    ['http://127.0.0.1:3000/', 'private'],
    ['http://localhost.rebind.example/', 'unresolvable'],
    ['http://rebind.example/', 'private'],
    ['http://mixed.example/', 'private'],
    ['http://metadata.example/latest/meta-data', 'private'],
    ['http://mapped.example/', 'private'],
    ['http://[::1]/', 'private'],
    ['http://[::ffff:127.0.0.1]/', 'private'],
    ['http://2130706433/', 'private'], // decimal 127.0.0.1
    ['http://0x7f.1/', 'private'], // hex/short form
    ['http://0/', 'private'],
    ['http://10.0.0.1/', 'private'],
    ['http://100.64.1.1/', 'private'],
    ['http://empty.example/', 'unresolvable'],
    ['http://nxdomain.example/', 'unresolvable'],
  ])('%s -> %s', async (url, expected) => {
    expect(await reason(url)).toBe(expected);
  });

  it('allowPrivate skips address checks but not scheme checks', async () => {
    expect(await reason('http://127.0.0.1:3000/', true)).toBeNull();
    expect(await reason('http://rebind.example/', true)).toBeNull();
    expect(await reason('ftp://127.0.0.1/', true)).toBe('scheme');
  });

  it('marks DNS failures retryable and returns the resolved addresses', async () => {
    await expect(assertDeliverableUrl('http://nxdomain.example/', { allowPrivate: false, lookup })).rejects.toMatchObject({
      retryable: true,
    });
    const ok = await assertDeliverableUrl('https://public.example/x', { allowPrivate: false, lookup });
    expect(ok.addresses).toEqual(fakeDns['public.example']);
    expect(ok.url.pathname).toBe('/x');
  });

  it('uses the system resolver for real names (localhost is refused)', async () => {
    expect(await assertDeliverableUrl('http://127.0.0.1/', { allowPrivate: true })).toMatchObject({ addresses: ['127.0.0.1'] });
    await expect(assertDeliverableUrl('http://localhost/', { allowPrivate: false })).rejects.toMatchObject({
      code: 'WEBHOOK.URL_REFUSED',
    });
  });
});
