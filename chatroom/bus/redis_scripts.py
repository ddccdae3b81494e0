"""The Lua scripts of the Redis bus: presence that stays right when nodes die.

Each runs atomically in Redis, so a nick is held by one member across every
node, and a leave is announced once, by whoever removes the member.
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

# Shared by the presence scripts: remove a member owned by ``node`` and tell
# the room, so that a leave is published once, by whoever removes it.
_REMOVE_MEMBER = """
local function owner_of(value)
  return string.match(value, '^([^\\n]*)\\n')
end

local function nick_of(value)
  return string.match(value, '^[^\\n]*\\n(.*)$')
end

local function remove_member(prefix, room, key, node, announce, ts)
  local members = prefix .. 'room:' .. room .. ':members'
  local value = redis.call('HGET', members, key)
  if not value or owner_of(value) ~= node then
    return false
  end
  redis.call('HDEL', members, key)
  redis.call('SREM', prefix .. 'node:' .. node .. ':members', room .. '\\n' .. key)
  redis.call('HDEL', prefix .. 'node:' .. node .. ':done', 'j\\n' .. room .. '\\n' .. key)
  local users = redis.call('HLEN', members)
  if users == 0 then
    redis.call('ZREM', prefix .. 'online-names', room)
  end
  if announce then
    redis.call('PUBLISH', prefix .. 'room:' .. room .. ':events',
               'pleave\\n' .. users .. '\\n' .. ts .. '\\n' .. nick_of(value))
  end
  return true
end

local function node_alive(prefix, node)
  return redis.call('EXISTS', prefix .. 'node:' .. node) == 1
end

-- Take ``key`` for ``node`` unless a live node holds it; a dead node's member
-- leaves first. Returns 0 taken, 1 already ours, 2 claimed now.
local function claim(prefix, room, key, node, nick, ts)
  local members = prefix .. 'room:' .. room .. ':members'
  local value = redis.call('HGET', members, key)
  if value then
    local owner = owner_of(value)
    if owner == node then
      return 1
    end
    if node_alive(prefix, owner) then
      return 0
    end
    remove_member(prefix, room, key, owner, true, ts)
  end
  redis.call('HSET', members, key, node .. '\\n' .. nick)
  redis.call('SADD', prefix .. 'node:' .. node .. ':members', room .. '\\n' .. key)
  redis.call('ZADD', prefix .. 'online-names', 0, room)
  return 2
end
"""

# ARGV: prefix, room, key, node, nick, ts, ours_ok -> member values, or false
# when taken. With ours_ok a member this node already holds may be reused.
RESERVE_SCRIPT = (
    _REMOVE_MEMBER
    + """
local state = claim(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if state == 0 or (state == 1 and ARGV[7] ~= '1') then
  return false
end
if state == 1 then
  local members = ARGV[1] .. 'room:' .. ARGV[2] .. ':members'
  redis.call('HSET', members, ARGV[3], ARGV[4] .. '\\n' .. ARGV[5])
end
return redis.call('HVALS', ARGV[1] .. 'room:' .. ARGV[2] .. ':members')
"""
)

# ARGV: prefix, room, key, node, nick, ts -> 0 taken, 1 still ours, 2 claimed.
REASSERT_SCRIPT = _REMOVE_MEMBER + "return claim(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])"

# ARGV: prefix, room, key, node, announce (0/1), ts -> 1 when removed.
RELEASE_SCRIPT = (
    _REMOVE_MEMBER
    + """
if remove_member(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6]) then
  return 1
end
return 0
"""
)

# KEYS: members hash, this node's done hash. ARGV: channel, nick, ts, done
# field, token, done ttl (ms). A join whose token is recorded was announced.
JOIN_SCRIPT = """
local users = redis.call('HLEN', KEYS[1])
if redis.call('HGET', KEYS[2], ARGV[4]) == ARGV[5] then
  return users
end
redis.call('PUBLISH', ARGV[1], 'pjoin\\n' .. users .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[2])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return users
"""

# KEYS: health key. ARGV: token, ttl (ms), this node's own channel.
# -> how many subscribers heard it (0: Redis does not know our subscription).
HEALTH_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('PUBLISH', ARGV[3], 'h' .. ARGV[1])
"""

# ARGV: prefix, ts. Every node whose liveness key expired: its members leave.
REAP_SCRIPT = (
    _REMOVE_MEMBER
    + """
local reaped = 0
for _, node in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'nodes')) do
  if not node_alive(ARGV[1], node) then
    local index = ARGV[1] .. 'node:' .. node .. ':members'
    for _, entry in ipairs(redis.call('SMEMBERS', index)) do
      local room, key = string.match(entry, '^([^\\n]*)\\n(.*)$')
      if remove_member(ARGV[1], room, key, node, true, ARGV[2]) then
        reaped = reaped + 1
      end
    end
    redis.call('DEL', index, ARGV[1] .. 'node:' .. node .. ':done')
    redis.call('SREM', ARGV[1] .. 'nodes', node)
  end
end
return reaped
"""
)
