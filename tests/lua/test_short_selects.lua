-- test_short_selects.lua: the fast paths of repeated lookups keep their
-- behaviour: the connection's recent prepared statement (and its cache
-- emptied when full), statements reused.

local function customers(url)
    local engine = create_engine(url)
    local metadata = MetaData()
    local customer = Table("customer", metadata,
        Column("id", Integer, {primary_key = true}),
        Column("name", String(50)))
    metadata:drop_all(engine)
    metadata:create_all(engine)
    engine:execute(customer:insert(), {{name = "a"}, {name = "b"}, {name = "c"}})
    return engine, customer, metadata
end

for_each_db("statements alternate, overflow the statement cache, and one stays open",
    function(url)
    local engine, customer, metadata = customers(url)
    local conn = engine:connect()
    local by_id = customer:select():where(customer.c.id:eq(bindparam("id")))
    local by_name = customer:select():where(customer.c.name:eq(bindparam("name")))
    for i = 1, 3 do
        eq(conn:execute(by_id, {id = i}):first().id, i)
        eq(conn:execute(by_name, {name = ("abc"):sub(i, i)}):first().id, i)
    end
    local open = conn:execute(by_id, {id = 1})   -- holds its statement
    eq(conn:execute(by_id, {id = 2}):first().name, "b")
    for i = 1, 300 do                            -- more texts than the cache keeps
        local k = literal_column(("%d + 0 * %d"):format(i % 3 + 1, i))
        eq(conn:execute(customer:select():where(customer.c.id:eq(k))):first().id, i % 3 + 1)
    end
    eq(open:first().name, "a")
    eq(conn:execute(by_id, {id = 3}):first().name, "c")
    eq(conn:execute(by_name, {name = "a"}):first().id, 1)
    conn:close()
    metadata:drop_all(engine)
end)

test("comparisons with plain values make their binds without Lua objects, and check first",
    function()
    local metadata = MetaData()
    local t = Table("t", metadata, Column("id", Integer, {primary_key = true}),
                    Column("name", String(20)))
    eq(tostring(t.c.id:eq(5)), "t.id = :id_1")
    eq(tostring(t.c.name:ne("x")), "t.name != :name_1")
    eq(tostring(t.c.id:eq(nil)), "t.id IS NULL")
    eq(tostring(t.c.id:ne(null)), "t.id IS NOT NULL")
    eq(tostring(5 + t.c.id), ":param_1 + t.id")   -- (as before: the bind is on the left)
    eq(tostring(t.c.id:lt(t.c.id + 1)), "t.id < t.id + :id_1")
    raises(function() return t.c.id:eq({}) end, "an SQL expression or a value expected")
    raises(function() return t.c.id:eq(t:select()) end, "a column expression expected")
    raises(function() return t.c.id.eq(5, 6) end, "a column expression expected")
    local cond = t.c.id:eq(7)
    collectgarbage()
    eq(tostring(cond), "t.id = :id_1")   -- its bind lives in the comparison
end)

test("column collections: by key and position, errors, and misuse of their functions",
    function()
    local metadata = MetaData()
    local t = Table("t", metadata, Column("id", Integer, {primary_key = true}),
                    Column("name", String(20)))
    local a = t:alias("a")
    eq(tostring(t.c.name), "t.name")
    eq(tostring(a.c[2]), "a.name")
    eq(#a.c, 2)
    eq(tostring(t:select():subquery("s").c.id), "s.id")
    raises(function() return t.c.nope end, "no column 'nope'")
    local index = getmetatable(t.c).__index
    raises(function() return index({}, "id") end, "ColumnCollection expected")
    raises(function() return index(setmetatable({}, {}), "id") end, "ColumnCollection expected")
end)

-- query(X):filter(X.c:eq(v)):first() runs one statement (LIMIT 1), reused
-- with each new value: the values stay right, LIMIT included.
for_each_db("first() of a one-comparison query reuses its statement with the new value",
    function(url, db)
    local engine, customer, metadata = customers(url)
    local Customer = class("Customer")
    mapper(Customer, customer)
    local lines = {}
    engine:set_echo_sink(function(l) lines[#lines + 1] = l end)
    engine.echo = true
    local s = Session(engine)
    for _, name in ipairs({"c", "a", "b", "a"}) do
        eq(s:query(Customer):filter(Customer.name:eq(name)):first().name, name)
    end
    eq(s:query(Customer):filter(Customer.name:eq("zzz")):first(), nil)
    eq(s:query(Customer):filter(Customer.id:ge(2)):first().id >= 2, true)
    eq(s:query(Customer):filter(Customer.name:eq("b")):one().name, "b")   -- LIMIT-less one
    local params = {}
    for _, l in ipairs(lines) do
        if l:match("^%(") then params[#params + 1] = l end
    end
    local limit = db == "sqlite" and ", 1, 0)" or ", 1)"
    eq(params[1], "('c'" .. limit); eq(params[2], "('a'" .. limit)
    eq(params[3], "('b'" .. limit); eq(params[4], "('a'" .. limit)
    eq(params[5], "('zzz'" .. limit); eq(params[6], "(2" .. limit)
    eq(params[7], "('b',)")
    s:close()
    engine.echo = false
    metadata:drop_all(engine)
end)
