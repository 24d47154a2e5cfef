-- wrk cross-check of IssuanceBench: POSTs the same pre-made CSRs to SignCSR, cycling through them.
-- Run: CSR_FILE=csrs.txt TOKEN=$(cat DATA/admin.token) wrk -t1 -c50 -d12s -s signcsr.lua --latency https://127.0.0.1:PORT
-- (csrs.txt is the --csr-cache file IssuanceBench writes: PEM requests separated by "\n#\n").
local f = assert(io.open(os.getenv("CSR_FILE")))
local text = f:read("*a"); f:close()
local bodies = {}
for pem in (text .. "\n#\n"):gmatch("(.-)\n#\n") do
  bodies[#bodies + 1] = '{"CsrString":"' .. pem:gsub("\n", "\\n") .. '"}'
end
local token = os.getenv("TOKEN")
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/ibm/v1/Host/Actions/SignCSR",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, bodies[(i % #bodies) + 1])
end
