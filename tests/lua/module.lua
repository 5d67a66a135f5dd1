-- module.lua: retort loads as a plain Lua module from the build directory
-- given as arg[1], and works without the shell.
local build = arg[1] or "build"
package.cpath = build .. "/?.so;" .. package.cpath
local passed, failed = 0, 0
local function check(name, fn)
    local ok, err = pcall(fn)
    if ok then passed = passed + 1 else
        failed = failed + 1
        print("FAIL " .. name .. ": " .. tostring(err))
    end
end
local sa
check("require", function() sa = require "retort" end)
check("engine", function()
    local e = sa.create_engine("sqlite://")
    assert(tostring(e) == "Engine(sqlite:///:memory:)", tostring(e))
    assert(e:execute("SELECT 41 + 1"):scalar() == 42)
end)
check("no globals leak", function() assert(create_engine == nil) end)
print(("%d passed, %d failed"):format(passed, failed))
os.exit(failed == 0 and 0 or 1)
