-- bench.lua: retort's side of scripts/bench.  Runs one test of a suite on a
-- fresh database and prints the seconds its workload took (set-up excluded);
-- large_resultsets also prints the peak resident set in KB.  The workloads
-- mirror SQLAlchemy's examples/performance and the plain C programs
-- tests/bench/bench_sqlite.c and bench_pg.c.  Tests are listed from the most
-- to the least work done by retort, as SQLAlchemy's are.
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

local Customer = class("Customer")
mapper(Customer, customer)

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

-- Reads every column of a row or an instance, as a program would.
local function touch(row)
    return row.id + #row.name + #row.description
end

local tests = {bulk_inserts = {}, bulk_updates = {}, large_resultsets = {},
               short_selects = {}, single_inserts = {}}

-- bulk_inserts ---------------------------------------------------------------

-- session:add_all() and flush() per 1,000 objects, keys generated.
function tests.bulk_inserts.orm_flush_no_pk(n)
    local session = Session(engine)
    for start = 0, n - 1, 1000 do
        local objs = {}
        for i = start, math.min(start + 1000, n) - 1 do
            objs[#objs + 1] = Customer({name = "customer name " .. i,
                                        description = "customer description " .. i})
        end
        session:add_all(objs)
        session:flush()
    end
    session:commit()
end

-- The same with the primary keys given: one executemany per flush.
function tests.bulk_inserts.orm_flush_pk_given(n)
    local session = Session(engine)
    for start = 0, n - 1, 1000 do
        local objs = {}
        for i = start, math.min(start + 1000, n) - 1 do
            objs[#objs + 1] = Customer({id = i + 1, name = "customer name " .. i,
                                        description = "customer description " .. i})
        end
        session:add_all(objs)
        session:flush()
    end
    session:commit()
end

-- session:bulk_save_objects() per 10,000 objects.
function tests.bulk_inserts.orm_bulk_save_objects(n)
    local session = Session(engine)
    for start = 0, n - 1, 10000 do
        local objs = {}
        for i = start, math.min(start + 10000, n) - 1 do
            objs[#objs + 1] = Customer({name = "customer name " .. i,
                                        description = "customer description " .. i})
        end
        session:bulk_save_objects(objs)
    end
    session:commit()
end

-- session:bulk_insert_mappings() per 10,000 Lua tables.
function tests.bulk_inserts.orm_bulk_insert_mappings(n)
    local session = Session(engine)
    for start = 0, n - 1, 10000 do
        local rows = {}
        for i = start, math.min(start + 10000, n) - 1 do rows[#rows + 1] = row_params(i) end
        session:bulk_insert_mappings(Customer, rows)
    end
    session:commit()
end

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

-- bulk_updates ---------------------------------------------------------------

-- Objects loaded 1,000 at a time, each changed, one flush per chunk (the C
-- baseline of this one reads and updates the same way: variant load_update).
function tests.bulk_updates.orm_flush(n, setup)
    if setup then return populate(n) end
    local session = Session(engine)
    for start = 0, n - 1, 1000 do
        local objs = session:query(Customer)
            :filter(Customer.id:between(start + 1, start + 1000)):all()
        for _, c in ipairs(objs) do c.description = c.description .. " updated" end
        session:flush()
    end
    session:commit()
end

function tests.bulk_updates.core_executemany(n, setup)
    if setup then return populate(n) end
    local rows = {}
    for i = 1, n do rows[i] = {id_ = i, name = "updated name " .. i} end
    engine:execute(customer:update():where(customer.c.id:eq(bindparam("id_"))), rows)
end

-- large_resultsets -----------------------------------------------------------

function tests.large_resultsets.orm_objects(n, setup)
    if setup then return populate(n) end
    local session = Session(engine)
    local sum = 0
    for _, c in ipairs(session:query(Customer):all()) do sum = sum + touch(c) end
    session:close()
    return sum
end

function tests.large_resultsets.orm_columns(n, setup)
    if setup then return populate(n) end
    local session = Session(engine)
    local sum = 0
    for _, row in ipairs(session:query(Customer.id, Customer.name, Customer.description):all()) do
        sum = sum + touch(row)
    end
    session:close()
    return sum
end

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

-- short_selects --------------------------------------------------------------

-- Ids visited in a scattered order, each once (7919 is prime).
local function nth_id(i, n) return (i * 7919) % n + 1 end

function tests.short_selects.orm_query(n, setup)
    if setup then return populate(n) end
    local session = Session(engine)
    local sum = 0
    for i = 0, n - 1 do
        sum = sum + touch(session:query(Customer):filter(Customer.id:eq(nth_id(i, n))):one())
    end
    session:close()
    return sum
end

function tests.short_selects.orm_get(n, setup)
    if setup then return populate(n) end
    local session = Session(engine)
    local sum = 0
    for i = 0, n - 1 do sum = sum + touch(session:get(Customer, nth_id(i, n))) end
    session:close()
    return sum
end

function tests.short_selects.core_new_stmt_each_time(n, setup)
    if setup then return populate(n) end
    local conn = engine:connect()
    local sum = 0
    for i = 0, n - 1 do
        local stmt = customer:select():where(customer.c.id:eq(nth_id(i, n)))
        sum = sum + touch(conn:execute(stmt):first())
    end
    conn:close()
    return sum
end

function tests.short_selects.core_reuse_stmt(n, setup)
    if setup then return populate(n) end
    local conn = engine:connect()
    local stmt = customer:select():where(customer.c.id:eq(bindparam("id")))
    local sum = 0
    for i = 0, n - 1 do
        sum = sum + touch(conn:execute(stmt, {id = nth_id(i, n)}):first())
    end
    conn:close()
    return sum
end

-- single_inserts -------------------------------------------------------------

-- A session per row: add, commit (the session's connection goes back to the
-- pool at commit).
function tests.single_inserts.orm(n)
    for i = 0, n - 1 do
        local session = Session(engine)
        session:add(Customer({name = "customer name " .. i,
                              description = "customer description " .. i}))
        session:commit()
    end
end

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
metadata:drop_all(engine)
engine:dispose()
