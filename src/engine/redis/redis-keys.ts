/**
 * Every key of one project, under one prefix inside one hash tag (`{…}`): many projects share a
 * Redis, and all of a project's keys land in one Cluster slot, so the scripts may touch them together.
 */
export interface ProjectKeys {
  prefix: string;
  head: string;
  revs: string;
  ops: string;
  snapshot: string;
  lock: string;
  /** The pub/sub channel a release is announced on. */
  released: string;
}

export function projectKeys(project: string): ProjectKeys {
  const tag = `{paracle:${project.replace(/[{}\s]/g, '_')}}`;
  return {
    prefix: tag,
    head: `${tag}:head`,
    revs: `${tag}:revs`,
    ops: `${tag}:ops`,
    snapshot: `${tag}:snapshot`,
    lock: `${tag}:lock`,
    released: `${tag}:released`,
  };
}
