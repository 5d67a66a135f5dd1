-- run.lua: a small test runner for the Lua-level tests.  Run it with the
-- retort binary (`retort tests/lua/run.lua [file...]`); it loads every
-- tests/lua/test_*.lua (or the files named), whose top level registers cases
-- with test(name, fn), runs them, and ends with "N passed, N failed".
local dir = (arg and arg[0] or "tests/lua/run.lua"):match("^(.*)/[^/]*$") or "."

local cases = {}
function test(name, fn) cases[#cases + 1] = {name = name, fn = fn} end

-- The databases every database test runs against.  A missing PostgreSQL URL
-- is a failure, never a skip.
DATABASES = {{name = "sqlite", url = "sqlite://"}}
local pg = os.getenv("RETORT_PG_URL")
if pg then
    DATABASES[2] = {name = "postgresql", url = pg}
else
    test("PostgreSQL is available", function() error("RETORT_PG_URL is not set") end)
end

-- for_each_db(name, fn): registers fn(url, dbname) once per database.
function for_each_db(name, fn)
    for _, db in ipairs(DATABASES) do
        test(name .. " [" .. db.name .. "]", function() fn(db.url, db.name) end)
    end
end

function eq(actual, expected, what)
    if actual ~= expected then
        error(("%sexpected %s, got %s"):format(what and (what .. ": ") or "",
            repr(expected), repr(actual)), 2)
    end
end

-- raises(fn, pattern): fn must fail with an error whose text matches pattern
-- (plain find); returns the error value.
function raises(fn, pattern, ...)
    local ok, err = pcall(fn, ...)
    if ok then error("expected an error matching '" .. pattern .. "'", 2) end
    local text = tostring(err)
    if not text:find(pattern, 1, true) then
        error(("error '%s' does not contain '%s'"):format(text, pattern), 2)
    end
    return err
end

function repr(v)
    if type(v) == "string" then return ("%q"):format(v) end
    return tostring(v)
end

local files = {}
if arg and #arg > 0 then
    for i = 1, #arg do files[#files + 1] = arg[i] end
else
    local p = io.popen('ls "' .. dir .. '"/test_*.lua')
    for line in p:lines() do files[#files + 1] = line end
    p:close()
end
for _, f in ipairs(files) do dofile(f) end

local passed, failed = 0, 0
for _, c in ipairs(cases) do
    local ok, err = xpcall(c.fn, debug.traceback)
    collectgarbage()
    if ok then
        passed = passed + 1
    else
        failed = failed + 1
        print("FAIL " .. c.name .. "\n    " .. tostring(err):gsub("\n", "\n    "))
    end
end
print(("%d passed, %d failed"):format(passed, failed))
os.exit(failed == 0 and 0 or 1)
