/**
 * Numbers printed the way Go prints them, so generated rules read exactly like Sloth's:
 * - goG: `%g`/`%v` of a float64 (strconv 'g', shortest): the shortest round-trip digits (the same as
 *   JavaScript's), in exponent form when the decimal exponent is < -4 or >= 6 (`1e-05`, `1e+06`,
 *   exponent with a sign and at least two digits). JavaScript switches only below 1e-6 and at 1e21.
 * - goF: strconv 'f' with precision -1: shortest digits, never in exponent form.
 */

/** Mantissa digits (no dot) and decimal exponent of the first digit, shortest round-trip. */
function shortest(x: number): { digits: string; exp: number } {
  const [mant, e] = Math.abs(x).toExponential().split('e') as [string, string];
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

/** Plain decimal from digits and exponent. */
function plain(neg: boolean, digits: string, exp: number): string {
  let out: string;
  if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) out = digits + '0'.repeat(exp + 1 - digits.length);
  else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return neg ? `-${out}` : out;
}

/** Go's `%g` / `%v` of a float64. */
export function goG(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { digits, exp } = shortest(x);
  const neg = x < 0;
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    return `${neg ? '-' : ''}${mant}e${e}`;
  }
  return plain(neg, digits, exp);
}

/** Go's `strconv.FormatFloat(x, 'f', -1, 64)`. */
export function goF(x: number): string {
  if (!Number.isFinite(x)) return goG(x);
  if (x === 0) return '0';
  const { digits, exp } = shortest(x);
  return plain(x < 0, digits, exp);
}
