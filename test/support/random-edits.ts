/** For random-edit tests: every leaf of plain data, as [holder, key], so a test can change one in place. */
export function collectLeaves(node: any, out: Array<[any, string | number]> = []): Array<[any, string | number]> {
  if (Array.isArray(node)) node.forEach((v, i) => (v !== null && typeof v === 'object' ? collectLeaves(v, out) : out.push([node, i])));
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) v !== null && typeof v === 'object' ? collectLeaves(v, out) : out.push([node, k]);
  return out;
}

/** A seeded generator in [0, 1), so a failing random-edit run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
