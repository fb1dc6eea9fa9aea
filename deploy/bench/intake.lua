-- wrk driver for POST /v1/intake/app: every request is a new letter with its own app_letter_id,
-- signed like the app backend does (docs/app-webhook.md): HMAC-SHA256 over timestamp.."."..body,
-- computed per request through LuaJIT's FFI into libcrypto, so the driver stays cheap on the two
-- cores it shares with the service and PostgreSQL.
local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
]]
local crypto = ffi.load("crypto")
local secret = os.getenv("MAILBOX_APP_WEBHOOK_SECRET") or error("MAILBOX_APP_WEBHOOK_SECRET is unset")
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local md = ffi.new("unsigned char[32]")
local mdlen = ffi.new("unsigned int[1]")
local hexdigits = {}
for i = 0, 255 do hexdigits[i] = string.format("%02x", i) end

local function sign(message)
  crypto.HMAC(crypto.EVP_sha256(), secret, #secret, message, #message, md, mdlen)
  local out = {}
  for i = 0, 31 do out[i + 1] = hexdigits[md[i]] end
  return "sha256=" .. table.concat(out)
end

local text = string.rep("小区门口道路破损严重，雨天积水，老人孩子出行不便，请有关部门尽快修复。", 18)
local prefix = '{"app_letter_id":"'
local suffix = '","body":"' .. text .. '","category":"complaint","phone":"13912345678",' ..
  '"publish_consent":true,"title":"小区门口道路破损积水","town":"鼓楼街道","writer_name":"王五"}'

local threads = {}
-- Globals of each thread's Lua state: tid is set by setup(), failures read back in done().
counter, failures = 0, 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local body = prefix .. "wrk-" .. run .. "-" .. tid .. "-" .. counter .. suffix
  local ts = tostring(os.time())
  return wrk.format("POST", "/v1/intake/app", {
    ["Content-Type"] = "application/json",
    ["X-Mailbox-Timestamp"] = ts,
    ["X-Mailbox-Signature"] = sign(ts .. "." .. body),
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then failures = failures + 1 end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  local seconds = summary.duration / 1e6
  io.write(string.format("intake_letters=%d\n", summary.requests - failed))
  io.write(string.format("intake_letters_per_second=%.1f\n", (summary.requests - failed) / seconds))
  io.write(string.format("intake_p50_ms=%.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("intake_p99_ms=%.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("intake_errors=%d\n", failed + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
