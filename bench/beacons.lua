-- wrk script of bench/beacons.py: every request a reader never seen before (a new
-- X-Forwarded-For from the trusted local proxy) viewing one of N live articles, sent as the
-- article page's script sends it from a browser: the site's Origin and Referer and
-- Sec-Fetch-* headers, one of a dozen real browsers' User-Agents (desktop, phone, tablet),
-- and the query the script adds: ?ref=<referrer host> (search 10 in 21, none 5, social 2,
-- our own site 2, another site 2) and, on one beacon in 11, utm_source, utm_medium and
-- utm_campaign. The cycles (13 agents, 21 referrers, 11 utm slots, N articles) have co-prime
-- lengths, so the combinations vary.
--
-- Those few agents and queries would all be answered from the views API's caches (bot
-- verdicts, device classes, parsed queries). Real traffic has a long tail, so one beacon in
-- <fresh every> (bench/beacons.py: FRESH_EVERY) carries a User-Agent never seen before (one
-- of the agents with a unique " Build/<thread>.<n>" suffix: still a browser) and a referrer
-- host never seen before (a long-tail site, "other"): the bot matcher, the device parser
-- and the query parser run in full for those, in the measured path.
--
--   wrk ... -s bench/beacons.lua URL -- <first octet> <articles> <active seconds> <fresh every>
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
local octet, articles, active, fresh_every, stop_at
local drain_request, checking

function init(args)
  octet, articles, active = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
  fresh_every = tonumber(args[4])
  drain_request = wrk.format("GET", "/bench-drain")
  -- wrk 4 calls request() once on its first thread to check the script, and never sends
  -- what it returns: that call must not count as a beacon sent. (Were it ever sent, a
  -- drain request is harmless.)
  checking = id == 0
end

local SITE = "https://health.example" -- HEALTHHUB_SITE_URL of the views API in the bench
local AGENTS = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
  "Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/489.0.0.44.97]",
}
local REFS = {
  "ref=www.google.com", "ref=www.google.com", "ref=www.google.co.uk", "ref=www.google.com",
  "ref=www.bing.com", "ref=www.google.de", "ref=duckduckgo.com", "ref=www.google.com",
  "ref=www.ecosia.org", "ref=www.google.com", "", "", "", "", "", "ref=l.facebook.com", "ref=t.co",
  "ref=health.example", "ref=health.example", "ref=forum.patient-stories.org",
  "ref=news.example.net",
}
local UTMS = {
  "utm_source=newsletter&utm_medium=email&utm_campaign=winter-flu",
  "", "", "", "", "", "", "", "", "", "",
}

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
  local article = (sent % articles) + 1
  local ref, utm = REFS[sent % #REFS + 1], UTMS[sent % #UTMS + 1]
  local agent = AGENTS[sent % #AGENTS + 1]
  if sent % fresh_every == 0 then -- the long tail: never seen before, so no cache helps
    agent = string.format("%s Build/%d.%d", agent, id, sent)
    ref = string.format("ref=www.site-%d-%d.example.org", id, sent)
  end
  local query = ref
  if utm ~= "" then query = (query ~= "" and query .. "&" or "") .. utm end
  local page = SITE .. "/health/bench-" .. article .. (utm ~= "" and "?" .. utm or "")
  return wrk.format("POST", "/api/v1/views/" .. article .. (query ~= "" and "?" .. query or ""), {
    ["User-Agent"] = agent,
    ["X-Forwarded-For"] = ip,
    ["Origin"] = SITE,
    ["Referer"] = page,
    ["Sec-Fetch-Site"] = "same-origin",
    ["Sec-Fetch-Mode"] = "no-cors",
    ["Sec-Fetch-Dest"] = "empty",
    ["Accept"] = "*/*",
    ["Accept-Encoding"] = "gzip, deflate, br",
    ["Accept-Language"] = "en-GB,en;q=0.9",
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
