// `#flock-binding` (package.json `imports`): dist/flock-binding/index.cjs, written by the build from
// scripts/flock-binding.cjs; it throws where no binary fits this platform and Node.
declare module '#flock-binding' {
  export function flockSync(fd: number, flags: 'exnb' | 'un'): number;
  export const binary: string;
}
