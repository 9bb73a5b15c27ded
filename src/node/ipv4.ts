// Small IPv4 arithmetic for the planner: parsing, CIDR containment, network addresses.

export interface Cidr {
  network: string;
  prefixLength: number;
}

export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefixLength);
}

/** `192.168.1.7/24` → { network: '192.168.1.0', prefixLength: 24 }; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip = '', length = ''] = text.split('/');
  const address = ipv4ToNumber(ip);
  const prefixLength = Number(length);
  if (address === undefined || !/^\d{1,2}$/.test(length) || prefixLength > 32) return undefined;
  const network = Number(BigInt(address) & BigInt(maskOf(prefixLength)));
  return { network: numberToIpv4(network), prefixLength };
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.network}/${cidr.prefixLength}`;
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  return parseCidr(`${ip}/${cidr.prefixLength}`)?.network === cidr.network;
}
