import { isIPv6 } from 'node:net';

/**
 * The key an address is counted under: IPv4 as it is (an IPv4-mapped IPv6 address becomes plain
 * IPv4), IPv6 reduced to its /64 prefix — one host usually holds a whole /64, so counting single
 * IPv6 addresses would let it escape the limit by changing the interface identifier.
 */
export function addressKey(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  if (!isIPv6(lower)) return lower;
  return `${expandIPv6(lower).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  const [head = '', tail] = bare.split('::', 2);
  const groups = (part: string): string[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [group];
      // An embedded IPv4 address (e.g. ::1.2.3.4) fills the last two groups.
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  };
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const zeros = new Array<string>(Math.max(0, 8 - first.length - last.length)).fill('0');
  return [...first, ...zeros, ...last].map((group) => Number.parseInt(group, 16).toString(16));
}
