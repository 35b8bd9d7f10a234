-- Sends the request paths listed in the file named by WRK_PATHS, one after another, each thread from its own
-- starting point, so that "cold" runs never repeat a URL the response cache could answer.
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  paths[#paths + 1] = line
end

local index = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  index = math.random(#paths)
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end
