import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Server-side request forgery guard for outbound callbacks. A URL is allowed only when it is
 * http(s) and every address its host resolves to is global unicast: private (10/8, 172.16/12,
 * 192.168/16), loopback, link-local (169.254/16 — cloud metadata —, fe80::/10), unique-local
 * (fc00::/7), multicast, unspecified, carrier-grade NAT, reserved/documentation ranges and
 * IPv4-mapped/translated IPv6 forms of those are refused. `allowPrivate` (OUTBOUND_ALLOW_PRIVATE)
 * turns the address check off (for self-hosted setups and tests), never the scheme check.
 *
 * DNS rebinding: `guardedLookup` is handed to the HTTP client as its `lookup`, so the address that
 * was checked is the address the socket connects to (no second resolution).
 */
export class OutboundRefusedError extends Error {
  readonly code = 'ERR_OUTBOUND_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

export type AddressVerdict = { allowed: true; range: string } | { allowed: false; range: string };

/** Classifies one IP literal. Anything that is not plain global unicast is refused. */
export function checkAddress(address: string): AddressVerdict {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
  } catch {
    return { allowed: false, range: 'invalid' };
  }
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    const r = v6.range();
    // IPv4 embedded in IPv6 (mapped ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96)
    // is judged by the IPv4 address it carries.
    if (r === 'ipv4Mapped') return checkAddress(v6.toIPv4Address().toString());
    if (r === 'rfc6145' || r === 'rfc6052') {
      const b = v6.toByteArray();
      return checkAddress(b.slice(12).join('.'));
    }
    return { allowed: r === 'unicast', range: r };
  }
  const r = (ip as ipaddr.IPv4).range();
  return { allowed: r === 'unicast', range: r };
}

export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''));
}

/** Parses and checks a URL's scheme; throws OutboundRefusedError. */
export function parseOutboundUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('The callback URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundRefusedError(
      `The callback URL scheme ${url.protocol} is not allowed (use http or https)`,
    );
  if (!url.hostname) throw new OutboundRefusedError('The callback URL has no host');
  return url;
}

type Resolver = (hostname: string) => Promise<string[]>;
const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Checks a URL without connecting: the scheme, then the literal address or every address the host
 * resolves to. Returns the addresses that were checked.
 */
export async function checkOutboundUrl(
  raw: string,
  opts: { allowPrivate?: boolean; resolve?: Resolver } = {},
): Promise<{ url: URL; addresses: string[] }> {
  const url = parseOutboundUrl(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIpLiteral(host)
    ? [host]
    : await (opts.resolve ?? systemResolver)(host).catch(() => {
        throw new OutboundRefusedError(`The callback host ${host} does not resolve`);
      });
  if (!addresses.length) throw new OutboundRefusedError(`The callback host ${host} does not resolve`);
  if (!opts.allowPrivate) {
    for (const a of addresses) {
      const v = checkAddress(a);
      if (!v.allowed)
        throw new OutboundRefusedError(
          `The callback host ${host} resolves to a non-public address (${v.range}); set OUTBOUND_ALLOW_PRIVATE to allow it`,
        );
    }
  }
  return { url, addresses };
}

/**
 * A `lookup` for http(s).request / net.connect that refuses hosts resolving to non-public
 * addresses and connects to exactly the addresses it checked.
 */
export function guardedLookup(opts: { allowPrivate?: boolean } = {}): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (!list.length)
        return callback(new OutboundRefusedError(`The callback host ${hostname} does not resolve`), '', 0);
      if (!opts.allowPrivate) {
        for (const a of list) {
          const v = checkAddress(a.address);
          if (!v.allowed) {
            return callback(
              new OutboundRefusedError(
                `The callback host ${hostname} resolves to a non-public address (${v.range}); set OUTBOUND_ALLOW_PRIVATE to allow it`,
              ),
              '',
              0,
            );
          }
        }
      }
      if (options.all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
