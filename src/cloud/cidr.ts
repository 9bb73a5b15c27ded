// IPv4 and CIDR arithmetic for vSwitch blocks. Addresses are handled as unsigned 32-bit numbers.

export interface Ipv4Cidr {
  /** The network address, canonical (host bits cleared). */
  network: string;
  prefixLength: number;
  /** First and last address of the block, as numbers. */
  first: number;
  last: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => OCTET.test(p));
}

export function parseIpv4(text: string): number {
  if (!isIpv4(text)) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function formatIpv4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not an IPv4 number: ${n}`);
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): Ipv4Cidr {
  const [address, length, ...rest] = text.split('/');
  const prefixLength = Number(length);
  if (address === undefined || rest.length > 0 || !/^\d{1,2}$/.test(length ?? '') || prefixLength > 32) {
    throw new RangeError(`not an IPv4 CIDR block: ${JSON.stringify(text)}`);
  }
  const size = 2 ** (32 - prefixLength);
  const first = Math.floor(parseIpv4(address) / size) * size;
  return { network: formatIpv4(first), prefixLength, first, last: first + size - 1 };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const block = parseCidr(cidr);
  const n = parseIpv4(ip);
  return n >= block.first && n <= block.last;
}

/**
 * The vSwitch gateway: the block's last address minus 2 (`.253` in a /24). ECS reserves the
 * first and the last three addresses of each vSwitch; Terway derives the gateway the same way.
 */
export function gatewayOf(cidr: string): string {
  const block = parseCidr(cidr);
  if (block.prefixLength > 30) throw new RangeError(`a /${block.prefixLength} has no gateway address: ${cidr}`);
  return formatIpv4(block.last - 2);
}
