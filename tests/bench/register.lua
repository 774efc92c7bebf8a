-- wrk script: POST a distinct Avro schema to a distinct subject on every request.
-- Each wrk thread gets its own id so subjects never collide across threads.
local counter = 0
local threads = {}

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

function request()
	counter = counter + 1
	local s = "bench-" .. tid .. "-" .. counter
	local body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"r' .. tid .. '_' .. counter ..
		'\\",\\"fields\\":[{\\"name\\":\\"f\\",\\"type\\":\\"long\\"}]}"}'
	return wrk.format("POST", "/subjects/" .. s .. "-value/versions",
		{["Content-Type"] = "application/vnd.schemaregistry.v1+json"}, body)
end

function done(summary, latency, requests)
	local errs = summary.errors
	io.write(string.format("non2xx=%d socket_errors=%d\n", errs.status,
		errs.connect + errs.read + errs.write + errs.timeout))
end
