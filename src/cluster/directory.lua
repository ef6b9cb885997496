-- The cluster directory's every change, as one script so each runs
-- atomically on the Redis server: ARGV[1] is the key prefix, ARGV[2] the
-- operation, the rest its arguments. Time is Redis's own (TIME), so the
-- nodes' clocks never disagree about a reservation. Keys (P = the prefix):
--   P:nodes               set of node ids
--   P:node:ID             hash url rooms players capacity draining; expires (TTL)
--   P:node:ID:rooms       set of the codes of the node's rooms
--   P:room:CODE           hash node game max players private invite chat created
--   P:resv:CODE           zset player -> reservation end (ms)
--   P:open:GAME           zset code -> players, public rooms below their seats
--   P:chat:GAME:CHAT      string: the code of the chat's room
--   P:held:PLAYER         string: the code of a seat held after a dropped connection; expires

local p, op = ARGV[1], ARGV[2]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function alive(node)
  return redis.call('EXISTS', p .. ':node:' .. node) == 1
end

local function draining(node)
  return redis.call('HGET', p .. ':node:' .. node, 'draining') == '1'
end

local function url_of(node)
  return redis.call('HGET', p .. ':node:' .. node, 'url') or ''
end

-- Seats taken or reserved in a room, after dropping ended reservations.
local function taken(code, players, now)
  local resv = p .. ':resv:' .. code
  redis.call('ZREMRANGEBYSCORE', resv, '-inf', now)
  return tonumber(players or '0') + redis.call('ZCARD', resv)
end

local function reserve(code, player, now, window)
  local resv = p .. ':resv:' .. code
  redis.call('ZADD', resv, now + window, player)
  redis.call('PEXPIRE', resv, window * 2)
end

-- Forgets a room everywhere it is listed.
local function forget(code)
  local room = p .. ':room:' .. code
  local r = redis.call('HMGET', room, 'node', 'game', 'chat')
  if r[2] then redis.call('ZREM', p .. ':open:' .. r[2], code) end
  if r[3] and r[3] ~= '' and redis.call('GET', r[3]) == code then redis.call('DEL', r[3]) end
  if r[1] then redis.call('SREM', p .. ':node:' .. r[1] .. ':rooms', code) end
  redis.call('DEL', room, p .. ':resv:' .. code)
end

-- The node a new room goes to: the least loaded that takes rooms, `self`
-- when level with it.
local function least_loaded(self)
  local target, target_load = nil, nil
  for _, id in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
    local n = redis.call('HMGET', p .. ':node:' .. id, 'rooms', 'capacity', 'draining')
    if n[2] and n[3] ~= '1' then
      local rooms, cap = tonumber(n[1]), tonumber(n[2])
      if rooms < cap then
        local load = rooms / cap
        if target == nil or load < target_load or (load == target_load and id == self) then
          target, target_load = id, load
        end
      end
    end
  end
  return target
end

-- Registers room `code` on `node`; false if the code is taken.
local function register(code, node, game, max, private, invite, chat, now)
  local room = p .. ':room:' .. code
  if redis.call('EXISTS', room) == 1 then return false end
  redis.call('HSET', room, 'node', node, 'game', game, 'max', max, 'players', 0,
    'private', private, 'invite', invite, 'chat', chat, 'created', now)
  redis.call('SADD', p .. ':node:' .. node .. ':rooms', code)
  redis.call('HINCRBY', p .. ':node:' .. node, 'rooms', 1)
  if private == '0' then redis.call('ZADD', p .. ':open:' .. game, 0, code) end
  return true
end

if op == 'quick' then
  -- game self player window candidate max: the fullest public room with a
  -- seat neither taken nor reserved (local first when level), a seat
  -- reserved in it; else a new room on the least loaded node.
  -- -> {code, node, url}; {} when no node takes rooms; {''} to retry.
  local game, self, player = ARGV[3], ARGV[4], ARGV[5]
  local window, candidate, max = tonumber(ARGV[6]), ARGV[7], ARGV[8]
  local now = now_ms()
  local open = p .. ':open:' .. game
  local best, best_taken, best_node = nil, -1, nil
  for _, code in ipairs(redis.call('ZREVRANGE', open, 0, 63)) do
    local r = redis.call('HMGET', p .. ':room:' .. code, 'node', 'max', 'players')
    if not r[1] or not alive(r[1]) then
      redis.call('ZREM', open, code)
    elseif not draining(r[1]) then
      if redis.call('ZSCORE', p .. ':resv:' .. code, player) then
        reserve(code, player, now, window)
        return {code, r[1], url_of(r[1])}
      end
      local t = taken(code, r[3], now)
      if t < tonumber(r[2]) and (t > best_taken or (t == best_taken and r[1] == self and best_node ~= self)) then
        best, best_taken, best_node = code, t, r[1]
      end
    end
  end
  if best then
    reserve(best, player, now, window)
    return {best, best_node, url_of(best_node)}
  end
  local target = least_loaded(self)
  if not target then return {} end
  if not register(candidate, target, game, max, '0', '', '', now) then return {''} end
  reserve(candidate, player, now, window)
  return {candidate, target, url_of(target)}

elseif op == 'open' then
  -- self code game max private invite chat_key: a new room (`create`) on
  -- this node, or the room of a chat (`chat_key` not empty): the one
  -- already open anywhere, else this new one, on this node unless it is
  -- draining. -> {code, node, url}; {''} when the code is taken.
  local self, code, game, max, private, invite, chat = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
  local now = now_ms()
  if chat ~= '' then
    local existing = redis.call('GET', chat)
    if existing then
      local node = redis.call('HGET', p .. ':room:' .. existing, 'node')
      if node and alive(node) then return {existing, node, url_of(node)} end
      forget(existing)
      redis.call('DEL', chat)
    end
  end
  local node = self
  if chat ~= '' and (not alive(self) or draining(self)) then
    node = least_loaded(self) or self
  end
  if not register(code, node, game, max, private, invite, chat, now) then return {''} end
  if chat ~= '' then redis.call('SET', chat, code) end
  return {code, node, url_of(node)}

elseif op == 'seat' then
  -- code player window: where room `code` is, and, for a public room, a
  -- seat reserved for `player` if one is free.
  -- -> {'none'} | {'full'} | {'ok', node, url, private, invite, game, chat}
  local code, player, window = ARGV[3], ARGV[4], tonumber(ARGV[5])
  local r = redis.call('HMGET', p .. ':room:' .. code, 'node', 'max', 'players', 'private', 'invite', 'game', 'chat')
  if not r[1] or not alive(r[1]) then return {'none'} end
  if r[4] == '0' then
    local now = now_ms()
    if not redis.call('ZSCORE', p .. ':resv:' .. code, player) and taken(code, r[3], now) >= tonumber(r[2]) then
      return {'full'}
    end
    reserve(code, player, now, window)
  end
  return {'ok', r[1], url_of(r[1]), r[4], r[5] or '', r[6], r[7] or ''}

elseif op == 'unreserve' then
  -- code player: a reserved seat its player did not take.
  redis.call('ZREM', p .. ':resv:' .. ARGV[3], ARGV[4])
  return 'ok'

elseif op == 'publish' then
  -- self code game max players private invite chat_key joined...: the room
  -- as its node sees it now; the players who joined since the last publish
  -- lose their reservations in the same write, so seats taken plus
  -- reserved never dips below the truth. -> 'ok' | 'conflict' (the code
  -- belongs to another node's room)
  local self, code, game, max, players = ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
  local private, invite, chat = ARGV[8], ARGV[9], ARGV[10]
  local room = p .. ':room:' .. code
  local owner = redis.call('HGET', room, 'node')
  if owner and owner ~= self then return 'conflict' end
  if not owner then
    redis.call('HSET', room, 'node', self, 'game', game, 'max', max, 'private', private,
      'invite', invite, 'chat', chat, 'created', now_ms())
    redis.call('SADD', p .. ':node:' .. self .. ':rooms', code)
    if chat ~= '' then redis.call('SET', chat, code, 'NX') end
  end
  redis.call('HSET', room, 'players', players)
  for i = 11, #ARGV do redis.call('ZREM', p .. ':resv:' .. code, ARGV[i]) end
  if private == '0' and players < tonumber(max) and not draining(self) then
    redis.call('ZADD', p .. ':open:' .. game, players, code)
  else
    redis.call('ZREM', p .. ':open:' .. game, code)
  end
  return 'ok'

elseif op == 'closed' then
  -- self code: the room has closed on its node.
  local code = ARGV[4]
  if redis.call('HGET', p .. ':room:' .. code, 'node') == ARGV[3] then forget(code) end
  return 'ok'

elseif op == 'held' then
  -- player code ttl_ms: the seat `player` holds after a dropped connection.
  redis.call('SET', p .. ':held:' .. ARGV[3], ARGV[4], 'PX', ARGV[5])
  return 'ok'

elseif op == 'released' then
  -- player code: the held seat is no more (if it is still this one).
  local key = p .. ':held:' .. ARGV[3]
  if redis.call('GET', key) == ARGV[4] then redis.call('DEL', key) end
  return 'ok'

elseif op == 'find_held' then
  -- player: {code, node, url} of the live room where `player` holds a seat,
  -- or {}.
  local key = p .. ':held:' .. ARGV[3]
  local code = redis.call('GET', key)
  if not code then return {} end
  local node = redis.call('HGET', p .. ':room:' .. code, 'node')
  if not node or not alive(node) then
    redis.call('DEL', key)
    return {}
  end
  return {code, node, url_of(node)}

elseif op == 'beat' then
  -- self url rooms players capacity draining ttl_ms: the node's heartbeat.
  -- -> 1 when the node was not registered (new, or forgotten: its rooms
  -- must be published again), else 0.
  local self = ARGV[3]
  local key = p .. ':node:' .. self
  local fresh = redis.call('EXISTS', key) == 0
  redis.call('HSET', key, 'url', ARGV[4], 'rooms', ARGV[5], 'players', ARGV[6],
    'capacity', ARGV[7], 'draining', ARGV[8], 'seen', now_ms())
  redis.call('PEXPIRE', key, ARGV[9])
  redis.call('SADD', p .. ':nodes', self)
  if fresh then return 1 else return 0 end

elseif op == 'sweep' then
  -- Forgets every node whose registration expired, with its rooms.
  -- -> the ids forgotten.
  local gone = {}
  for _, id in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
    if not alive(id) then
      for _, code in ipairs(redis.call('SMEMBERS', p .. ':node:' .. id .. ':rooms')) do forget(code) end
      redis.call('DEL', p .. ':node:' .. id .. ':rooms')
      redis.call('SREM', p .. ':nodes', id)
      table.insert(gone, id)
    end
  end
  return gone

elseif op == 'stale' then
  -- self min_age_ms code...: rooms placed on this node that never opened
  -- (their players never arrived) and are older than min_age.
  local self, min_age = ARGV[3], tonumber(ARGV[4])
  local now = now_ms()
  local n = 0
  for i = 5, #ARGV do
    local r = redis.call('HMGET', p .. ':room:' .. ARGV[i], 'node', 'created', 'players')
    if r[1] == self and now - tonumber(r[2] or '0') > min_age and tonumber(r[3] or '0') == 0 then
      forget(ARGV[i])
      n = n + 1
    end
  end
  return n

elseif op == 'leave' then
  -- self: the node stopped; forget it and its rooms now rather than at
  -- its TTL.
  local self = ARGV[3]
  for _, code in ipairs(redis.call('SMEMBERS', p .. ':node:' .. self .. ':rooms')) do forget(code) end
  redis.call('DEL', p .. ':node:' .. self .. ':rooms', p .. ':node:' .. self)
  redis.call('SREM', p .. ':nodes', self)
  return 'ok'

elseif op == 'nodes' then
  -- -> a flat list: id, url, rooms, players, capacity, draining, per live node.
  local out = {}
  for _, id in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
    local n = redis.call('HMGET', p .. ':node:' .. id, 'url', 'rooms', 'players', 'capacity', 'draining')
    if n[1] then
      for _, v in ipairs({id, n[1], n[2], n[3], n[4], n[5]}) do table.insert(out, v) end
    end
  end
  return out
end
return redis.error_reply('unknown operation ' .. tostring(op))
