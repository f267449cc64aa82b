import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../../src/core/webhooks/httpPost.js';
import { checkAddress, checkOutboundUrl, OutboundRefusedError } from '../../src/core/webhooks/ssrf.js';
import { type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';

describe('SSRF guard: addresses', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['10.255.1.2', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['64:ff9b::a00:1', 'private'], // NAT64 form of 10.0.0.1
  ])('refuses %s (%s)', (address, range) => {
    expect(checkAddress(address)).toEqual({ allowed: false, range });
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34'])(
    'allows the public address %s',
    (address) => {
      expect(checkAddress(address).allowed).toBe(true);
    },
  );

  it('refuses what is not an IP address at all', () => {
    expect(checkAddress('not-an-ip')).toEqual({ allowed: false, range: 'invalid' });
  });
});

describe('SSRF guard: URLs (no connection is made)', () => {
  const noDns = async (): Promise<string[]> => {
    throw new Error('the resolver must not be called for an IP literal');
  };

  it('allows a public literal without resolving or connecting', async () => {
    const r = await checkOutboundUrl('https://93.184.216.34/hooks', { resolve: noDns });
    expect(r.addresses).toEqual(['93.184.216.34']);
  });

  it.each([
    'http://127.0.0.1:9/x',
    'http://[::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://169.254.169.254/latest/meta-data/',
    'http://2130706433/', // 127.0.0.1 written as a number
    'http://0x7f.1/',
    'http://[fe80::1]/',
    'http://10.0.0.5/',
  ])('refuses %s', async (url) => {
    await expect(checkOutboundUrl(url, { resolve: noDns })).rejects.toBeInstanceOf(OutboundRefusedError);
  });

  it('refuses a hostname when any address it resolves to is private', async () => {
    const resolve = async () => ['93.184.216.34', '10.0.0.7'];
    await expect(checkOutboundUrl('https://hooks.example.test/x', { resolve })).rejects.toThrow(
      /non-public address \(private\)/,
    );
    const ok = await checkOutboundUrl('https://hooks.example.test/x', {
      resolve: async () => ['93.184.216.34'],
    });
    expect(ok.url.hostname).toBe('hooks.example.test');
  });

  it('refuses schemes other than http and https, even with private addresses allowed', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://93.184.216.34/', 'gopher://93.184.216.34/']) {
      await expect(checkOutboundUrl(url, { allowPrivate: true, resolve: noDns })).rejects.toBeInstanceOf(
        OutboundRefusedError,
      );
    }
  });

  it('lets private addresses through when allowPrivate is set', async () => {
    const r = await checkOutboundUrl('http://127.0.0.1:1/', { allowPrivate: true, resolve: noDns });
    expect(r.addresses).toEqual(['127.0.0.1']);
  });
});

describe('postJson (the callback HTTP client)', () => {
  let stub: StubServer;
  beforeAll(async () => {
    stub = await startStubServer((_req, res) => sendJson(res, 200, { ok: true }));
  });
  afterAll(async () => {
    await stub?.close();
  });

  it('does not connect to a loopback literal unless allowed', async () => {
    stub.reset();
    await expect(
      postJson(`${stub.url}/hook`, '{}', {}, { timeoutMs: 2000, allowPrivate: false }),
    ).rejects.toBeInstanceOf(OutboundRefusedError);
    expect(stub.count()).toBe(0);
    const ok = await postJson(
      `${stub.url}/hook`,
      '{"a":1}',
      { 'x-test': '1' },
      { timeoutMs: 2000, allowPrivate: true },
    );
    expect(ok.status).toBe(200);
    expect(stub.requests[0]?.json()).toEqual({ a: 1 });
    expect(stub.requests[0]?.headers['x-test']).toBe('1');
  });

  it('refuses a hostname that resolves to loopback at connect time (the checked address is the one used)', async () => {
    stub.reset();
    await expect(
      postJson(`http://localhost:${stub.port}/hook`, '{}', {}, { timeoutMs: 2000, allowPrivate: false }),
    ).rejects.toBeInstanceOf(OutboundRefusedError);
    expect(stub.count()).toBe(0);
  });

  it('connects through the checked lookup when private addresses are allowed', async () => {
    stub.reset();
    const r = await postJson(
      `http://localhost:${stub.port}/hook`,
      '{}',
      {},
      { timeoutMs: 2000, allowPrivate: true },
    );
    expect(r.status).toBe(200);
    expect(stub.count()).toBe(1);
  });

  it('does not follow redirects', async () => {
    stub.reset();
    stub.handle((req, res) => {
      if (req.path === '/start') {
        res.writeHead(302, { location: `${stub.url}/elsewhere` });
        res.end();
        return;
      }
      sendJson(res, 200, {});
    });
    const r = await postJson(`${stub.url}/start`, '{}', {}, { timeoutMs: 2000, allowPrivate: true });
    expect(r.status).toBe(302);
    expect(stub.requests.map((x) => x.path)).toEqual(['/start']);
  });

  it('gives up after the timeout', async () => {
    stub.handle(() => new Promise(() => {})); // never answers
    await expect(
      postJson(`${stub.url}/slow`, '{}', {}, { timeoutMs: 200, allowPrivate: true }),
    ).rejects.toThrow(/No answer within 200 ms/);
  });
});
