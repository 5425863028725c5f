-- wrk script: POST /v3/kv/range of one key; "wrk ... -- s" makes it
-- serializable, anything else linearizable.
local body = '{"key":"L2JlbmNoL3JhbmdlL2tleQ=="}' -- /bench/range/key

function init(args)
    if args[1] == "s" then
        body = '{"key":"L2JlbmNoL3JhbmdlL2tleQ==","serializable":true}'
    end
end

function request()
    return wrk.format("POST", "/v3/kv/range", {["Content-Type"] = "application/json"}, body)
end
