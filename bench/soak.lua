-- The soak's request mix for wrk: 60% thumbnail links, 30% list pages, 10% uploads, chosen at random per request.
-- bench/soak.mjs writes the inputs to files named by SOAK_DIR: links.txt (one path a line), tokens.txt (one
-- access token a line) and upload.jpg. done() prints one JSON line: requests, errors, p99.
local dir = os.getenv("SOAK_DIR")
local function lines(name)
  local list = {}
  for line in io.lines(dir .. "/" .. name) do
    if #line > 0 then list[#list + 1] = line end
  end
  return list
end
local links = lines("links.txt")
local tokens = lines("tokens.txt")
local file = io.open(dir .. "/upload.jpg", "rb")
local jpeg = file:read("*a")
file:close()
local boundary = "soakboundary7d1f"
local body = "--" .. boundary .. "\r\n" ..
  'Content-Disposition: form-data; name="file"; filename="soak.jpg"\r\n' ..
  "Content-Type: image/jpeg\r\n\r\n" .. jpeg .. "\r\n--" .. boundary .. "--\r\n"

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() + id * 7919)
end

request = function()
  local r = math.random()
  local token = tokens[math.random(#tokens)]
  if r < 0.60 then
    return wrk.format("GET", links[math.random(#links)])
  elseif r < 0.90 then
    return wrk.format("GET", "/api/images?limit=20", { ["Authorization"] = "Bearer " .. token })
  else
    return wrk.format("POST", "/api/images", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    }, body)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.2f,"errorStatus":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%.2f,"p99":%.2f,"max":%.2f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
