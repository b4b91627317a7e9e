/** A bytesN geohash (ASCII, zero-padded on the right) as text. */
export function bytesText(hex: `0x${string}`): string {
  let out = '';
  for (let i = 2; i + 1 < hex.length; i += 2) {
    const c = parseInt(hex.slice(i, i + 2), 16);
    if (c === 0) break;
    out += String.fromCharCode(c);
  }
  return out;
}
