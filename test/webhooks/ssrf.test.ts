import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackService } from '../../src/core/webhooks/callbackService.js';
import { postJson } from '../../src/core/webhooks/httpPost.js';
import {
  checkAddress,
  checkOutboundUrl,
  decodeRfc6052,
  OUTBOUND_REFUSED_MESSAGE,
  OutboundRefusedError,
} from '../../src/core/webhooks/ssrf.js';
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
    ['64:ff9b::7f00:1', 'loopback'],
    // IPv4-compatible IPv6 (deprecated ::/96): refused whatever it carries.
    ['::7f00:1', 'ipv4Compatible'], // ::127.0.0.1
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::a00:1', 'ipv4Compatible'],
    ['::a9fe:a9fe', 'ipv4Compatible'], // ::169.254.169.254
    ['::5db8:d822', 'ipv4Compatible'], // ::93.184.216.34
    ['::2', 'ipv4Compatible'],
    ['::8.8.8.8', 'ipv4Compatible'], // ipaddr.js alone would read this as ::ffff:8.8.8.8
    // RFC 8215 local-use NAT64 prefix 64:ff9b:1::/48, decoded as a /48 (the u-octet is skipped).
    ['64:ff9b:1:7f00:0:100::', 'loopback'], // 127.0.0.1
    ['64:ff9b:1:a00:0:100::', 'private'], // 10.0.0.1
    ['64:ff9b:1:a9fe:a9:fe00::', 'linkLocal'], // 169.254.169.254
    // Not a valid /48 encoding (non-zero suffix; a /96 translator would reach 10.0.0.1).
    ['64:ff9b:1:5db8:d8:2200:a00:1', 'rfc6052'],
    ['64:ff9b:1:5db8:1d8:2200::', 'rfc6052'], // non-zero u-octet
  ])('refuses %s (%s)', (address, range) => {
    expect(checkAddress(address)).toEqual({ allowed: false, range });
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '2606:2800:220:1:248:1893:25c8:1946',
    '::ffff:93.184.216.34',
    '64:ff9b::5db8:d822', // NAT64 (well-known prefix) form of 93.184.216.34
    '64:ff9b:1:5db8:d8:2200::', // NAT64 local-use /48 form of 93.184.216.34
  ])('allows the public address %s', (address) => {
    expect(checkAddress(address).allowed).toBe(true);
  });

  it('refuses what is not an IP address at all', () => {
    expect(checkAddress('not-an-ip')).toEqual({ allowed: false, range: 'invalid' });
  });

  it('keeps the names of what ::/96 already refused', () => {
    expect(checkAddress('::')).toEqual({ allowed: false, range: 'unspecified' });
    expect(checkAddress('::1')).toEqual({ allowed: false, range: 'loopback' });
  });

  // RFC 6052 §2.4: 192.0.2.33 embedded under 2001:db8:…, one example per prefix length.
  it.each([
    [32, '2001:db8:c000:221::'],
    [40, '2001:db8:1c0:2:21::'],
    [48, '2001:db8:122:c000:2:2100::'],
    [56, '2001:db8:122:3c0:0:221::'],
    [64, '2001:db8:122:344:c0:2:2100::'],
    [96, '2001:db8:122:344::c000:221'],
  ] as const)('decodes the IPv4 address embedded at prefix length /%i', (length, address) => {
    const bytes = ipaddr.IPv6.parse(address).toByteArray();
    expect(decodeRfc6052(bytes, length)).toBe('192.0.2.33');
  });

  it('does not decode an address whose u-octet or suffix is not zero', () => {
    expect(decodeRfc6052(ipaddr.IPv6.parse('2001:db8:c000:221:100::').toByteArray(), 32)).toBeNull();
    expect(decodeRfc6052(ipaddr.IPv6.parse('2001:db8:c000:221::1').toByteArray(), 32)).toBeNull();
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
    const refusal = await checkOutboundUrl('https://hooks.example.test/x', { resolve }).catch((e) => e);
    expect(refusal).toBeInstanceOf(OutboundRefusedError);
    expect(refusal.reason).toMatch(/10\.0\.0\.7 \(private\)/); // for the server's debug log
    expect(refusal.message).toBe(OUTBOUND_REFUSED_MESSAGE);
    const ok = await checkOutboundUrl('https://hooks.example.test/x', {
      resolve: async () => ['93.184.216.34'],
    });
    expect(ok.url.hostname).toBe('hooks.example.test');
  });

  it('answers one generic message whatever the reason, so refusals do not map internal names', async () => {
    const cases: Array<[string, () => Promise<string[]>]> = [
      ['https://loop.example.test/', async () => ['127.0.0.1']],
      ['https://ten.example.test/', async () => ['10.1.2.3']],
      ['https://meta.example.test/', async () => ['169.254.169.254']],
      ['https://v6.example.test/', async () => ['fd00::1']],
      ['https://compat.example.test/', async () => ['::7f00:1']],
      ['https://nat64.example.test/', async () => ['64:ff9b:1:a00:0:100::']],
      ['https://none.example.test/', async () => []],
      [
        'https://fails.example.test/',
        async () => {
          throw new Error('ENOTFOUND');
        },
      ],
      ['ftp://93.184.216.34/', noDns],
      ['http://[::ffff:10.0.0.1]/', noDns],
    ];
    const messages = new Set<string>();
    const reasons = new Set<string>();
    for (const [url, resolve] of cases) {
      const e = await checkOutboundUrl(url, { resolve }).catch((x) => x);
      expect(e, url).toBeInstanceOf(OutboundRefusedError);
      messages.add(e.message);
      reasons.add(e.reason);
    }
    expect([...messages]).toEqual([OUTBOUND_REFUSED_MESSAGE]);
    expect(OUTBOUND_REFUSED_MESSAGE).not.toMatch(/loopback|private|link|local|resolve|ipv4|rfc/i);
    expect(reasons.size).toBe(cases.length); // the detail is still there for the debug log
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
    ).rejects.toThrow(OUTBOUND_REFUSED_MESSAGE);
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
    const e = await postJson(
      `http://localhost:${stub.port}/hook`,
      '{}',
      {},
      {
        timeoutMs: 2000,
        allowPrivate: false,
      },
    ).catch((x) => x);
    expect(e).toBeInstanceOf(OutboundRefusedError);
    expect(e.message).toBe(OUTBOUND_REFUSED_MESSAGE); // not "resolves to loopback"
    expect(e.reason).toMatch(/loopback/);
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

describe('a refused callback (what the delivery log and the logs say)', () => {
  it('records the generic message; the address class goes to the debug log only', async () => {
    const lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
    const recorded: Array<Record<string, unknown>> = [];
    const now = new Date();
    const task = {
      id: '11111111-1111-4111-8111-111111111111',
      userId: '22222222-2222-4222-8222-222222222222',
      title: 't',
      description: 'd',
      taskType: 'article',
      priority: 'normal',
      status: 'failed',
      source: 'api',
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      completedAt: null,
      contentId: null,
      error: 'x',
      webhookId: null,
      callbackUrl: 'http://[::7f00:1]:9/hook', // IPv4-compatible form of 127.0.0.1
    };
    const svc = new CallbackService(
      { get: async () => task, contentOf: async () => null } as never,
      {
        recordDelivery: async (r: Record<string, unknown>) => {
          recorded.push(r);
          return r;
        },
      } as never,
      {} as never,
      {
        error: (message, meta) => lines.push({ level: 'error', message, meta }),
        warn: (message, meta) => lines.push({ level: 'warn', message, meta }),
        info: (message, meta) => lines.push({ level: 'info', message, meta }),
        debug: (message, meta) => lines.push({ level: 'debug', message, meta }),
      },
      {
        masterKey: Buffer.alloc(32),
        allowPrivate: false,
        timeoutMs: 2000,
        retryDelaySeconds: 1,
        maxDelaySeconds: 1,
        maxAttempts: 3,
      },
    );
    const out = await svc.attempt({ taskId: task.id, event: 'task.failed' });
    expect(out.status).toBe('refused');
    expect(recorded).toEqual([
      expect.objectContaining({ status: 'refused', error: OUTBOUND_REFUSED_MESSAGE }),
    ]);
    const visible = lines.filter((l) => l.level !== 'debug');
    expect(JSON.stringify(visible)).not.toMatch(/ipv4Compatible|loopback|7f00/);
    expect(lines.find((l) => l.level === 'debug')?.meta?.reason).toMatch(/::7f00:1.*ipv4Compatible/);
  });
});
