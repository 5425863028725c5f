-- wrk script: POST /v3/kv/put with a distinct key per request and a 100-byte
-- value, as etcd's gateway expects (base64 bytes). With an argument
-- (wrk ... -- /key) every request puts that one key.
local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64(s)
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local c1 = math.floor(n / 262144) % 64
        local c2 = math.floor(n / 4096) % 64
        local c3 = math.floor(n / 64) % 64
        local c4 = n % 64
        out[#out + 1] = chars:sub(c1 + 1, c1 + 1) .. chars:sub(c2 + 1, c2 + 1) ..
            (b and chars:sub(c3 + 1, c3 + 1) or "=") .. (c and chars:sub(c4 + 1, c4 + 1) or "=")
    end
    return table.concat(out)
end

local value = b64(string.rep("v", 100))
local counter = 0
local prefix = "/bench/put/"
local threads = 0
local fixed = nil

function setup(thread)
    thread:set("tid", threads)
    threads = threads + 1
end

function init(args)
    if args[1] ~= nil and args[1] ~= "" then
        fixed = b64(args[1])
    end
    math.randomseed(os.time() + (tid or 0))
    prefix = "/bench/put/" .. (tid or 0) .. "-" .. math.random(1, 1000000000) .. "/"
end

function request()
    counter = counter + 1
    local key = fixed or b64(prefix .. counter)
    local body = '{"key":"' .. key .. '","value":"' .. value .. '"}'
    return wrk.format("POST", "/v3/kv/put", {["Content-Type"] = "application/json"}, body)
end
