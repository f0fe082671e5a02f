/**
 * The built library (dist/, rebuilt by the global setup before every run), for tests whose point is
 * how this process and child processes behave together: both sides then run the same build. Typed
 * as the source module it is built from.
 */
export function importBuilt<Module>(pathInDist: string): Promise<Module> {
  return import(new URL(`../../dist/${pathInDist}`, import.meta.url).href) as Promise<Module>;
}
