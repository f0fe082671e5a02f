/**
 * The state as plain data: mappings are plain objects, and keys such as `__proto__` are data in a
 * state file, so they are always set as own properties, never through the prototype setter.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function defineData(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

export function copyMapping(node: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(node)) defineData(copy, key, node[key]);
  return copy;
}

/** The value at `path` through own properties of mappings; undefined where there is none. */
export function getAt(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const key of path) {
    if (!isRecord(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}
