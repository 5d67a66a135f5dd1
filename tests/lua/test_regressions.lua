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
