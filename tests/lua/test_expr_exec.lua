-- test_expr_exec.lua: the expression language run on SQLite and PostgreSQL:
-- operators, joins, grouping, subqueries, unions and DML find the rows they
-- should; rows are keyed by column objects; inserted_primary_key for
-- generated, composite and explicit keys; text() and bindparam(); values
-- never spliced into SQL; the compiled-statement cache (compile_count());
-- values of the wrong type; regressions.  The golden SQL is in
-- test_expr.lua.

-- === execution on both databases ===

-- Fresh tables for one test on the database at url (dropped first: the
-- PostgreSQL database is shared between runs).
local function setup(url)
    local e = create_engine(url)
    local m = MetaData()
    local t = {}
    t.users = Table("rtx_users", m,
        Column("id", Integer, {primary_key = true}),
        Column("name", String(50), {nullable = false}),
        Column("fullname", String))
    t.addresses = Table("rtx_addresses", m,
        Column("id", Integer, {primary_key = true}),
        Column("user_id", Integer, ForeignKey("rtx_users.id")),
        Column("email_address", String(100)))
    t.pairs = Table("rtx_pairs", m,
        Column("a", Integer, {primary_key = true, autoincrement = false}),
        Column("b", String(10), {primary_key = true}),
        Column("v", String(10)))
    m:drop_all(e)
    m:create_all(e)
    e:execute(t.users:insert(), {{name = "ed", fullname = "Ed Jones"},
                                 {name = "wendy", fullname = "Wendy Williams"},
                                 {name = "mary", fullname = "Mary Contrary"}})
    e:execute(t.addresses:insert(), {{user_id = 1, email_address = "ed@ed.com"},
                                     {user_id = 1, email_address = "ed@bettyboop.com"},
                                     {user_id = 2, email_address = "wendy@aol.com"}})
    return e, t, m
end

local function rows(result)
    local out = {}
    for row in result do
        local r = {}
        for i = 1, #row do r[i] = tostring(row[i]) end
        out[#out + 1] = "(" .. table.concat(r, ", ") .. ")"
    end
    return table.concat(out, " ")
end

for_each_db("comparisons, IN, LIKE, BETWEEN run and find their rows", function(url)
    local e, t, m = setup(url)
    local c = t.users.c
    local function ids(cond)
        return rows(e:execute(select(c.id):where(cond):order_by(c.id)))
    end
    eq(ids(c.name:eq("ed")), "(1)")
    eq(ids(c.name:ne("ed")), "(2) (3)")
    eq(ids(c.id:gt(1) & c.id:le(3)), "(2) (3)")
    eq(ids(c.name:in_({"ed", "mary"})), "(1) (3)")
    eq(ids(c.name:notin_({"ed", "mary"})), "(2)")
    eq(ids(c.id:in_({})), "")
    eq(ids(c.name:like("%e%")), "(1) (2)")
    eq(ids(c.name:ilike("W%")), "(2)")
    eq(ids(c.id:between(2, 3)), "(2) (3)")
    eq(ids(~c.id:between(2, 3)), "(1)")
    eq(ids(c.fullname:startswith("Mary")), "(3)")
    eq(ids(c.fullname:endswith("Jones")), "(1)")
    eq(ids(c.fullname:contains("dy W")), "(2)")
    eq(ids(c.fullname:eq(nil)), "")
    eq(ids(c.fullname:isnot(null)), "(1) (2) (3)")
    eq(ids(or_(c.name:eq("ed"), c.name:eq("mary")) & ~c.id:eq(3)), "(1)")
    eq(ids((c.id * 2 + 1):eq(5)), "(2)")
    eq(ids((c.name .. "!"):eq("ed!")), "(1)")
    m:drop_all(e)
end)

for_each_db("joins, grouping, subqueries, EXISTS and unions run", function(url)
    local e, t, m = setup(url)
    local u, a = t.users.c, t.addresses.c
    eq(rows(e:execute(select(u.name, a.email_address)
        :select_from(t.users:join(t.addresses)):order_by(a.id))),
        "(ed, ed@ed.com) (ed, ed@bettyboop.com) (wendy, wendy@aol.com)")
    eq(rows(e:execute(select(u.name, a.email_address)
        :select_from(t.users:outerjoin(t.addresses)):where(a.id:eq(nil)))), "(mary, nil)")
    eq(rows(e:execute(select(a.user_id, func.count(a.id):label("n")):group_by(a.user_id)
        :having(func.count(a.id):gt(1)))), "(1, 2)")
    local n = select(func.count(a.id)):where(a.user_id:eq(u.id)):scalar_subquery()
    eq(rows(e:execute(select(u.name, n:label("n")):order_by(u.id))), "(ed, 2) (wendy, 1) (mary, 0)")
    eq(rows(e:execute(select(u.name):where(~exists(select(a.id):where(a.user_id:eq(u.id)))))),
        "(mary)")
    local s = select(u.id, u.name):where(u.id:gt(1)):subquery("s")
    eq(rows(e:execute(select(s.c.name):order_by(s.c.id:desc()))), "(mary) (wendy)")
    eq(rows(e:execute(union(select(u.name):where(u.id:eq(1)), select(u.name):where(u.id:eq(3)))
        :order_by(u.name))), "(ed) (mary)")
    eq(rows(e:execute(select(u.name):order_by(u.id):limit(1):offset(1))), "(wendy)")
    eq(rows(e:execute(select(u.name):order_by(u.id):offset(2))), "(mary)")
    eq(rows(e:execute(select(case({{u.id:eq(1), "one"}}, {else_ = "many"}), cast(u.id, String(5)))
        :order_by(u.id):limit(2))), "(one, 1) (many, 2)")
    eq(rows(e:execute(select(func.lower(u.fullname)):where(u.id:eq(1)))), "(ed jones)")
    m:drop_all(e)
end)

for_each_db("rows are keyed by column objects, labels and names", function(url)
    local e, t, m = setup(url)
    local u, a = t.users.c, t.addresses.c
    local row = e:execute(select(u.id, u.name, a.email_address, u.fullname:label("full"))
        :select_from(t.users:join(t.addresses)):order_by(a.id)):first()
    eq(row[u.name], "ed")
    eq(row[u.id], 1)
    eq(row[a.email_address], "ed@ed.com")
    eq(row.full, "Ed Jones")
    eq(row[3], "ed@ed.com")
    raises(function() return row[u.fullname] end, "Could not locate column in row")
    local al = t.users:alias("x")
    row = e:execute(select(al.c.name):where(al.c.id:eq(2))):one()
    eq(row[al.c.name], "wendy")
    local labelled = e:execute(select(t.users, t.addresses):apply_labels()
        :where(u.id:eq(a.user_id)):order_by(a.id)):first()
    eq(labelled.rtx_users_name, "ed")
    eq(labelled[a.email_address], "ed@ed.com")
    m:drop_all(e)
end)

-- Rows of the same SQL text share a metatable only while they have the same
-- column names and column objects.
for_each_db("rows of statements of the same shape keep their own keys", function(url, dbname)
    local e, t, m = setup(url)
    local u = t.users.c
    local x1, x2 = func.lower(u.name), func.lower(u.name)
    local r1 = e:execute(select(x1):where(u.id:eq(1))):first()
    local r2 = e:execute(select(x2):where(u.id:eq(2))):first()
    eq(r1[x1], "ed")
    eq(r2[x2], "wendy")
    raises(function() return r2[x1] end, "Could not locate column in row")
    raises(function() return r1[x2] end, "Could not locate column in row")
    if dbname ~= "sqlite" then return m:drop_all(e) end   -- (a prepared plan keeps its columns)
    local star = text("SELECT * FROM rtx_pairs")
    e:execute(t.pairs:insert(), {a = 1, b = "x", v = "y"})
    local before = e:execute(star):first()
    eq(#before, 3)
    e:execute("ALTER TABLE rtx_pairs ADD COLUMN w INTEGER")
    local after = e:execute(star):first()
    eq(#after, 4)
    eq(table.concat(after:keys(), ","), "a,b,v,w")
    eq(table.concat(before:keys(), ","), "a,b,v")
    raises(function() return before.w end, "Could not locate column in row")
    eq(after.w, nil)
    eq(after.v, "y")
    -- the same statement, columns renamed: its results keep their own names
    local kept = e:execute(star)
    eq(table.concat(kept:keys(), ","), "a,b,v,w")
    e:execute("ALTER TABLE rtx_pairs RENAME COLUMN w TO z")
    local renamed = e:execute(star)
    eq(table.concat(renamed:keys(), ","), "a,b,v,z")
    eq(table.concat(kept:keys(), ","), "a,b,v,w")
    eq(kept:first().w, nil)
    eq(#renamed:first(), 4)
    local again = e:execute(star)             -- (the statement kept was prepared before)
    eq(table.concat(again:keys(), ","), "a,b,v,z")
    raises(function() return again:first().w end, "Could not locate column in row")
    m:drop_all(e)
end)

for_each_db("insert, update and delete run, with rowcount", function(url)
    local e, t, m = setup(url)
    local u = t.users.c
    eq(e:execute(t.users:update():where(u.name:eq("ed")):values({fullname = u.name .. " J."})).rowcount, 1)
    eq(e:execute(select(u.fullname):where(u.id:eq(1))):scalar(), "ed J.")
    local upd = t.users:update():where(u.id:eq(bindparam("uid"))):values({name = bindparam("newname")})
    eq(e:execute(upd, {{uid = 2, newname = "w"}, {uid = 3, newname = "m"}}).rowcount, 2)
    eq(rows(e:execute(select(u.name):order_by(u.id))), "(ed) (w) (m)")
    local corr = select(func.count(t.addresses.c.id)):where(t.addresses.c.user_id:eq(u.id))
    e:execute(t.users:update():values({fullname = corr}))
    eq(rows(e:execute(select(u.fullname):order_by(u.id))), "(2) (1) (0)")
    eq(e:execute(t.addresses:delete():where(t.addresses.c.user_id:eq(1))).rowcount, 2)
    eq(e:execute(t.users:delete():where(~exists(select(t.addresses.c.id)
        :where(t.addresses.c.user_id:eq(u.id))))).rowcount, 2)
    eq(e:execute(select(func.count()):select_from(t.users)):scalar(), 1)
    local ins = t.addresses:insert():from_select({"user_id", "email_address"},
        select(u.id, u.name .. "@example.com"))
    eq(e:execute(ins).rowcount, 1)
    eq(e:execute(select(t.addresses.c.email_address)
        :where(t.addresses.c.email_address:like("%@example.com"))):scalar(), "w@example.com")
    m:drop_all(e)
end)

for_each_db("inserted_primary_key: generated, composite, explicit", function(url, db)
    local e, t, m = setup(url)
    local r = e:execute(t.users:insert(), {name = "jack"})
    eq(r.inserted_primary_key[1], 4)
    eq(#r.inserted_primary_key, 1)
    r = e:execute(t.users:insert():values({name = "jill"}))
    eq(r.inserted_primary_key[1], 5)
    r = e:execute(t.users:insert(), {id = 42, name = "explicit"})
    eq(r.inserted_primary_key[1], 42)
    r = e:execute(t.pairs:insert(), {a = 7, b = "x", v = "seven"})
    eq(r.inserted_primary_key[1], 7)
    eq(r.inserted_primary_key[2], "x")
    r = e:execute(t.pairs:insert():values({a = 8, b = "y"}))
    eq(table.concat(r.inserted_primary_key, ","), "8,y")
    local ret = e:execute(t.users:insert():values({name = "ret"}):returning(t.users.c.id,
        t.users.c.name)):one()
    eq(ret[t.users.c.name], "ret")
    eq(e:execute(select(t.users.c.name):where(t.users.c.id:eq(ret[t.users.c.id]))):scalar(), "ret")
    local many = e:execute(t.users:insert(), {{name = "a"}, {name = "b"}})
    raises(function() return many.inserted_primary_key end, "executemany")
    -- PostgreSQL returns the new key through RETURNING; SQLite has lastrowid
    local sql = tostring(t.users:insert():values({name = "x"}):compile(e))
    eq(sql:match("RETURNING .*$"), db == "postgresql" and "RETURNING rtx_users.id" or nil)
    m:drop_all(e)
end)

for_each_db("text() and bindparam() statements run with their parameters", function(url)
    local e, t, m = setup(url)
    local u = t.users.c
    eq(rows(e:execute(text("SELECT name FROM rtx_users WHERE id = :id"), {id = 2})), "(wendy)")
    local s = select(u.name):where(u.id:eq(bindparam("uid")))
    eq(rows(e:execute(s, {uid = 1})), "(ed)")
    eq(rows(e:execute(s, {uid = 3})), "(mary)")
    raises(function() e:execute(s) end, "A value is required for bind parameter 'uid'")
    local typed = select(u.name):where(u.id:eq(bindparam("uid", 2, Integer)))
    eq(rows(e:execute(typed)), "(wendy)")
    eq(rows(e:execute(typed, {uid = 3})), "(mary)")
    m:drop_all(e)
end)

test("SQLite numbers an explicit NULL key; inserted_primary_key says which", function()
    local e, t, m = setup("sqlite://")
    eq(e:execute(t.users:insert():values({null, "n"})).inserted_primary_key[1], 4)
    eq(e:execute(t.users:insert(), {id = null, name = "o"}).inserted_primary_key[1], 5)
    eq(e:execute(t.users:insert():values({6, "p"})).inserted_primary_key[1], 6)
    m:drop_all(e)
end)

-- === values are parameters, never SQL text ===

for_each_db("values never become SQL text", function(url)
    local e, t, m = setup(url)
    local u = t.users.c
    local evil = "x'; DROP TABLE rtx_users; --"
    local s = select(u.id):where(u.name:eq(evil) | u.fullname:like(evil))
    for _, sql in ipairs({tostring(s), tostring(s:compile(e))}) do
        assert(not sql:find("DROP", 1, true), sql)
    end
    eq(rows(e:execute(s)), "")
    e:execute(t.users:insert(), {name = evil})
    eq(e:execute(select(u.name):where(u.name:eq(evil))):scalar(), evil)
    eq(e:execute(select(func.count()):select_from(t.users)):scalar(), 4)
    local lit = select(literal(evil), u.name:op("||")(evil)):where(u.id:in_({1, evil}))
    assert(not tostring(lit:compile(e)):find("DROP", 1, true))
    local upd = t.users:update():values({fullname = evil}):where(u.name:eq(evil))
    assert(not tostring(upd:compile(e)):find("DROP", 1, true))
    eq(e:execute(upd).rowcount, 1)
    m:drop_all(e)
end)

-- === the compiled-statement cache ===

for_each_db("the same shape with new values does not compile again", function(url)
    local e, t, m = setup(url)
    local u = t.users.c
    local function find(name)
        return e:execute(select(u.id):where(u.name:eq(name) & u.id:gt(0)):order_by(u.id)):scalar()
    end
    eq(find("ed"), 1)
    local before = compile_count()
    eq(find("wendy"), 2)
    eq(find("mary"), 3)
    eq(compile_count(), before, "compilations for new statements of the same shape")
    local s = select(u.name):where(u.id:eq(bindparam("id")))
    e:execute(s, {id = 1}):close()
    before = compile_count()
    for i = 1, 3 do eq(e:execute(s, {id = i}):scalar(), ({"ed", "wendy", "mary"})[i]) end
    eq(compile_count(), before, "compilations for the same statement")
    e:execute(t.users:insert(), {name = "x1"})
    before = compile_count()
    e:execute(t.users:insert(), {name = "x2"})
    e:execute(t.users:insert():values({name = "x3"}))
    local after_values = compile_count()
    e:execute(t.users:insert():values({name = "x4"}))
    eq(compile_count(), after_values, "insert().values() of the same shape")
    e:execute(t.users:insert(), {name = "x5", fullname = "other keys, other shape"})
    eq(compile_count(), after_values + 1, "new execution keys compile once")
    eq(before, after_values - 1, "values() is a shape of its own")
    m:drop_all(e)
end)

for_each_db("statements of one shape each bind their own values, also once the first is gone",
            function(url)
    local e, t, m = setup(url)
    local u = t.users.c
    local function stmt(name) return select(u.id):where(u.name:eq(name)) end
    local first, second = stmt("ed"), stmt("wendy")   -- second shares first's compilation
    eq(e:execute(first):scalar(), 1)
    eq(e:execute(second):scalar(), 2)
    eq(e:execute(first):scalar(), 1, "the first statement keeps its own value")
    first = nil
    collectgarbage()
    collectgarbage()
    eq(e:execute(second):scalar(), 2, "after the first statement is collected")
    eq(e:execute(stmt("mary")):scalar(), 3, "a new statement of the shape")
    -- values the statement carries and execution parameters together
    local s = select(u.id):where(u.name:eq(bindparam("n")) & u.id:gt(1))
    eq(e:execute(s, {n = "wendy"}):scalar(), 2)
    eq(e:execute(s, {n = "ed"}):scalar(), nil)
    m:drop_all(e)
end)

test("an expression reached again through a statement is the same object", function()
    local m = MetaData()
    local t = Table("ident_t", m, Column("id", Integer, {primary_key = true}))
    local lbl = t.c.id:label("x")
    local s = select(lbl)
    assert(rawequal(s.selected_columns.x, lbl), "the label given to select()")
    local s2 = select(t.c.id:label("y"))
    assert(rawequal(s2.selected_columns.y, s2.selected_columns.y), "a label made in the call")
    assert(rawequal(t.c.id, t.c.id), "a table's column")
    assert(rawequal(t.c, t.columns), "a table's column collection")
    eq(t.name, "ident_t")
    eq(t.schema, nil)
    eq(type(t.select), "function")
end)

for_each_db("values of the wrong type", function(url)
    local e, t, m = setup(url)
    local c = t.users.c
    -- a string compared with an Integer column is fine in SQL
    eq(tostring(c.id:eq("5")), "rtx_users.id = :id_1")
    -- a Lua table or function is not a value
    raises(function() return c.id:eq({1}) end, "an SQL expression or a value expected, got table")
    raises(function() return c.name:in_({"a", {}}) end, "got table")
    raises(function() return c.id:eq(print) end, "got function")
    raises(function() return t.users:insert():values({name = {}}) end, "got table")
    raises(function() e:execute(t.users:insert(), {name = {}}) end,
        "cannot bind a table as the value of parameter 'name'")
    raises(function() e:execute(select(c.id):where(c.id:eq(bindparam("x"))), {x = print}) end,
        "cannot bind a function")
    raises(function() e:execute(select(c.id), 5) end, "parameters must be a table")
    m:drop_all(e)
end)

-- === regressions ===

for_each_db("rows keyed by columns after the statement is collected", function(url)
    -- the compiled statement's result columns point into the statement: the
    -- result must keep it alive until its rows are made (was a use after free)
    local e, t, m = setup(url)
    local r = e:execute(select(t.users.c.id:label("n"), t.users.c.name .. "!")
        :order_by(t.users.c.id))
    collectgarbage()
    collectgarbage()
    local row = r:fetchone()
    eq(row.n, 1)
    eq(row[2], "ed!")
    r:close()
    m:drop_all(e)
end)

for_each_db("a TypeDecorator processes the statement's own values", function(url)
    local e = create_engine(url)
    local m = MetaData()
    local Prefixed = TypeDecorator({impl = String(30),
        process_bind_param = function(v) return "P:" .. v end,
        process_result_value = function(v) return v:sub(3) end})
    local t = Table("rtx_prefixed", m, Column("id", Integer, {primary_key = true}),
        Column("v", Prefixed), Column("blob", LargeBinary))
    m:drop_all(e)
    m:create_all(e)
    e:execute(t:insert():values({v = "a", blob = "\0\1"}))
    e:execute(t:insert(), {v = "b", blob = "\0\2"})
    eq(e:execute(text("SELECT v FROM rtx_prefixed WHERE id = 1")):scalar(), "P:a")
    eq(e:execute(select(t.c.id):where(t.c.v:eq("b"))):scalar(), 2)
    eq(e:execute(select(t.c.id):where(t.c.v:in_({"a", "zz"}))):scalar(), 1)
    eq(e:execute(select(t.c.v):where(t.c.blob:eq("\0\2"))):scalar(), "b")
    e:execute(t:update():values({v = "c"}):where(t.c.id:eq(1)))
    eq(e:execute(text("SELECT v FROM rtx_prefixed WHERE id = 1")):scalar(), "P:c")
    m:drop_all(e)
end)

test("statements differing only in an Enum's labels do not share a compiled form", function()
    local e = create_engine("sqlite://")
    local m = MetaData()
    local t = Table("enum_shape", m, Column("x", String(5)))
    m:create_all(e)
    local conn = e:connect()
    local ab, cd = Enum("a", "b"), Enum("c", "d")
    conn:execute(t:insert():values({x = bindparam("v", nil, ab)}), {v = "a"})
    conn:execute(t:insert():values({x = bindparam("v", nil, cd)}), {v = "c"})
    raises(function()
        conn:execute(t:insert():values({x = bindparam("v", nil, cd)}), {v = "a"})
    end, "'a' is not among the defined enum values")
    eq(conn:execute(select(func.count()):select_from(t)):scalar(), 2)
    conn:close()
end)
