-- wrk script of bench/beacons.py: every request a reader never seen before (a new
-- X-Forwarded-For from the trusted local proxy) viewing one of N live articles.
--
--   wrk ... -s bench/beacons.lua URL -- <first octet> <articles> <active seconds>
--
-- The client's side of the exactness check (bench/accounting.py): response() counts the
-- answers whose body says "counted", and done() prints, on one line (HH-ACCOUNTING ...), the
-- beacons each thread sent and the answers of all threads.
--
-- No beacon may be in flight when wrk stops: the server may count it while the client never
-- sees the answer, and accepted and counted would then differ for a reason that is not the
-- platform's. So each thread sends beacons for <active seconds> only, then requests that can
-- never count a view (GET /bench-drain, a 404 on every server loaded) until wrk's -d ends,
-- which the caller sets a second later: every beacon has its answer by then.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } hh_timespec;
int clock_gettime(int clock_id, hh_timespec *tp);
]]
local ts = ffi.new("hh_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Per thread; globals so that done() can read them with thread:get().
sent, counted, other, drain = 0, 0, 0, 0
local octet, articles, active, stop_at
local drain_request, checking

function init(args)
  octet, articles, active = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
  drain_request = wrk.format("GET", "/bench-drain")
  -- wrk 4 calls request() once on its first thread to check the script, and never sends
  -- what it returns: that call must not count as a beacon sent. (Were it ever sent, a
  -- drain request is harmless.)
  checking = id == 0
end

function request()
  if checking then
    checking = false
    return drain_request
  end
  local t = now()
  if stop_at == nil then
    stop_at = t + active
  end
  if t >= stop_at then
    return drain_request
  end
  sent = sent + 1
  -- Thread id in the second octet: threads never share a reader.
  local ip = string.format("%d.%d.%d.%d", octet, id * 64 + math.floor(sent / 65536) % 64,
                           math.floor(sent / 256) % 256, sent % 256)
  return wrk.format("POST", "/api/v1/views/" .. ((sent % articles) + 1), {
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    ["X-Forwarded-For"] = ip,
    ["Content-Length"] = "0",
  })
end

function response(status, headers, body)
  if status == 404 then
    drain = drain + 1 -- every article exists: only the drain requests are answered 404
  elseif status == 202 and string.find(body, '"counted"', 1, true) then
    counted = counted + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local sent_per_thread, c, o, d = {}, 0, 0, 0
  for _, thread in ipairs(threads) do
    table.insert(sent_per_thread, string.format("%d", thread:get("sent")))
    c = c + thread:get("counted")
    o = o + thread:get("other")
    d = d + thread:get("drain")
  end
  io.write(string.format("HH-ACCOUNTING sent=%s counted=%d other=%d drain=%d\n",
                         table.concat(sent_per_thread, ","), c, o, d))
end
