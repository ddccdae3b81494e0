"""The Lua scripts of the Redis bus: presence that stays right when nodes die.

Each runs atomically in Redis, so a nick is held by one member across every
node (held from one node or several, by one owner), and a join and a leave
are announced once each.
"""

# KEYS: room-claims hash. ARGV: look-alike key, room. -> the room holding the key
CLAIM_ROOM_SCRIPT = """
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])
"""

# KEYS: room-claims hash, room members hash. ARGV: look-alike key, room.
# A room without members lets go of its name (one with history keeps it in the store).
DROP_ROOM_CLAIM_SCRIPT = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] and redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# Shared by the presence scripts. A member is ``room:R:members``'s field (its
# nick key -> ``<owner>\n<nick>``) and the hash ``room:R:holds\n<key>``: a
# field ``n:<node>`` for each node holding it, ``joined`` once its join was
# published, ``told`` once a release asked for its leave to be. A member is
# removed, and its leave published, once, by whoever drops its last hold.
_MEMBERS = """
local function owner_of(value)
  return string.match(value, '^([^\\n]*)\\n')
end

local function nick_of(value)
  return string.match(value, '^[^\\n]*\\n(.*)$')
end

-- The nick line of a presence frame: ``<nick>``, or ``<nick>\\ng`` for a guest.
local function marked_nick(value)
  if string.sub(value, 1, 2) == 'c:' then
    return nick_of(value) .. '\\ng'
  end
  return nick_of(value)
end

local function members_key(prefix, room)
  return prefix .. 'room:' .. room .. ':members'
end

local function holds_key(prefix, room, key)
  return prefix .. 'room:' .. room .. ':holds\\n' .. key
end

local function node_alive(prefix, node)
  return redis.call('EXISTS', prefix .. 'node:' .. node) == 1
end

local function holders(holds)
  local nodes = {}
  for _, field in ipairs(redis.call('HKEYS', holds)) do
    local node = string.match(field, '^n:(.*)$')
    if node then
      table.insert(nodes, node)
    end
  end
  return nodes
end

local function unindex(prefix, node, room, key)
  redis.call('SREM', prefix .. 'node:' .. node .. ':members', room .. '\\n' .. key)
end

local function remove_member(prefix, room, key, announce, ts)
  local members = members_key(prefix, room)
  local holds = holds_key(prefix, room, key)
  local value = redis.call('HGET', members, key)
  announce = announce or redis.call('HEXISTS', holds, 'told') == 1
  for _, node in ipairs(holders(holds)) do
    unindex(prefix, node, room, key)
  end
  redis.call('DEL', holds)
  redis.call('HDEL', members, key)
  local users = redis.call('HLEN', members)
  if users == 0 then
    redis.call('ZREM', prefix .. 'online-names', room)
  end
  if announce and value then
    redis.call('PUBLISH', prefix .. 'room:' .. room .. ':events',
               'pleave\\n' .. users .. '\\n' .. ts .. '\\n' .. marked_nick(value))
  end
end

-- Let go of ``node``'s hold (of ``owner``'s member, unless owner is false):
-- the member leaves with its last hold. Returns true when it left.
local function drop_hold(prefix, room, key, owner, node, announce, ts)
  local holds = holds_key(prefix, room, key)
  local value = redis.call('HGET', members_key(prefix, room), key)
  if not value then
    -- What is left of a member Redis forgot.
    redis.call('DEL', holds)
    unindex(prefix, node, room, key)
    return false
  end
  if (owner and owner_of(value) ~= owner) or redis.call('HDEL', holds, 'n:' .. node) == 0 then
    return false
  end
  unindex(prefix, node, room, key)
  if #holders(holds) > 0 then
    if announce then
      redis.call('HSET', holds, 'told', '1')
    end
    return false
  end
  remove_member(prefix, room, key, announce, ts)
  return true
end

-- Hold ``key`` on ``node`` for ``owner`` unless another owner's member is held
-- by a live node; a member only dead nodes hold leaves first.
-- Returns 0 taken, 1 held already by the owner (now by this node too), 2 claimed now.
local function claim(prefix, room, key, owner, node, nick, ts)
  local members = members_key(prefix, room)
  local holds = holds_key(prefix, room, key)
  local value = redis.call('HGET', members, key)
  if value and owner_of(value) ~= owner then
    for _, other in ipairs(holders(holds)) do
      if node_alive(prefix, other) then
        return 0
      end
    end
    remove_member(prefix, room, key, true, ts)
    value = nil
  end
  local state = 1
  if not value then
    redis.call('DEL', holds)
    redis.call('HSET', members, key, owner .. '\\n' .. nick)
    redis.call('ZADD', prefix .. 'online-names', 0, room)
    state = 2
  end
  redis.call('HSET', holds, 'n:' .. node, '1')
  redis.call('SADD', prefix .. 'node:' .. node .. ':members', room .. '\\n' .. key)
  return state
end
"""

# ARGV: prefix, room, key, owner, node, nick, ts -> member values, or false when taken.
RESERVE_SCRIPT = (
    _MEMBERS
    + """
if claim(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]) == 0 then
  return false
end
return redis.call('HVALS', members_key(ARGV[1], ARGV[2]))
"""
)

# ARGV: prefix, room, key, owner, node, nick, ts -> 0 taken, 1 still held, 2 claimed.
REASSERT_SCRIPT = _MEMBERS + "return claim(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])"

# ARGV: prefix, room, key, owner, node, announce (0/1), ts -> 1 when the member left.
RELEASE_SCRIPT = (
    _MEMBERS
    + """
if drop_hold(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1', ARGV[7]) then
  return 1
end
return 0
"""
)

# KEYS: members hash, the member's holds hash. ARGV: channel, nick key, ts.
# -> 1 when published now; 0 when it was already (by another hold, or a try
# whose reply was lost), or the nick is not held.
JOIN_SCRIPT = """
local value = redis.call('HGET', KEYS[1], ARGV[2])
if not value or redis.call('HSETNX', KEYS[2], 'joined', '1') == 0 then
  return 0
end
local nick = string.match(value, '^[^\\n]*\\n(.*)$')
if string.sub(value, 1, 2) == 'c:' then
  nick = nick .. '\\ng'
end
local users = redis.call('HLEN', KEYS[1])
redis.call('PUBLISH', ARGV[1], 'pjoin\\n' .. users .. '\\n' .. ARGV[3] .. '\\n' .. nick)
return 1
"""

# KEYS: health key. ARGV: token, ttl (ms), this node's own channel.
# -> how many subscribers heard it (0: Redis does not know our subscription).
HEALTH_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('PUBLISH', ARGV[3], 'h' .. ARGV[1])
"""

# ARGV: prefix, ts. Every node whose liveness key expired lets go of its holds.
REAP_SCRIPT = (
    _MEMBERS
    + """
local reaped = 0
for _, node in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'nodes')) do
  if not node_alive(ARGV[1], node) then
    local index = ARGV[1] .. 'node:' .. node .. ':members'
    for _, entry in ipairs(redis.call('SMEMBERS', index)) do
      local room, key = string.match(entry, '^([^\\n]*)\\n(.*)$')
      if drop_hold(ARGV[1], room, key, false, node, true, ARGV[2]) then
        reaped = reaped + 1
      end
    end
    redis.call('DEL', index)
    redis.call('SREM', ARGV[1] .. 'nodes', node)
  end
end
return reaped
"""
)


# KEYS: a key's failures (a sorted set: Redis's own clock in ms -> a unique member).
# ARGV: limit, window in ms, 1 to count a failure now / 0 to ask. -> ms until it may try again.
# Redis's clock is every node's: their own clocks may disagree.
FAILURES_SCRIPT = """
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000 + math.floor(tonumber(now_s[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, now_s[1] .. '.' .. now_s[2] .. '.' .. redis.call('ZCARD', KEYS[1]))
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -limit - 1)
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
if redis.call('ZCARD', KEYS[1]) < limit then
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(0, tonumber(oldest[2]) + window - now)
"""

# An allowance of ARGV[2] a minute, one every ARGV[1] ms, in bursts of ARGV[2] (a token bucket kept as
# the time it would be full again were one more spent: GCRA). KEYS[1] holds that time, in ms on Redis's
# clock, and goes once the bucket is full. Returns 0 when spent, else the ms until one is there.
SPEND_SCRIPT = """
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000 + math.floor(tonumber(now_s[2]) / 1000)
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local full_at = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + interval
local free_at = full_at - burst * interval
if free_at > now then
  return free_at - now
end
redis.call('SET', KEYS[1], string.format('%d', full_at), 'PX', string.format('%d', full_at - now))
return 0
"""
