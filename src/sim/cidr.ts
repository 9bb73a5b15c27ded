// IPv4 arithmetic and address allocation inside a vSwitch CIDR. ECS reserves the first address and
// the last three of every vSwitch (in 192.168.1.0/24: .0, .253, .254, .255); the gateway is the
// third-from-last (.253). Pure: the simulator keeps one IpPool per vSwitch.

export interface Cidr {
  network: number;
  prefixLength: number;
  /** Number of addresses in the block, reserved ones included. */
  size: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function parseCidr(text: string): Cidr | undefined {
  const [address, prefix, ...rest] = text.split('/');
  if (address === undefined || prefix === undefined || rest.length > 0 || !/^\d{1,2}$/.test(prefix)) return undefined;
  const prefixLength = Number(prefix);
  const value = parseIpv4(address);
  if (value === undefined || prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  if (value % size !== 0) return undefined; // host bits set: not a network address
  return { network: value, prefixLength, size };
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.network >= outer.network && inner.network + inner.size <= outer.network + outer.size;
}

/** First and last address that ECS may hand out. Empty (first > last) for blocks of 4 or fewer. */
export function usableRange(cidr: Cidr): { first: number; last: number } {
  return { first: cidr.network + 1, last: cidr.network + cidr.size - 4 };
}

export function usableCount(cidr: Cidr): number {
  return Math.max(0, cidr.size - 4);
}

export function gatewayOf(cidr: Cidr): string {
  return formatIpv4(cidr.network + cidr.size - 3);
}

/**
 * The addresses of one vSwitch. Allocation walks forward from the last address handed out, so that
 * a just-released address is not reused at once (as on ECS, where a freed address may still sit in
 * some peer's ARP cache).
 */
export class IpPool {
  readonly cidr: Cidr;
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(cidr: Cidr) {
    this.cidr = cidr;
    this.cursor = usableRange(cidr).first;
  }

  available(): number {
    return usableCount(this.cidr) - this.used.size;
  }

  isUsable(ip: string): boolean {
    const value = parseIpv4(ip);
    if (value === undefined) return false;
    const { first, last } = usableRange(this.cidr);
    return value >= first && value <= last;
  }

  isUsed(ip: string): boolean {
    const value = parseIpv4(ip);
    return value !== undefined && this.used.has(value);
  }

  /** Takes a given address; false when it is reserved, outside the block or taken. */
  claim(ip: string): boolean {
    const value = parseIpv4(ip);
    if (value === undefined || !this.isUsable(ip) || this.used.has(value)) return false;
    this.used.add(value);
    return true;
  }

  /** The next free address, or undefined when the block is full. */
  allocate(): string | undefined {
    const { first, last } = usableRange(this.cidr);
    const span = last - first + 1;
    for (let step = 0; step < span; step++) {
      const candidate = first + ((this.cursor - first + step) % span);
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        this.cursor = candidate + 1 > last ? first : candidate + 1;
        return formatIpv4(candidate);
      }
    }
    return undefined;
  }

  /** Takes `count` addresses, all or none. */
  allocateMany(count: number): string[] | undefined {
    if (count > this.available()) return undefined;
    const taken: string[] = [];
    for (let i = 0; i < count; i++) taken.push(this.allocate() as string);
    return taken;
  }

  release(ip: string): void {
    const value = parseIpv4(ip);
    if (value !== undefined) this.used.delete(value);
  }
}
