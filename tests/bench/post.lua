-- wrk: POST a new post to one thread; the token comes from the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("LINLI_TOKEN")
local n = 0
request = function()
	n = n + 1
	local body = string.format('{"body":"压测回复 %d：电梯维修什么时候完成？"}', n)
	return wrk.format(nil, os.getenv("LINLI_POST_PATH"), nil, body)
end
