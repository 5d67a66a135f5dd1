-- test_binding.lua: the Lua binding itself: argument checking, closed and
-- collected handles, __gc of parents and children in any order, errors as
-- objects, values both ways, results, transactions and the pool, on SQLite
-- and PostgreSQL.

local function setup(url)
    local e = create_engine(url)
    local c = e:connect()
    c:execute("DROP TABLE IF EXISTS rt_items")
    c:execute([[CREATE TABLE rt_items (
        id INTEGER PRIMARY KEY, name VARCHAR(40) UNIQUE NOT NULL, price FLOAT, note TEXT)]])
    c:execute("INSERT INTO rt_items (id, name, price, note) VALUES (:id, :name, :price, :note)", {
        {id = 1, name = "apple", price = 0.5, note = null},
        {id = 2, name = "pear", price = 1.25, note = "ripe"},
        {id = 3, name = "plum", price = 2.0, note = "it's"}})
    return e, c
end

-- create_engine and options

test("create_engine rejects bad URLs with ArgumentError", function()
    local err = raises(create_engine, "unknown database 'mysql'", "mysql://x/y")
    eq(err.class, "ArgumentError")
    raises(create_engine, "could not parse a database URL", "nonsense")
    raises(create_engine, "invalid port", "postgresql://u@h:99999/db")
    raises(create_engine, "invalid SQLite URL", "sqlite://host/x.db")
end)

test("create_engine checks argument and option types", function()
    raises(create_engine, "bad argument #1", nil)
    raises(create_engine, "unknown option 'ecko'", "sqlite://", {ecko = true})
    raises(create_engine, "option 'echo' must be a boolean", "sqlite://", {echo = 1})
    raises(create_engine, "option 'pool_size' must be an integer", "sqlite://", {pool_size = 1.5})
    raises(create_engine, "invalid option 'Bogus'", "sqlite:///x.db", {poolclass = "Bogus"})
end)

test("engine fields and echo switch", function()
    local e = create_engine("sqlite://")
    eq(tostring(e), "Engine(sqlite:///:memory:)")
    eq(e.name, "sqlite")
    eq(e.driver, "sqlite3")
    eq(e.echo, false)
    e.echo = true
    eq(e.echo, true)
    raises(function() e.url = "x" end, "cannot set 'url'")
    local p = create_engine("postgresql://scott:tiger@localhost/test")
    eq(p.url, "postgresql://scott:***@localhost/test")
end)

-- values

for_each_db("values round-trip as Lua types", function(url, db)
    local e = create_engine(url)
    local s = db == "sqlite" and "h\0llo 'x'" or "héllo 'x'"
    local row = e:execute("SELECT :i AS i, :f AS f, :s AS s, :n AS n, :big AS big",
        {i = 42, f = 2.5, s = s, n = null, big = math.maxinteger}):one()
    eq(math.type(row.i), "integer")
    eq(row.i, 42)
    eq(row.f, 2.5)
    eq(row.s, s)
    eq(row.n, nil)
    eq(row.big, math.maxinteger)
    eq(#row, 5)
end)

test("a NUL byte in a PostgreSQL text parameter is a DataError", function()
    local url = os.getenv("RETORT_PG_URL")
    assert(url, "RETORT_PG_URL is not set")
    local err = raises(function() create_engine(url):execute("SELECT :s", {s = "a\0b"}) end,
        "contains a NUL byte")
    eq(err.class, "DataError")
    eq(err.text:match("%[parameters: (.*)%]"), "('a\\x00b',)")
end)

for_each_db("booleans", function(url, db)
    local e = create_engine(url)
    local v = e:execute("SELECT :b AS b", {b = true}):scalar()
    if db == "sqlite" then eq(v, 1) else eq(v, true) end
end)

test("postgresql types come back as Lua values", function()
    local url = os.getenv("RETORT_PG_URL")
    assert(url, "RETORT_PG_URL is not set")
    local e = create_engine(url)
    local r = e:execute([[SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, 1.5::float4 AS d,
        2.25::float8 AS f, 10::numeric AS g, 1.5::numeric AS h, 'x'::varchar AS i,
        'y'::char(2) AS j, true AS k, '\x00ff'::bytea AS l, DATE '2024-02-03' AS m,
        TIME '04:05:06' AS n, TIMESTAMP '2024-02-03 04:05:06' AS o,
        '{"a": 1}'::json AS p, '{"b": 2}'::jsonb AS q,
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS r, NULL::int AS s]]):one()
    eq(r.a, 1); eq(math.type(r.a), "integer"); eq(r.b, 2); eq(r.c, 3)
    eq(r.d, 1.5); eq(r.f, 2.25); eq(r.g, 10); eq(math.type(r.g), "integer"); eq(r.h, 1.5)
    eq(r.i, "x"); eq(r.j, "y "); eq(r.k, true); eq(r.l, "\0\255")
    eq(r.m, "2024-02-03"); eq(r.n, "04:05:06"); eq(r.o, "2024-02-03 04:05:06")
    eq(r.p, '{"a": 1}'); eq(r.q, '{"b": 2}'); eq(r.r, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    eq(r.s, nil)
end)

test("parameters that cannot be bound are rejected clearly", function()
    local e = create_engine("sqlite://")
    raises(function() e:execute("SELECT :x", {x = {}}) end,
        "cannot bind a table as the value of parameter 'x'")
    raises(function() e:execute("SELECT :x", {x = print}) end, "cannot bind a function")
    local err = raises(function() e:execute("SELECT :x", {}) end,
        "A value is required for bind parameter 'x'")
    eq(err.class, "InvalidRequestError")
    raises(function() e:execute("SELECT :x", {{x = 1}, {y = 2}}) end, "in parameter group 2")
    raises(function() e:execute("SELECT 1", 5) end, "parameters must be a table")
    raises(function() e:execute(42) end, "a statement (text(), select(), ...) or an SQL string")
end)

-- results

for_each_db("rows by position, name and key", function(url)
    local _, c = setup(url)
    local r = c:execute("SELECT id, name, price, note FROM rt_items ORDER BY id")
    eq(table.concat(r:keys(), ","), "id,name,price,note")
    local row = r:fetchone()
    eq(row[1], 1); eq(row.name, "apple"); eq(row["price"], 0.5); eq(row.note, nil)
    eq(#row, 4)
    eq(tostring(row), "(1, 'apple', 0.5, nil)")
    eq(table.concat(row:keys(), ","), "id,name,price,note")
    eq(row:totable().name, "apple")
    raises(function() return row.nope end, "Could not locate column in row for column 'nope'")
    local rest = r:fetchall()
    eq(#rest, 2)
    eq(tostring(rest[2]), "(3, 'plum', 2.0, 'it\\'s')")
    eq(r:fetchone(), nil)
end)

for_each_db("a row holds its values under their names; positions, NULLs, shared names", function(url)
    local _, c = setup(url)
    local row = c:execute("SELECT id, name, note FROM rt_items WHERE id = 1"):first()
    eq(rawget(row, "name"), "apple")          -- row.name is a plain table hit
    eq(rawget(row, 1), nil)                   -- positions go through the metatable
    eq(row[1], 1); eq(row[2], "apple"); eq(row[3], nil); eq(row[4], nil); eq(row[0], nil)
    eq(row[2.0], "apple")
    eq(row.note, nil); eq(row["note"], nil)
    eq(select("#", table.unpack(row)), 3)
    local seen = {}
    for k, v in pairs(row) do seen[#seen + 1] = k .. "=" .. tostring(v) end
    table.sort(seen)
    eq(table.concat(seen, ","), "id=1,name=apple")
    -- two columns named alike: each by position, the name is ambiguous
    row = c:execute("SELECT id, name, id AS name, 7 FROM rt_items WHERE id = 2"):first()
    eq(row[1], 2); eq(row[2], "pear"); eq(row[3], 2); eq(row[4], 7); eq(row.id, 2)
    raises(function() return row.name end, "ambiguous column name 'name' in row")
    eq(tostring(row), "(2, 'pear', 2, 7)")
    eq(row:totable().name, "pear")
    raises(function() return getmetatable(row).__index(5, 1) end, "table expected")
    -- column objects, also from a select() whose columns repeat a name
    local md = MetaData()
    local items = Table("rt_items", md, Column("id", Integer, {primary_key = true}),
                        Column("name", String(20)))
    row = c:execute(select({items.c.id, items.c.name}):where(items.c.id:eq(3))):first()
    eq(row[items.c.name], "plum"); eq(row[items.c.id], 3)
    eq(c:execute(select({items.c.name})):scalar(), "apple")
    eq(#c:execute(select({items.c.name})):scalars():all(), 3)
end)

for_each_db("fetchmany, first, one, scalar, scalars", function(url)
    local _, c = setup(url)
    local sel = "SELECT name FROM rt_items ORDER BY id"
    local r = c:execute(sel)
    eq(#r:fetchmany(2), 2)
    eq(#r:fetchmany(2), 1)
    eq(#r:fetchmany(2), 0)
    eq(c:execute(sel):first().name, "apple")
    eq(c:execute(sel):scalar(), "apple")
    eq(c:execute("SELECT name FROM rt_items WHERE id = 9"):first(), nil)
    eq(c:execute("SELECT name FROM rt_items WHERE id = 9"):scalar(), nil)
    local err = raises(function() c:execute("SELECT name FROM rt_items WHERE id = 9"):one() end,
        "No row was found when one was required")
    eq(err.class, "NoResultFound")
    assert(err:is(exc.InvalidRequestError))
    err = raises(function() c:execute(sel):one() end, "Multiple rows were found")
    eq(err.class, "MultipleResultsFound")
    eq(c:execute("SELECT name FROM rt_items WHERE id = 9"):one_or_none(), nil)
    eq(table.concat(c:execute(sel):scalars():all(), ","), "apple,pear,plum")
    eq(c:execute("SELECT id, name FROM rt_items ORDER BY id"):scalars(2):first(), "apple")
    local names = {}
    for n in c:execute(sel):scalars() do names[#names + 1] = n end
    eq(#names, 3)
end)

for_each_db("rowcount, closed results, results without rows", function(url)
    local _, c = setup(url)
    local r = c:execute("UPDATE rt_items SET price = price * 2 WHERE id < :n", {n = 3})
    eq(r.rowcount, 2)
    eq(r.returns_rows, false)
    local err = raises(function() r:fetchone() end, "does not return rows")
    eq(err.class, "ResourceClosedError")
    raises(function() return r.inserted_primary_key end, "only for insert() constructs")
    local s = c:execute("SELECT id FROM rt_items")
    s:close()
    eq(s.closed, true)
    raises(function() s:fetchone() end, "This result object is closed.")
    eq(c:execute("DELETE FROM rt_items WHERE id > :n", {n = 0}).rowcount, 3)
end)

test("lastrowid on SQLite", function()
    local e = create_engine("sqlite://")
    e:execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")
    e:execute("INSERT INTO t (x) VALUES ('a')")
    eq(e:execute("INSERT INTO t (x) VALUES ('b')").lastrowid, 2)
end)

-- errors as objects

for_each_db("database errors are objects with class, code and statement", function(url, db)
    local _, c = setup(url)
    local params = {id = 9, name = "apple"}
    local err = raises(function()
        c:execute("INSERT INTO rt_items (id, name) VALUES (:id, :name)", params)
    end, "(IntegrityError) ")
    eq(getmetatable(err).__name, "retort.Error")
    eq(err.class, "IntegrityError")
    assert(err:is("DatabaseError") and err:is(exc.DBAPIError) and not err:is("DataError"))
    eq(err.params, params)
    if db == "sqlite" then
        eq(err.message, "UNIQUE constraint failed: rt_items.name")
        eq(err.code, 2067)
        eq(err.statement, "INSERT INTO rt_items (id, name) VALUES (?, ?)")
        eq(tostring(err), "(IntegrityError) UNIQUE constraint failed: rt_items.name\n" ..
            "[SQL: INSERT INTO rt_items (id, name) VALUES (?, ?)]\n[parameters: (9, 'apple')]")
    else
        eq(err.sqlstate, "23505")
        eq(err.statement, "INSERT INTO rt_items (id, name) VALUES ($1, $2)")
        assert(err.message:find("DETAIL:  Key (name)=(apple) already exists.", 1, true))
    end
    -- the connection is still usable
    eq(c:execute("SELECT count(*) FROM rt_items"):scalar(), 3)
    err = raises(function() c:execute("SELEKT 1") end, "SELEKT")
    eq(err.class, db == "sqlite" and "OperationalError" or "ProgrammingError")
    eq(c:execute("SELECT 1"):scalar(), 1)
end)

test("error classes mirror SQLAlchemy's hierarchy", function()
    eq(tostring(exc.IntegrityError), "<class 'IntegrityError'>")
    eq(exc.IntegrityError.parent, exc.DatabaseError)
    eq(exc.DatabaseError.parent, exc.DBAPIError)
    eq(exc.NoResultFound.parent, exc.InvalidRequestError)
end)

-- closed handles and garbage collection

test("closed connections are rejected with a clear error", function()
    local e = create_engine("sqlite://")
    local c = e:connect()
    c:close()
    eq(c.closed, true)
    c:close() -- twice is harmless
    local err = raises(function() c:execute("SELECT 1") end, "This Connection is closed")
    eq(err.class, "ResourceClosedError")
    raises(function() c:begin() end, "This Connection is closed")
    raises(function() c.execute(e, "SELECT 1") end, "retort.Connection expected")
end)

test("__gc of parents and children in any order", function()
    for order = 1, 4 do
        local e = create_engine("sqlite://")
        local c = e:connect()
        local r = c:execute("SELECT 1 UNION ALL SELECT 2")
        local t = c:begin()
        r:fetchone()
        local mt_conn, mt_res = getmetatable(c), getmetatable(r)
        -- finalize explicitly in different orders, then let the collector run
        if order == 1 then mt_conn.__gc(c); mt_res.__gc(r)
        elseif order == 2 then mt_res.__gc(r); mt_conn.__gc(c)
        elseif order == 3 then getmetatable(e).__gc(e); mt_conn.__gc(c)
        end
        if order <= 2 then
            raises(function() r:fetchone() end, "attempt to use a freed result")
        else
            pcall(r.fetchone, r)   -- detached from its connection: must not crash
        end
        e, c, r, t = nil, nil, nil, nil
        collectgarbage(); collectgarbage()
    end
end)

test("a result outlives its dropped connection and engine", function()
    local r = create_engine("sqlite://"):connect():execute("SELECT 1 UNION ALL SELECT 2")
    collectgarbage(); collectgarbage()
    eq(#r:fetchall(), 2)
end)

test("connectionless results return their connection to the pool", function()
    local e = create_engine("sqlite:////tmp/retort_pool_test.db", {pool_size = 1, max_overflow = 0,
                                                                   pool_timeout = 0.1})
    for _ = 1, 5 do eq(e:execute("SELECT 1"):scalar(), 1) end
    local r = e:execute("SELECT 1 UNION ALL SELECT 2")
    eq(e:pool_status().checked_out, 1)
    local err = raises(function() e:connect() end, "QueuePool limit of size 1 overflow 0")
    eq(err.class, "TimeoutError")
    r:fetchall()
    eq(e:pool_status().checked_out, 0)
    e:execute("DROP TABLE IF EXISTS no_such_table")
    eq(e:pool_status().checked_out, 0)
    os.remove("/tmp/retort_pool_test.db")
end)

-- transactions

for_each_db("transactions, savepoints and markers", function(url)
    local _, c = setup(url)
    local count = function() return c:execute("SELECT count(*) FROM rt_items"):scalar() end
    local t = c:begin()
    eq(t.is_active, true)
    c:execute("DELETE FROM rt_items WHERE id = 1")
    local sp = c:begin_nested()
    c:execute("DELETE FROM rt_items WHERE id = 2")
    sp:rollback()
    eq(count(), 2)
    local inner = c:begin()          -- a marker: commits nothing
    inner:commit()
    t:commit()
    eq(t.is_active, false)
    eq(count(), 2)
    local err = raises(function() t:commit() end, "This transaction is inactive")
    eq(err.class, "InvalidRequestError")
    -- rolling back a marker rolls back the enclosing transaction
    t = c:begin()
    c:execute("DELETE FROM rt_items")
    c:begin():rollback()
    eq(t.is_active, false)
    raises(function() t:commit() end, "This transaction is inactive")
    t:rollback() -- harmless
    eq(count(), 2)
    eq(c:in_transaction(), false)
end)

for_each_db("to-be-closed transactions commit or roll back", function(url)
    local _, c = setup(url)
    do
        local t <close> = c:begin()
        c:execute("DELETE FROM rt_items WHERE id = 1")
    end
    eq(c:execute("SELECT count(*) FROM rt_items"):scalar(), 2)
    pcall(function()
        local t <close> = c:begin()
        c:execute("DELETE FROM rt_items")
        error("boom")
    end)
    eq(c:execute("SELECT count(*) FROM rt_items"):scalar(), 2)
end)

for_each_db("engine:begin commits, or rolls back on error", function(url)
    local e = setup(url)
    eq(e:begin(function(conn)
        conn:execute("DELETE FROM rt_items WHERE id = 1")
        return "done"
    end), "done")
    local err = raises(function()
        e:begin(function(conn)
            conn:execute("DELETE FROM rt_items")
            error({class = "Mine"})
        end)
    end, "table:")
    eq(err.class, "Mine")
    eq(e:execute("SELECT count(*) FROM rt_items"):scalar(), 2)
    raises(function() e:begin() end, "bad argument #1 to 'begin'")
end)

test("closing a connection rolls back its transaction", function()
    local e = create_engine("sqlite:////tmp/retort_close_test.db")
    e:execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    local c = e:connect()
    c:begin()
    c:execute("INSERT INTO t VALUES (1)")
    c:close()
    eq(e:execute("SELECT count(*) FROM t"):scalar(), 0)
    os.remove("/tmp/retort_close_test.db")
end)

test("a lost PostgreSQL connection is invalidated and replaced", function()
    local url = os.getenv("RETORT_PG_URL")
    assert(url, "RETORT_PG_URL is not set")
    local e = create_engine(url)
    local c = e:connect()
    local err = raises(function() c:execute("SELECT pg_terminate_backend(pg_backend_pid())") end,
        "terminating connection")
    eq(err.class, "OperationalError")
    eq(c:execute("SELECT 1"):scalar(), 1)  -- reconnected
    -- inside a transaction the loss must be acknowledged with a rollback
    local t = c:begin()
    raises(function() c:execute("SELECT pg_terminate_backend(pg_backend_pid())") end,
        "terminating connection")
    eq(c.invalidated, true)
    raises(function() c:execute("SELECT 1") end, "Can't reconnect until invalid transaction")
    t:rollback()
    eq(c:execute("SELECT 2"):scalar(), 2)
end)

test("pre_ping replaces connections that died in the pool", function()
    local url = os.getenv("RETORT_PG_URL")
    assert(url, "RETORT_PG_URL is not set")
    local e = create_engine(url, {pool_pre_ping = true})
    local pid = e:execute("SELECT pg_backend_pid()"):scalar()
    local killer = create_engine(url, {poolclass = "NullPool"})
    killer:execute("SELECT pg_terminate_backend(:p)", {p = pid})
    eq(e:execute("SELECT 1"):scalar(), 1)
end)
