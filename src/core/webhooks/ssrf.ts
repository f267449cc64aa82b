import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Server-side request forgery guard for outbound callbacks. A URL is allowed only when it is
 * http(s) and every address its host resolves to is global unicast: private (10/8, 172.16/12,
 * 192.168/16), loopback, link-local (169.254/16 — cloud metadata —, fe80::/10), unique-local
 * (fc00::/7), multicast, unspecified, carrier-grade NAT, reserved/documentation ranges and
 * IPv4-mapped/translated/NAT64 IPv6 forms of those are refused, as is the whole deprecated
 * IPv4-compatible block ::/96. Every refusal carries the same message (OUTBOUND_REFUSED_MESSAGE).
 * `allowPrivate` (OUTBOUND_ALLOW_PRIVATE) turns the address check off (for self-hosted setups and
 * tests), never the scheme check.
 *
 * DNS rebinding: `guardedLookup` is handed to the HTTP client as its `lookup`, so the address that
 * was checked is the address the socket connects to (no second resolution).
 */
/**
 * The one message every refusal carries, whatever the reason: telling the caller *why* (does not
 * resolve, resolves to loopback, to a private range, …) would turn the guard into an oracle that maps
 * internal names to address classes. The detailed reason stays on `reason`, for server-side debug logs.
 */
export const OUTBOUND_REFUSED_MESSAGE =
  'The callback URL is refused (not http(s), or its host is not public)';

export class OutboundRefusedError extends Error {
  readonly code = 'ERR_OUTBOUND_REFUSED';
  /** Why it was refused — for debug logs only, never for the caller. */
  readonly reason: string;
  constructor(reason: string) {
    super(OUTBOUND_REFUSED_MESSAGE);
    this.name = 'OutboundRefusedError';
    this.reason = reason;
  }
}

export type AddressVerdict = { allowed: true; range: string } | { allowed: false; range: string };

/** RFC 6052 §2.2: the IPv4 address sits right after the prefix, skipping the u-octet (bits 64–71). */
const RFC6052_LENGTHS = [32, 40, 48, 56, 64, 96] as const;
export type Rfc6052PrefixLength = (typeof RFC6052_LENGTHS)[number];

/**
 * Decodes the IPv4 address embedded in an IPv4-embedded IPv6 address whose translation prefix is
 * `prefixLength` bits long (RFC 6052 §2.2). Returns null when the address is not a valid encoding at
 * that length: the u-octet (bits 64–71) must be zero, and so must the suffix after the IPv4 bits.
 */
export function decodeRfc6052(bytes: readonly number[], prefixLength: Rfc6052PrefixLength): string | null {
  if (bytes.length !== 16 || !RFC6052_LENGTHS.includes(prefixLength)) return null;
  if (prefixLength !== 96 && bytes[8] !== 0) return null; // the u-octet
  const start = prefixLength / 8;
  const positions: number[] = [];
  for (let i = start; positions.length < 4; i++) if (i !== 8) positions.push(i);
  const last = positions[3]!;
  for (let i = last + 1; i < 16; i++) if (bytes[i] !== 0) return null; // the suffix
  return positions.map((i) => bytes[i]).join('.');
}

/**
 * NAT64 prefixes whose translator may sit inside our network, with the prefix length their embedded
 * IPv4 is decoded at: the well-known prefix (RFC 6052, /96 only) and the local-use prefix (RFC 8215,
 * read as a /48 network-specific prefix; an address that is not a valid /48 encoding is refused).
 */
const NAT64_PREFIXES: ReadonlyArray<[ipaddr.IPv6, number, Rfc6052PrefixLength]> = [
  [ipaddr.IPv6.parse('64:ff9b::'), 96, 96],
  [ipaddr.IPv6.parse('64:ff9b:1::'), 48, 48],
];

/** `::/96`: the deprecated IPv4-compatible form (RFC 4291 §2.5.5.1), e.g. `::7f00:1` = `::127.0.0.1`. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parse('::');

/**
 * Rewrites an IPv6 literal's dotted IPv4 tail as two hex groups (`::127.0.0.1` → `::7f00:1`):
 * ipaddr.js reads `::a.b.c.d` as the IPv4-*mapped* `::ffff:a.b.c.d`, which is not the address the
 * socket would connect to.
 */
function hexTail(address: string): string {
  const m = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (!m) return address;
  const [a, b, c, d] = ipaddr.IPv4.parse(m[2]!).octets as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** Classifies one IP literal. Anything that is not plain global unicast is refused. */
export function checkAddress(address: string): AddressVerdict {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(hexTail(address.replace(/^\[|\]$/g, '')));
  } catch {
    return { allowed: false, range: 'invalid' };
  }
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    const r = v6.range();
    // IPv4 embedded in IPv6 (mapped ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64) is judged by
    // the IPv4 address it carries.
    if (r === 'ipv4Mapped') return checkAddress(v6.toIPv4Address().toString());
    const bytes = v6.toByteArray();
    if (r === 'rfc6145') return checkAddress(bytes.slice(12).join('.'));
    for (const [prefix, bits, length] of NAT64_PREFIXES) {
      if (!v6.match(prefix, bits)) continue;
      const v4 = decodeRfc6052(bytes, length);
      return v4 === null ? { allowed: false, range: 'rfc6052' } : checkAddress(v4);
    }
    if (r === 'rfc6052') return { allowed: false, range: r }; // a NAT64 form not decoded above
    // `::` and `::1` keep their own names; the rest of ::/96 is the IPv4-compatible form.
    if (r === 'unicast' && v6.match(IPV4_COMPATIBLE, 96)) return { allowed: false, range: 'ipv4Compatible' };
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
          `The callback host ${host} resolves to the non-public address ${a} (${v.range})`,
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
                `The callback host ${hostname} resolves to the non-public address ${a.address} (${v.range})`,
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
