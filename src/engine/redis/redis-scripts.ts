/**
 * The Lua scripts that make each multi-key change atomic on Redis, in one round trip. Every key a
 * script touches is passed in KEYS and shares the project's hash tag, so they also run on Cluster.
 */

/**
 * Commit a revision only if the head is still the one the writer caught up to: the revision is the
 * fencing token. An operation id already applied answers `done` (a retry after a lost reply). The
 * writer's shared lock, if still its own, is released in the same round trip and the waiters woken.
 * KEYS: head, revs, ops, lock. ARGV: expected rev, expected sha, new rev, new sha, stored entry, op id,
 * the lock's value (empty: none held), the release channel.
 */
export const COMMIT = `
local function release()
  if ARGV[7] ~= '' and redis.call('GET', KEYS[4]) == ARGV[7] then
    redis.call('DEL', KEYS[4])
    redis.call('PUBLISH', ARGV[8], 'released')
    return 'released'
  end
  return 'kept'
end
local done = redis.call('HGET', KEYS[3], ARGV[6])
if done then return {'done', release()} end
local head = redis.call('HMGET', KEYS[1], 'rev', 'sha')
if not head[1] then return {'missing'} end
if head[1] ~= ARGV[1] or head[2] ~= ARGV[2] or tonumber(ARGV[3]) <= tonumber(head[1]) then
  return {'moved', head[1], head[2]}
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
redis.call('HSET', KEYS[1], 'rev', ARGV[3], 'sha', ARGV[4])
redis.call('HSET', KEYS[3], ARGV[6], ARGV[3])
return {'ok', release()}
`;

/** Take the lock and read the head in one round trip. KEYS: lock, head. ARGV: value, ttl ms. Nil: not taken. */
export const ACQUIRE = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local head = redis.call('HMGET', KEYS[2], 'rev', 'sha')
return {head[1] or '', head[2] or ''}
`;

/**
 * The head and the revisions from ARGV[1] up to it, read at one instant (a commit between two reads
 * would hand back revisions past the head that was read). KEYS: head, revs.
 */
export const READ = `
local head = redis.call('HMGET', KEYS[1], 'rev', 'sha')
if not head[1] then return {} end
local revs = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], head[1])
table.insert(revs, 1, head[2])
table.insert(revs, 1, head[1])
return revs
`;

/** Make a text the head, dropping what was stored. KEYS: head, revs, ops, snapshot. ARGV: rev, sha, snapshot. */
export const SEED = `
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SET', KEYS[4], ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'sha', ARGV[2])
return 'ok'
`;

/**
 * Replace the snapshot by a later one and drop the revisions it covers, unless the head went below it.
 * KEYS: head, revs, ops, snapshot. ARGV: snapshot rev, snapshot, op ids of the dropped revisions...
 */
export const COMPACT = `
local head = tonumber(redis.call('HGET', KEYS[1], 'rev'))
if not head or head < tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[4], ARGV[2])
local dropped = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for i = 3, #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]) end
return dropped
`;

/** Extend the lock only while it is still ours. KEYS: lock. ARGV: our value, ttl ms. */
export const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Delete the lock only while it is still ours, and wake the waiters. KEYS: lock. ARGV: our value, channel. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
end
return 0
`;
