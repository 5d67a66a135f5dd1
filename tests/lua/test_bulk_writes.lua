-- test_bulk_writes.lua: the write paths made faster for issue 5 keep their
-- behaviour: values() rows in every key form, parameters read from the sets
-- without copies, flushes that release many states at once.

local function customer_table()
    local md = MetaData()
    return Table("customer", md, Column("id", Integer, {primary_key = true}),
                 Column("name", String(40)), Column("n", Integer))
end

for_each_db("multi-row values(): rows keyed by names, columns or position insert alike",
            function(url)
    local t = customer_table()
    local e = create_engine(url)
    t.metadata:drop_all(e)
    t.metadata:create_all(e)
    e:execute(t:insert():values({{id = 1, name = "a", n = 1}, {[t.c.id] = 2, name = "b", n = 2},
                                 {3, "c", 3}, {id = 4, name = null, n = 4}}))
    local rows = e:execute(t:select():order_by(t.c.id)):all()
    eq(#rows, 4)
    eq(rows[2].name, "b")
    eq(rows[3].name, "c")
    eq(rows[4].name, nil)
    raises(function() return t:insert():values({{name = "x"}, {n = 1}}) end,
           "multi-row values: row 2 has other columns than row 1")
    raises(function() return t:insert():values({{name = "x", nope = 1}}) end,
           "Unconsumed column names: nope")
    raises(function() return t:insert():values({{name = {1}}}) end,
           "bad argument #1 to 'values' (an SQL expression or a value expected, got table)")
    raises(function() return t:insert():values({name = t}) end,
           "bad argument #1 to 'values' (a column expression expected")
    t.metadata:drop_all(e)
end)

for_each_db("executemany text parameters, then a select whose rows are read later",
            function(url)
    local t = customer_table()
    local e = create_engine(url)
    t.metadata:drop_all(e)
    t.metadata:create_all(e)
    local rows = {}
    for i = 1, 300 do rows[i] = {name = "name " .. i, n = i} end
    e:execute(t:insert(), rows)
    rows = nil
    local conn = e:connect()
    local res = conn:execute(t:select():where(t.c.name:ge(bindparam("low"))):order_by(t.c.id),
                             {low = ("name " .. 2)})
    collectgarbage()
    collectgarbage()
    local count = 0
    for _, r in ipairs(res:all()) do
        assert(r.name >= "name 2", r.name)
        count = count + 1
    end
    eq(count, 300 - 111)   -- all but name 1, name 10-19 and name 100-199
    conn:close()
    t.metadata:drop_all(e)
end)

for_each_db("a flush of many objects leaves none held, and a later change is dirty again",
            function(url)
    local t = customer_table()
    local e = create_engine(url)
    t.metadata:drop_all(e)
    t.metadata:create_all(e)
    local C = class("BulkCustomer")
    mapper(C, t)
    local s = Session(e)
    local objs = {}
    for i = 1, 500 do objs[i] = C({name = "c" .. i, n = i}) end
    s:add_all(objs)
    s:flush()
    eq(#s.new, 0)
    eq(#s.dirty, 0)
    eq(objs[500].id, 500)
    objs[250].name = "changed"
    eq(#s.dirty, 1)
    s:flush()
    eq(#s.dirty, 0)
    s:commit()
    eq(e:execute(select(t.c.name):where(t.c.id:eq(250))):scalar(), "changed")
    s:close()
    t.metadata:drop_all(e)
end)

for_each_db("an UPDATE flush keeps the identity map right when the key changes or not",
            function(url)
    local t = customer_table()
    local e = create_engine(url)
    t.metadata:drop_all(e)
    t.metadata:create_all(e)
    local C = class("KeyedCustomer")
    mapper(C, t)
    local s = Session(e)
    s:add_all({C({id = 1, name = "a"}), C({id = 2, name = "b"})})
    s:commit()
    local a, b = s:get(C, 1), s:get(C, 2)
    a.name = "a2"                -- identity unchanged
    b.id = 20                    -- identity changed
    s:flush()
    assert(s:get(C, 1) == a)
    assert(s:get(C, 20) == b)
    eq(s:get(C, 2), nil)
    s:commit()
    eq(e:execute(select(t.c.name):where(t.c.id:eq(20))):scalar(), "b")
    s:close()
    t.metadata:drop_all(e)
end)

test("a class's __init is used when set after mapping, and only its own", function()
    local t = customer_table()
    local C = class("InitCustomer")
    mapper(C, t)
    eq(C({name = "x"}).name, "x")
    C.__init = function(self, name) self.name = name .. "!" end
    eq(C("y").name, "y!")
    C.__init = nil
    eq(C({name = "z"}).name, "z")
end)
