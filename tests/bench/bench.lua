-- bench.lua: retort's side of scripts/bench.  Runs one test of a suite on a
-- fresh database and prints the seconds its workload took (set-up excluded);
-- large_resultsets also prints the peak resident set in KB.  The workloads
-- mirror SQLAlchemy's examples/performance and tests/bench/bench_sqlite.c.
--
--   retort tests/bench/bench.lua SUITE TEST NUM URL
local suite, testname, num, url = arg[1], arg[2], tonumber(arg[3]), arg[4]
assert(suite and testname and num and url, "usage: bench.lua SUITE TEST NUM URL")

local engine = create_engine(url)
local metadata = MetaData()
local customer = Table("customer", metadata,
    Column("id", Integer, {primary_key = true}),
    Column("name", String(255)),
    Column("description", String(255)))
metadata:drop_all(engine)
metadata:create_all(engine)

local function row_params(i)
    return {name = "customer name " .. i, description = "customer description " .. i}
end

-- Inserts n customers in one transaction, in batches of parameter sets.
local function populate(n)
    local ins = customer:insert()
    engine:begin(function(conn)
        for start = 0, n - 1, 10000 do
            local rows = {}
            for i = start, math.min(start + 10000, n) - 1 do rows[#rows + 1] = row_params(i) end
            conn:execute(ins, rows)
        end
    end)
end

local function touch(row)
    return row.id + #row.name + #row.description
end

local tests = {bulk_inserts = {}, bulk_updates = {}, large_resultsets = {},
               short_selects = {}, single_inserts = {}}

-- bulk_inserts
function tests.bulk_inserts.core_executemany(n)
    local rows = {}
    for i = 0, n - 1 do rows[#rows + 1] = row_params(i) end
    engine:execute(customer:insert(), rows)
end

function tests.bulk_inserts.core_multirow(n)
    local conn = engine:connect()
    local t = conn:begin()
    local batch = 500
    for start = 0, n - 1, batch do
        local rows = {}
        for i = start, math.min(start + batch, n) - 1 do rows[#rows + 1] = row_params(i) end
        conn:execute(customer:insert():values(rows))
    end
    t:commit()
    conn:close()
end

-- bulk_updates
function tests.bulk_updates.core_executemany(n, setup)
    if setup then return populate(n) end
    local rows = {}
    for i = 1, n do rows[i] = {id_ = i, name = "updated name " .. i} end
    engine:execute(customer:update():where(customer.c.id:eq(bindparam("id_"))), rows)
end

-- large_resultsets
function tests.large_resultsets.core_rows(n, setup)
    if setup then return populate(n) end
    local sum = 0
    for row in engine:execute(customer:select()) do sum = sum + touch(row) end
    return sum
end

function tests.large_resultsets.core_fetchall(n, setup)
    if setup then return populate(n) end
    local sum = 0
    for _, row in ipairs(engine:execute(customer:select()):fetchall()) do
        sum = sum + touch(row)
    end
    return sum
end

-- short_selects
function tests.short_selects.core_reuse_stmt(n, setup)
    if setup then return populate(n) end
    local conn = engine:connect()
    local stmt = customer:select():where(customer.c.id:eq(bindparam("id")))
    local sum = 0
    for i = 0, n - 1 do
        sum = sum + touch(conn:execute(stmt, {id = (i * 7919) % n + 1}):first())
    end
    conn:close()
    return sum
end

function tests.short_selects.core_new_stmt_each_time(n, setup)
    if setup then return populate(n) end
    local conn = engine:connect()
    local sum = 0
    for i = 0, n - 1 do
        local stmt = customer:select():where(customer.c.id:eq((i * 7919) % n + 1))
        sum = sum + touch(conn:execute(stmt):first())
    end
    conn:close()
    return sum
end

-- single_inserts
function tests.single_inserts.core(n)
    local ins = customer:insert()
    for i = 0, n - 1 do
        engine:begin(function(conn) conn:execute(ins, row_params(i)) end)
    end
end

local fn = tests[suite] and tests[suite][testname]
if not fn then
    local names = {}
    for name in pairs(tests[suite] or {}) do names[#names + 1] = name end
    table.sort(names)
    error(("unknown test %s.%s (tests: %s)"):format(suite, testname, table.concat(names, ", ")))
end
local setup_needed = suite ~= "bulk_inserts" and suite ~= "single_inserts"
if setup_needed then fn(num, true) end
collectgarbage()
local t0 = monotonic()
fn(num)
local elapsed = monotonic() - t0
print(("%.6f"):format(elapsed))
if suite == "large_resultsets" then
    for line in io.lines("/proc/self/status") do
        local kb = line:match("^VmHWM:%s+(%d+)")
        if kb then print("rss " .. kb) end
    end
end
engine:dispose()
