-- The soak's requests for wrk. SOAK_KIND says what each connection asks for:
--   links    a thumbnail link (a random one of links.txt)
--   lists    a list page, GET /api/images?limit=20, as a random user (tokens.txt)
--   uploads  an upload of upload.jpg, as a random user
--   mixed    each request one of the above at random: 60% links, 30% list pages, 10% uploads
-- bench/soak.mjs writes the inputs to files named by SOAK_DIR. done() prints one JSON line: requests, errors,
-- and the latency in ms at every 0.1 percentile from 0 to 99.9 (q[1] is the minimum) then the maximum, so that
-- the runs of several kinds merge into one distribution.
local dir = os.getenv("SOAK_DIR")
local kind = os.getenv("SOAK_KIND") or "mixed"
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

local function link()
  return wrk.format("GET", links[math.random(#links)])
end
local function list()
  return wrk.format("GET", "/api/images?limit=20", { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
local function upload()
  return wrk.format("POST", "/api/images", {
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, body)
end
local kinds = { links = link, lists = list, uploads = upload }

request = kinds[kind] or function()
  local r = math.random()
  if r < 0.60 then return link() elseif r < 0.90 then return list() else return upload() end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local q = {}
  for i = 0, 999 do q[#q + 1] = string.format("%.3f", latency:percentile(i / 10) / 1000) end
  q[#q + 1] = string.format("%.3f", latency.max / 1000)
  io.write(string.format(
    '{"kind":"%s","requests":%d,"seconds":%.2f,"errorStatus":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"max":%.3f,"q":[%s]}\n',
    kind, summary.requests, summary.duration / 1e6, e.status, e.connect, e.read, e.write, e.timeout,
    latency.max / 1000, table.concat(q, ",")))
end
