-- wrk script for bench/submit_load.py: every request a first send of a visit, to an assignment
-- of its own (from the ids file, split between threads) under a client_id never used before.
--
--   wrk -t2 -c8 -d10s -s bench/load/submit.lua URL -- VISITS_FILE BODIES_FILE ROUND THREADS
--
-- VISITS_FILE holds "assignment-id token" per line (the token of the assignment's shopper);
-- BODIES_FILE holds one JSON body per line with @ASSIGNMENT@ and @CLIENT@ in place of the
-- assignment id and the client_id. done() prints one JSON line: requests, non-2xx answers,
-- ids left unused, and latency percentiles in microseconds.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then table.insert(out, line) end
  end
  return out
end

function init(args)
  local all = lines(args[1])
  bodies = lines(args[2])
  round = tonumber(args[3])
  local nthreads = tonumber(args[4])
  ids, tokens = {}, {}
  for i = 1, #all do
    if (i - 1) % nthreads == tid then
      local id, token = all[i]:match("^(%d+) (%S+)$")
      table.insert(ids, id)
      table.insert(tokens, token)
    end
  end
  failed = 0
  exhausted = 0
end

function request()
  local id, token = ids[counter], tokens[counter]
  if id == nil then
    exhausted = exhausted + 1
    id, token = ids[#ids], tokens[#ids]  -- out of assignments: a 409, counted as a failure
  end
  local client = string.format("%08x-%04x-4000-8000-%012x", round, tid, counter)
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  body = body:gsub("@ASSIGNMENT@", id, 1):gsub("@CLIENT@", client, 1)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local failures, used, short = 0, 0, 0
  for _, thread in ipairs(threads) do
    failures = failures + thread:get("failed")
    short = short + thread:get("exhausted")
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "out_of_ids": %d, ' ..
    '"socket_errors": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration, failures, short,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
