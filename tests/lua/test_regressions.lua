-- test_regressions.lua: one test per bug fixed in the binding, each written
-- to fail before its fix.

local function items_table()
    local md = MetaData()
    return Table("items", md, Column("id", Integer, {primary_key = true}),
                 Column("name", String(40)))
end

test("multi-row values() with many rows does not overflow the Lua stack", function()
    local items = items_table()
    local rows = {}
    for i = 1, 2000 do rows[i] = {name = "n" .. i} end
    local e = create_engine("sqlite://")
    items.metadata:create_all(e)
    e:execute(items:insert():values(rows))
    eq(e:execute(select(func.count(items.c.id))):scalar(), 2000)
end)

test("in_() leaves the caller's list as it was", function()
    local items = items_table()
    local ids = {1, 2, 3}
    local _ = items.c.id:in_(ids)
    eq(math.type(ids[1]), "integer")
    eq(#ids, 3)
end)

test("case() with many WHENs does not overflow the Lua stack", function()
    local items = items_table()
    local whens = {}
    for i = 1, 200 do whens[i] = {items.c.id:eq(i), "v" .. i} end
    local c = case(whens, {else_ = "other"})
    assert(tostring(c):find("WHEN (items.id = :id_200) THEN :param_200", 1, true), tostring(c))
end)

for_each_db("func.count('*') runs: string arguments of functions are typed on PostgreSQL",
            function(url)
    eq(create_engine(url):execute(select(func.count("*"))):scalar(), 1)
    eq(tostring(select(func.lower("AB")):compile("postgresql")),
       "SELECT lower($1::VARCHAR) AS lower_1")
    eq(tostring(select(func.lower("AB")):compile("sqlite")), "SELECT lower(?) AS lower_1")
end)

-- PostgreSQL refused a prepared statement again once its table changed
-- ("cached plan must not change result type"), on that connection forever.
for_each_db("SELECT * runs again after ALTER TABLE on the same connection", function(url, db)
    local e = create_engine(url)
    e:execute("DROP TABLE IF EXISTS rt_altered")
    e:execute("CREATE TABLE rt_altered (id INTEGER PRIMARY KEY, a VARCHAR(10))")
    e:execute("INSERT INTO rt_altered VALUES (1, 'x')")
    local conn = e:connect()
    eq(#conn:execute("SELECT * FROM rt_altered"):first(), 2)
    conn:execute("ALTER TABLE rt_altered ADD COLUMN b VARCHAR(10)")
    local row = conn:execute("SELECT * FROM rt_altered"):first()
    eq(#row, 3); eq(row.a, "x"); eq(row.b, nil)
    -- inside a transaction PostgreSQL has already failed it: the statement
    -- is prepared again once the transaction is rolled back
    conn:execute("ALTER TABLE rt_altered ADD COLUMN c VARCHAR(10)")
    local t = conn:begin()
    if db == "postgresql" then
        raises(function() conn:execute("SELECT * FROM rt_altered") end,
               "cached plan must not change result type")
        t:rollback()
        t = conn:begin()
    end
    eq(#conn:execute("SELECT * FROM rt_altered"):first(), 4)
    t:commit()
    conn:close()
    e:execute("DROP TABLE rt_altered")
    e:dispose()
end)

-- An in-memory SQLite engine has one connection, shared: while a session's
-- transaction was open on it, create_all() or an autocommit statement sent
-- BEGIN again and failed ("cannot start a transaction within a transaction").
test("an in-memory engine runs DDL and autocommit statements while a session's transaction is open", function()
    local e = create_engine("sqlite://")
    local md = MetaData()
    local a = Table("rt_shared_a", md, Column("id", Integer, {primary_key = true}))
    md:create_all(e)
    local A = class("A"); mapper(A, a)
    local s = Session(e)
    s:add(A({id = 1}))
    s:flush()
    local md2 = MetaData()
    local b = Table("rt_shared_b", md2, Column("id", Integer, {primary_key = true}))
    md2:create_all(e)                                   -- inside the session's transaction
    e:execute(b:insert(), {id = 7})
    raises(function() e:execute(b:insert(), {id = 7}) end, "UNIQUE constraint failed")
    eq(e:execute("SELECT count(*) FROM rt_shared_a"):scalar(), 1)   -- the session's row is kept
    eq(e:execute("SELECT count(*) FROM rt_shared_b"):scalar(), 1)
    s:commit()
    eq(e:execute("SELECT count(*) FROM rt_shared_a"):scalar(), 1)
    eq(e:execute("SELECT count(*) FROM rt_shared_b"):scalar(), 1)
    -- what the session rolls back goes, what ran beside it in its
    -- transaction too (it was one transaction on one connection)
    s:add(A({id = 2}))
    s:flush()
    e:execute(b:insert(), {id = 8})
    s:rollback()
    eq(e:execute("SELECT count(*) FROM rt_shared_a"):scalar(), 1)
    eq(e:execute("SELECT count(*) FROM rt_shared_b"):scalar(), 1)
    s:close()
end)
