-- Replays pre-generated requests with wrk: each thread reads its own file of lines
-- `METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY` (TOKEN `-` for none), builds every request once at
-- start, then sends them in order, so each request has its own body and bearer token.
-- When a thread runs out of lines it starts over and says so (`wrapped`), because repeated
-- check-ins or redemptions are refused by design.
--
-- Arguments (after `--`): the file prefix (thread i reads PREFIX.i.txt).
-- At the end it prints one line `BENCH-JSON {...}` with latency percentiles, the answers by
-- HTTP status and socket errors.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local prefix = args[1]
  local path = prefix .. "." .. id .. ".txt"
  reqs = {}
  local host = wrk.host .. ":" .. wrk.port
  for line in io.lines(path) do
    local method, p, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then
      local headers = { ["Host"] = host }
      if token ~= "-" then
        headers["Authorization"] = "Bearer " .. token
      end
      if body ~= "" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      reqs[#reqs + 1] = wrk.format(method, p, headers, body)
    end
  end
  n = #reqs
  i = 0
  sent = 0
  wrapped = 0
  statuses = {}
end

function request()
  i = i + 1
  if i > n then
    i = 1
    wrapped = wrapped + 1
  end
  sent = sent + 1
  return reqs[i]
end

function response(status, headers, body)
  local k = tostring(status)
  statuses[k] = (statuses[k] or 0) + 1
end

function done(summary, latency, requests)
  local all = {}
  local total_wrapped = 0
  local sent_by_thread = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do
      all[k] = (all[k] or 0) + v
    end
    total_wrapped = total_wrapped + t:get("wrapped")
    sent_by_thread[#sent_by_thread + 1] = t:get("sent")
  end
  local parts = {}
  for k, v in pairs(all) do
    parts[#parts + 1] = string.format('"%s":%d', k, v)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"duration_us":%d,"requests":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status_errors":%d,"wrapped":%d,"sent":[%s],"statuses":{%s}}\n',
    summary.duration, summary.requests, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status, total_wrapped,
    table.concat(sent_by_thread, ","), table.concat(parts, ",")))
end
