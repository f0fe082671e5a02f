import { parse } from 'yaml';

/**
 * Two YAML readers share the state file: `yaml` (YAML 1.2 core schema, ours) and PyYAML's `safe_load`
 * (YAML 1.1, the Python paracle tooling's). A plain scalar means what each reader's implicit types
 * make of it, and they disagree: `yes`, `off`, `1:30`, `0b101`, `1_000`, `2026-01-10` are strings
 * to us and a bool, an int or a date to PyYAML; `0o755` is an int to us and a string to it; a plain
 * `=` or `<<` makes PyYAML refuse the whole file. Everything the toolkit writes must mean the same to
 * both, so a string is written plain only when neither reader would take it for something else.
 */

/**
 * PyYAML's implicit resolvers (its `resolver.py`, YAML 1.1 as it implements it), anchored as it
 * matches them: the plain scalars it does NOT read as strings.
 */
const PYYAML_IMPLICIT: readonly RegExp[] = [
  // bool
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  // float: needs a dot; the exponent needs a sign; sexagesimal; .inf and .nan
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  // int: binary, C-style octal, decimal, hex, sexagesimal; underscores anywhere after the first digit
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  // merge key, null, timestamp, value key
  /^<<$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
  /^=$/,
];

/**
 * Characters PyYAML's scanner treats differently inside a plain scalar: a tab ends the scalar, and
 * NEL, LS and PS are line breaks to YAML 1.1 but ordinary characters to YAML 1.2.
 */
const PYYAML_PLAIN_BREAKERS = /[\t\u0085\u2028\u2029]/;

/** NEL, LS, PS: line breaks to YAML 1.1, so PyYAML folds them even inside quotes and block scalars. */
const YAML11_ONLY_BREAKS = /[\u0085\u2028\u2029]/;
const ESCAPES: Record<string, string> = { '\u0085': '\\N', '\u2028': '\\L', '\u2029': '\\P' };

/** True when `value` can only be written double-quoted, with those characters escaped (see `escapeYaml11Breaks`). */
export function needsEscapedBreaks(value: string): boolean {
  return YAML11_ONLY_BREAKS.test(value);
}

/** A double-quoted scalar's text with NEL, LS and PS written as the escapes both YAML versions define. */
export function escapeYaml11Breaks(doubleQuoted: string): string {
  return doubleQuoted.replace(/[\u0085\u2028\u2029]/g, (c) => ESCAPES[c] ?? c);
}

/** True when PyYAML reads the plain scalar `source` as a string (not a bool, number, null, date, merge or value key). */
export function pyYamlReadsPlainAsString(source: string): boolean {
  return !PYYAML_PLAIN_BREAKERS.test(source) && !PYYAML_IMPLICIT.some((pattern) => pattern.test(source));
}

/**
 * True when the plain scalar text `source` reads as the string `expected` in both readers. `yaml`
 * itself is asked (it also knows which texts are not a valid plain scalar at all).
 */
export function plainReadsAsStringInBoth(source: string, expected: string): boolean {
  if (!pyYamlReadsPlainAsString(source)) return false;
  try {
    return parse(source, { logLevel: 'error' }) === expected;
  } catch {
    return false;
  }
}

/**
 * True when either reader's implicit types would make the plain scalar `text` a bool, number, null,
 * date, merge or value key. (Texts that are no valid plain scalar at all are left to the
 * stringifier, which quotes them anyway.)
 */
export function plainResolvesAsNonString(text: string): boolean {
  if (!pyYamlReadsPlainAsString(text)) return true;
  try {
    const value: unknown = parse(text, { logLevel: 'error' });
    return value === null || typeof value === 'number' || typeof value === 'boolean';
  } catch {
    return false;
  }
}

/**
 * A number as a plain scalar both readers read as that number. JavaScript's own text fails PyYAML
 * in three ways: `1e+21` and `1e-7` (PyYAML's floats need a dot), `Infinity` and `NaN` (strings to
 * both), and `-0` (an int 0). Integers beyond 2^53 keep JavaScript's digits, which both read as the
 * same value.
 */
export function numberForBothReaders(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  const exponent = text.indexOf('e');
  if (exponent === -1) return text;
  const mantissa = text.slice(0, exponent);
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}${text.slice(exponent)}`;
}
