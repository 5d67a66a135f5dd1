-- test_orm.lua: the ORM foundation from Lua: classical and declarative
-- mapping, instances over C state, the session lifecycle, the identity map
-- and garbage collection, flush atomicity (every statement of a flush made
-- to fail in turn), queries, and bad input; on SQLite and PostgreSQL.

local function model(url, opts)
    local e = create_engine(url)
    local Base = declarative_base()
    local User = Base:class("User", {
        __tablename = "orm_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(40), {unique = true, nullable = false}),
        fullname = Column(String),
        nickname = Column(String, {default = "nick"}),
        greet = function(self) return "hi " .. self.name end,
    })
    local Address = Base:class("Address", {
        __tablename = "orm_addresses",
        id = Column(Integer, {primary_key = true}),
        user_id = Column(Integer, ForeignKey("orm_users.id")),
        email = Column(String(60), {unique = true}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    return e, User, Address, Base
end

local function count(e, tbl)
    local c = e:connect()
    local n = c:execute("SELECT count(*) FROM " .. tbl):scalar()
    c:close()
    return n
end

local function names(e)
    local c = e:connect()
    local out = {}
    for row in c:execute("SELECT name FROM orm_users ORDER BY name") do out[#out + 1] = row[1] end
    c:close()
    return table.concat(out, ",")
end

-- mapping ----------------------------------------------------------------------

test("declarative: columns in declaration order, class attributes, tostring", function()
    local _, User = model("sqlite://")
    local cols = {}
    for i = 1, #User.__table.c do cols[i] = User.__table.c[i].name end
    eq(table.concat(cols, ","), "id,name,fullname,nickname")
    eq(tostring(User.name:eq("ed")), "orm_users.name = :name_1")
    eq(tostring(User), "<class 'User'>")
    local u = User({name = "ed", fullname = "Ed Jones"})
    eq(u.name, "ed")
    eq(u.id, nil)
    eq(u:greet(), "hi ed")
    eq(tostring(u), "<User(id=nil, name='ed', fullname='Ed Jones', nickname=nil)>")
    u.extra = 5
    eq(u.extra, 5)
end)

test("declarative: __init, __tostring, __table", function()
    local md = MetaData()
    local t = Table("things", md, Column("id", Integer, {primary_key = true}), Column("label", String))
    local Base = declarative_base({metadata = md})
    local Thing = Base:class("Thing", {
        __table = t,
        __init = function(self, label) self.label = label:upper() end,
        __tostring = function(self) return "Thing " .. self.label end,
    })
    local x = Thing("abc")
    eq(tostring(x), "Thing ABC")
    eq(Thing.__table, t)
    raises(function() Base:class("Bad", {id = Column(Integer, {primary_key = true})}) end,
           "does not have a __table or __tablename")
    raises(function() Base:class("Bad2", {__tablename = "b", __bogus = 1,
                                         id = Column(Integer, {primary_key = true})}) end,
           "unknown class option '__bogus'")
end)

test("classical mapping with renamed properties, clear_mappers", function()
    local md = MetaData()
    local users = Table("cusers", md, Column("id", Integer, {primary_key = true}),
                        Column("user_name", String))
    local User = class("User")
    raises(function() return User({}) end, "Class 'User' is not mapped")
    mapper(User, users, {properties = {name = users.c.user_name}})
    local u = User({name = "x"})
    eq(u.name, "x")
    eq(tostring(User.name:eq("x")), "cusers.user_name = :user_name_1")
    raises(function() mapper(User, users) end, "already has a primary mapper")
    clear_mappers()
    raises(function() return User({}) end, "Class 'User' is not mapped")
    eq(u.name, "x")         -- existing instances keep their state
    local nopk = Table("nopk", md, Column("a", Integer))
    raises(function() mapper(class("N"), nopk) end, "could not assemble any primary key")
end)

test("bad input: constructor, attributes, queries", function()
    local e, User = model("sqlite://")
    raises(function() return User({nope = 1}) end, "'nope' is an invalid keyword argument for User")
    local u = User({name = "a"})
    raises(function() u.name = {} end, "cannot assign a table to attribute 'name' of User")
    raises(function() u.name = print end, "cannot assign a function")
    local s = Session(e)
    raises(function() s:add(42) end, "a mapped instance expected")
    raises(function() s:add(User) end, "got a class")
    raises(function() s:query(class("Unmapped")) end, "Class 'Unmapped' is not mapped")
    raises(function() s:query(42) end, "a mapped class or a column expression expected")
    local err = raises(function() s:query(User):filter_by({nope = 1}) end,
                       "Entity 'User' has no property 'nope'")
    eq(err.class, "InvalidRequestError")
    raises(function() s:get(User, {}) end, "expected 1 primary key values")
    raises(function() s:delete(User({name = "t"})) end, "is not persisted")
    raises(function() Session() end, "not bound to an engine")
    raises(function() sessionmaker({bogus = 1}) end, "unknown option 'bogus'")
    s:close()
end)

-- session lifecycle ---------------------------------------------------------------

for_each_db("add, flush, identity, commit expires, get without SQL", function(url)
    local e, User = model(url)
    local Session = sessionmaker({bind = e})
    local s = Session()
    local ed = User({name = "ed", fullname = "Ed Jones"})
    s:add(ed)
    eq(object_state(ed).status, "pending")
    eq(#s.new, 1)
    local found = s:query(User):filter_by({name = "ed"}):first()   -- autoflush
    eq(rawequal(found, ed), true)
    eq(object_state(ed).status, "persistent")
    eq(type(ed.id), "number")
    eq(ed.nickname, "nick")                 -- client default copied in
    eq(#s.new, 0)
    ed.fullname = "Edward"
    eq(#s.dirty, 1)
    local h = attribute_history(ed, "fullname")
    eq(h.added[1], "Edward")
    eq(h.deleted[1], "Ed Jones")
    s:commit()
    eq(object_state(ed).unloaded.fullname, true)
    eq(ed.fullname, "Edward")               -- reloaded
    eq(rawequal(s:get(User, ed.id), ed), true)
    eq(s:get(User, 9999), nil)
    s:close()
    eq(object_state(ed).status, "detached")
    eq(names(e), "ed")
end)

test("close detaches loaded instances, with and without held ones", function()
    local e, User = model("sqlite://")
    local s = Session(e)
    s:add_all({User({name = "a"}), User({name = "b"}), User({name = "c"})})
    s:commit()
    s:close()
    -- a session that only loaded: no state held
    s = Session(e)
    local all = s:query(User):order_by(User.id):all()
    s:close()
    for _, u in ipairs(all) do eq(object_state(u).status, "detached") end
    eq(all[2].name, "b")
    local s2 = Session(e)
    s2:add(all[1])
    eq(rawequal(s2:get(User, all[1].id), all[1]), true)
    eq(rawequal(s2:get(User, all[2].id), all[2]), false)
    s2:close()
    -- one modified (held), one pending, the others clean
    s = Session(e)
    all = s:query(User):order_by(User.id):all()
    all[1].fullname = "changed"
    local new = User({name = "d"})
    s:add(new)
    s:close()
    for _, u in ipairs(all) do eq(object_state(u).status, "detached") end
    eq(object_state(new).status, "transient")
    eq(names(e), "a,b,c")
end)

for_each_db("rollback restores, drops pending, undeletes", function(url)
    local e, User = model(url)
    local s = Session(e)
    local a, b = User({name = "a"}), User({name = "b"})
    s:add_all({a, b})
    s:commit()
    a.name = "a2"
    local c = User({name = "c"})
    s:add(c)
    s:delete(b)
    eq(#s.deleted, 1)
    s:flush()
    eq(object_state(b).status, "deleted")
    eq(object_state(c).status, "persistent")
    s:rollback()
    eq(a.name, "a")
    eq(object_state(c).status, "transient")
    eq(object_state(b).status, "persistent")
    eq(b.name, "b")
    local d = User({name = "d"})
    s:add(d)
    a.fullname = "unflushed"
    s:rollback()
    eq(object_state(d).status, "transient")
    eq(a.fullname, nil)
    eq(names(e), "a,b")
    s:close()
end)

for_each_db("merge, expunge, refresh, expire, begin_nested", function(url)
    local e, User = model(url)
    local s = Session(e)
    local u = User({name = "m"})
    s:add(u)
    s:commit()
    local id = u.id
    s:expunge(u)
    eq(object_state(u).status, "detached")
    local s2 = Session(e)
    local copy = User({id = id, name = "m2"})
    local merged = s2:merge(copy)
    eq(merged.name, "m2")
    eq(#s2.dirty, 1)
    s2:commit()
    eq(names(e), "m2")
    local fresh = s2:get(User, id)
    s2:rollback()               -- (in-memory SQLite shares one connection)
    e:execute(User.__table:update():values({fullname = "outside"}))
    fresh.name = "local"
    s2:refresh(fresh)
    eq(fresh.name, "m2")
    eq(fresh.fullname, "outside")
    fresh.name = "again"
    s2:expire(fresh)
    eq(fresh.name, "m2")
    local sp = s2:begin_nested()
    s2:add(User({name = "inner"}))
    fresh.name = "inner_change"
    s2:flush()
    sp:rollback()
    eq(fresh.name, "m2")
    eq(s2:query(User):count(), 1)
    local sp2 = s2:begin_nested()
    s2:add(User({name = "kept"}))
    sp2:commit()
    s2:commit()
    eq(names(e), "kept,m2")
    s2:close()
    s:close()
end)

-- identity map and garbage collection ----------------------------------------------

for_each_db("clean instances are collected, dirty and pending ones are not lost", function(url)
    local e, User = model(url)
    local s = Session(e)
    s:add_all({User({name = "g1"}), User({name = "g2"})})   -- pending, only the session has them
    collectgarbage(); collectgarbage()
    s:commit()
    eq(names(e), "g1,g2")
    local weak = setmetatable({}, {__mode = "v"})
    weak[1] = s:query(User):filter_by({name = "g1"}):one()
    collectgarbage(); collectgarbage()
    eq(weak[1], nil)                                        -- clean: collected
    local u = s:query(User):filter_by({name = "g2"}):one()
    u.fullname = "dirty"
    weak[2] = u
    u = nil
    collectgarbage(); collectgarbage()
    eq(#s.dirty, 1)
    eq(s.dirty[1].fullname, "dirty")
    s:commit()
    local c = e:connect()
    eq(c:execute("SELECT fullname FROM orm_users WHERE name = 'g2'"):scalar(), "dirty")
    c:close()
    local x = s:query(User):filter_by({name = "g1"}):one()
    local y = s:get(User, x.id)
    eq(rawequal(x, y), true)
    s:close()
end)

test("fields of an instance that are not attributes: its own, and collected with it", function()
    local e, User = model("sqlite://")
    local a, b = User({name = "a"}), User({name = "b"})
    eq(a.extra, nil)
    a.extra = {1, 2}
    a.me = a                                                -- a cycle through the fields
    b.extra = "b's"
    eq(a.extra[2], 2)
    eq(rawequal(a.me, a), true)
    eq(b.extra, "b's")
    eq(b.me, nil)
    eq(a:greet(), "hi a")                                   -- the class after the fields
    a.greet = function() return "own" end
    eq(a:greet(), "own")
    eq(b:greet(), "hi b")
    local weak = setmetatable({}, {__mode = "k"})
    weak[a] = true
    weak[a.extra] = true
    a = nil
    collectgarbage(); collectgarbage(); collectgarbage()
    eq(next(weak), nil)                                     -- the object and its fields
    eq(b.extra, "b's")
end)

for_each_db("get() by a composite key and by a text key, from the database each time", function(url)
    local e = create_engine(url)
    local m = MetaData()
    local t = Table("orm_pairs", m, Column("a", Integer, {primary_key = true}),
                    Column("b", String(10), {primary_key = true}), Column("v", String))
    m:drop_all(e)
    m:create_all(e)
    e:execute(t:insert(), {{a = 1, b = "x", v = "1x"}, {a = 1, b = "y", v = "1y"},
                           {a = 2, b = "x", v = "2x"}})
    local P = class("P")
    mapper(P, t)
    for round = 1, 2 do
        local s = Session(e)
        eq(s:get(P, {1, "y"}).v, "1y")
        eq(s:get(P, {2, "x"}).v, "2x")
        eq(s:get(P, {1, "x"}).v, "1x")
        eq(s:get(P, {2, "y"}), nil)
        eq(rawequal(s:get(P, {1, "y"}), s:query(P):filter_by({a = 1, b = "y"}):one()), true)
        s:close()
    end
    m:drop_all(e)
end)

for_each_db("queries of one filter run again with new values, columns and operators", function(url)
    local e = create_engine(url)
    local m = MetaData()
    local Tagged = TypeDecorator({impl = String(20),
        process_bind_param = function(v) return "tag:" .. v end,
        process_result_value = function(v) return v:sub(5) end})
    local t = Table("orm_refilter", m, Column("id", Integer, {primary_key = true}),
                    Column("name", String(10)), Column("tag", Tagged))
    m:drop_all(e)
    m:create_all(e)
    e:execute(t:insert(), {{id = 1, name = "a", tag = "x"}, {id = 2, name = "b", tag = "y"},
                           {id = 3, name = "c", tag = "z"}})
    local R = class("R")
    mapper(R, t)
    for round = 1, 2 do
        local s = Session(e)
        for _, k in ipairs({2, 1, 3, 2}) do
            eq(s:query(R):filter(R.id:eq(k)):one().id, k)
            eq(s:query(R):filter(R.id:eq(k)):first().id, k)
        end
        eq(s:query(R):filter(R.id:eq(4)):one_or_none(), nil)
        eq(s:query(R):filter(R.id:eq(4)):first(), nil)
        eq(s:query(R):filter(R.name:eq("c")):one().id, 3)
        eq(s:query(R):filter(R.name:eq("a")):one().id, 1)
        eq(#s:query(R):filter(R.id:gt(1)):all(), 2)
        eq(#s:query(R):filter(R.id:gt(2)):all(), 1)
        eq(s:query(R):filter(R.id:ne(1)):limit(1):all()[1].id ~= 1, true)
        eq(s:query(R):filter(R.id:lt(3)):order_by(R.id:desc()):first().id, 2)
        eq(s:query(R):filter(R.tag:eq("z")):one().id, 3)     -- processed by the type
        eq(s:query(R):filter(R.tag:eq("x")):one().id, 1)
        eq(s:query(R):filter(R.name:eq(bindparam("n"))):params({n = "b"}):one().id, 2)
        eq(s:query(R):filter(R.name:eq(bindparam("n"))):params({n = "c"}):one().id, 3)
        eq(s:query(R):filter(R.id:eq(1)):filter(R.name:eq("a")):one().id, 1)
        eq(s:query(R):filter(R.id:eq(1)):filter(R.name:eq("b")):one_or_none(), nil)
        eq(s:query(R):filter(R.id:in_({1, 3})):count(), 2)
        eq(s:query(R):filter(R.id:eq(nil)):one_or_none(), nil)
        raises(function() s:query(R):filter(R.id:gt(1)):one() end, "Multiple rows")
        s:close()
    end
    m:drop_all(e)
end)

for_each_db("queries of one class stay generative and check their arguments", function(url)
    local e = create_engine(url)
    local m = MetaData()
    local t = Table("orm_generative", m, Column("id", Integer, {primary_key = true}),
                    Column("name", String(10)))
    m:drop_all(e)
    m:create_all(e)
    e:execute(t:insert(), {{id = 1, name = "a"}, {id = 2, name = "b"}})
    local G = class("G")
    mapper(G, t)
    local s = Session(e)
    local q1 = s:query(G)
    local q2 = q1:filter(G.id:eq(2))
    local q3 = q2:filter(G.name:eq("x"))
    eq(#q1:all(), 2)
    eq(#q2:all(), 1)
    eq(q2:one().name, "b")
    eq(#q3:all(), 0)
    eq(#q2:order_by(G.id):all(), 1)
    eq(rawequal(q2.session, s), true)
    eq(select(G).session, nil)
    eq(s:query(G):filter(G.id:eq(1)):count(), 1)
    eq(tostring(q2):find("WHERE orm_generative.id = ", 1, true) ~= nil, true)
    raises(function() s:query() end, "give at least one entity or column")
    raises(function() s:query(G, nil) end, "bad argument #2 to 'query'")
    raises(function() q1:filter(nil) end, "bad argument #1 to 'filter'")
    raises(function() q1:filter(G.id:eq(1), nil) end, "bad argument #2 to 'filter'")
    raises(function() select(G):filter(G.id:eq(1)):one() end, "not bound to a Session")
    s:close()
    clear_mappers()
    raises(function() Session(e):query(G) end, "is not mapped")
    m:drop_all(e)
end)

for_each_db("objects keep their identity while the slots of collected ones are reused", function(url)
    local e, User = model(url)
    local s = Session(e)
    for i = 1, 40 do s:add(User({name = "r" .. i})) end
    s:commit()
    local kept = {}
    for round = 1, 3 do
        local all = s:query(User):order_by(User.id):all()
        eq(#all, 40)
        for i, u in ipairs(all) do
            if kept[i] then eq(rawequal(kept[i], u), true) end   -- still the same object
            eq(u.name, "r" .. i)
        end
        for i = round, 40, 7 do kept[i] = all[i] end        -- keep some, drop the rest
        all = nil
        collectgarbage(); collectgarbage()
        local fresh = s:query(User):order_by(User.id):all()    -- dropped ones made anew
        for i, u in ipairs(fresh) do
            eq(rawequal(kept[i] or u, u), true)
            eq(u.name, "r" .. i)
        end
        fresh = nil
        collectgarbage(); collectgarbage()
    end
    local weak = setmetatable({}, {__mode = "v"})
    weak[1] = s:get(User, 4)                                 -- never kept
    eq(weak[1].name, "r4")
    collectgarbage(); collectgarbage()
    eq(weak[1], nil)
    s:close()
end)

-- flush atomicity ---------------------------------------------------------------------

-- Statement n of the flush fails (a unique name taken); the database and the
-- session must be as before, and fixing the row lets the flush go through.
local function failing_flush(url, n, prior)
    local e, User = model(url)
    local s = Session(e)
    local base = {User({name = "x1"}), User({name = "x2"})}
    s:add_all(base)
    s:commit()
    if prior then
        s:add(User({name = "prior"}))
        s:flush()                              -- the transaction has written
    end
    base[1].fullname = "changed"
    local new = {}
    for i = 1, 3 do new[i] = User({name = "n" .. i}) end
    s:add_all(new)
    local victim
    if n <= 3 then
        victim = new[n]
        victim.name = "x2"                     -- INSERT n fails
    else
        victim = base[1]
        victim.name = "x2"                     -- the UPDATE (after 3 INSERTs) fails
    end
    local err = raises(function() s:flush() end, "")
    eq(err.class, "IntegrityError")
    eq(type(err.statement), "string")
    eq(#s.new, 3)
    for i = 1, 3 do
        eq(object_state(new[i]).status, "pending")
        eq(new[i].id, nil)
    end
    eq(#s.dirty, 1)
    eq(base[1].fullname, "changed")
    raises(function() s:query(User):count() end, "IntegrityError")   -- autoflush: again
    s.autoflush = false
    eq(s:query(User):count(), prior and 3 or 2)                        -- database as before
    eq(s:execute("SELECT count(*) FROM orm_users WHERE fullname IS NOT NULL"):scalar(), 0)
    victim.name = n <= 3 and "fixed" or "x1"
    s:commit()
    local want = {"n1", "n2", "n3", "x1", "x2"}
    if n <= 3 then want[n] = "fixed" end
    if prior then want[#want + 1] = "prior" end
    table.sort(want)
    eq(names(e), table.concat(want, ","))
    for i = 1, 3 do eq(type(new[i].id), "number") end
    s:close()
end

for i = 1, 4 do
    for _, prior in ipairs({false, true}) do
        for_each_db(("flush atomic when statement %d fails%s"):format(i, prior and " (savepoint)" or ""),
            function(url) failing_flush(url, i, prior) end)
    end
end

for_each_db("after a failed flush, fixing the row commits everything", function(url)
    local e, User = model(url)
    local s = Session(e)
    s:add(User({name = "taken"}))
    s:commit()
    local a, b = User({name = "ok1"}), User({name = "taken"})
    s:add_all({a, b})
    raises(function() s:flush() end, "IntegrityError")
    eq(count(e, "orm_users"), 1)
    b.name = "ok2"
    s:commit()
    eq(names(e), "ok1,ok2,taken")
    eq(type(a.id), "number")
    s:close()
end)

-- queries ----------------------------------------------------------------------------

for_each_db("query forms", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local ed = User({name = "ed", fullname = "Ed Jones"})
    s:add_all({ed, User({name = "wendy", fullname = "Wendy"}), User({name = "fred"})})
    s:flush()
    s:add(Address({user_id = ed.id, email = "ed@x.org"}))
    eq(#s:query(User):all(), 3)
    eq(s:query(User):order_by(User.name):first().name, "ed")
    eq(s:query(User):order_by(User.name):offset(1):limit(1):one().name, "fred")
    eq(s:query(User):filter(User.name:eq("nobody")):one_or_none(), nil)
    raises(function() s:query(User):one() end, "Multiple rows were found for one()")
    raises(function() s:query(User):filter(User.id:eq(99)):one() end, "No row was found for one()")
    eq(s:query(User.name):filter(User.fullname:eq("Ed Jones")):scalar(), "ed")
    local rows = s:query(User.name, User.fullname):order_by(User.name):all()
    eq(tostring(rows[1]), "('ed', 'Ed Jones')")
    eq(rows[3].name, "wendy")
    -- a column tuple holds its values under their names (lua/l_row.c)
    eq(rawget(rows[1], "fullname"), "Ed Jones"); eq(rows[1][2], "Ed Jones"); eq(#rows[1], 2)
    eq(rows[2].fullname, nil); eq(rows[2][2], nil); eq(rows[1].nope, nil)
    local twice = s:query(User.name, User.fullname:label("name")):order_by(User.name):first()
    eq(twice[1], "ed"); eq(twice[2], "Ed Jones"); eq(twice.name, "Ed Jones")
    local pairs_ = s:query(User, Address):filter(User.id:eq(Address.user_id)):all()
    eq(#pairs_, 1)
    eq(rawequal(pairs_[1].User, ed), true)
    eq(pairs_[1].Address.email, "ed@x.org")
    local joined = s:query(User):join(Address):filter(Address.email:like("%x.org")):all()
    eq(#joined, 1)
    eq(s:query(User):join(Address, User.id:eq(Address.user_id)):count(), 1)
    eq(s:query(User.name):distinct():count(), 3)
    local grouped = s:query(func.count(User.id), User.fullname:isnot(null))
    eq(#s:query(User.fullname, func.count(User.id)):group_by(User.fullname)
           :having(func.count(User.id):ge(1)):all(), 3)
    eq(grouped ~= nil, true)
    eq(s:query(User):get(ed.id), ed)
    local n = 0
    for u in s:query(User) do n = n + 1 end
    eq(n, 3)
    local sub = s:query(User.id):filter(User.name:ne("ed")):subquery()
    eq(#s:query(User):filter(User.id:in_(select(sub.c.id))):all(), 2)
    eq(#s:query(User):from_statement(text("SELECT * FROM orm_users WHERE name = :n"))
           :params({n = "wendy"}):all(), 1)
    eq(s:query(User):filter(User.name:eq("fred")):update({fullname = "Fred F"}), 1)
    eq(s:query(User):filter_by({name = "fred"}):one().fullname, "Fred F")
    eq(s:query(Address):delete(), 1)
    eq(#s:execute(select(User):where(User.name:eq("ed"))):scalars():all(), 1)
    eq(rawequal(s:scalars(select(User):order_by(User.id)):all()[1], ed), true)
    eq(s:execute(select(User.name):where(User.id:eq(ed.id))):scalar(), "ed")
    eq(s:execute("SELECT count(*) FROM orm_users"):scalar(), 3)
    s:commit()
    s:close()
end)

test("select() of an entity renders as SQLAlchemy's", function()
    local _, User = model("sqlite://")
    eq(tostring(select(User):where(User.name:eq("ed"))),
       "SELECT orm_users.id AS orm_users_id, orm_users.name AS orm_users_name, " ..
       "orm_users.fullname AS orm_users_fullname, orm_users.nickname AS orm_users_nickname\n" ..
       "FROM orm_users\nWHERE orm_users.name = :name_1")
    eq(tostring(select(User.name)), "SELECT orm_users.name\nFROM orm_users")
end)

for_each_db("typed attributes, Lua defaults, close keeps values", function(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local calls = 0
    local Doc = Base:class("Doc", {
        __tablename = "orm_docs",
        id = Column(Integer, {primary_key = true}),
        flag = Column(Boolean),
        data = Column(JSON),
        stamp = Column(String, {default = function() calls = calls + 1; return "d" .. calls end}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local d = Doc({flag = true, data = {a = 1, list = {1, 2}}})
    eq(d.flag, true)
    eq(d.data.list[2], 2)
    s:add_all({d, Doc({flag = false})})
    s:commit()
    eq(calls, 2)
    eq(d.stamp, "d1")
    eq(d.flag, true)
    eq(d.data.a, 1)
    local other = s:query(Doc):filter(Doc.flag:eq(false)):one()
    eq(other.flag, false)
    eq(other.data, nil)
    other.data = {b = "x"}
    s:commit()
    eq(s:query(Doc):filter_by({id = other.id}):one().data.b, "x")
    local loaded = s:get(Doc, d.id)
    s:close()
    eq(loaded.flag, true)                   -- loaded values survive close()
    eq(object_state(loaded).status, "detached")
    s:add(loaded)
    s:expire(loaded)
    s:expunge(loaded)
    raises(function() return loaded.flag end, "is not bound to a Session")
    local s3 = Session({bind = e, expire_on_commit = false})
    local kept = s3:get(Doc, d.id)
    kept.flag = false
    s3:commit()
    eq(object_state(kept).unloaded.flag, nil)   -- not expired
    eq(kept.flag, false)
    s3:close()
end)

for_each_db("a failing DELETE leaves the flush undone; children are deleted first", function(url, db)
    local e, User, Address = model(url)
    if db == "sqlite" then e:execute("PRAGMA foreign_keys = ON") end
    local s = Session(e)
    local u, v = User({name = "parent"}), User({name = "other"})
    s:add_all({u, v})
    s:flush()
    local a = Address({user_id = u.id, email = "p@x.org"})
    s:add(a)
    s:commit()
    v.fullname = "changed"
    s:delete(u)                                  -- its address still points at it
    raises(function() s:flush() end, "IntegrityError")
    eq(#s.deleted, 1)
    eq(#s.dirty, 1)
    eq(object_state(u).status, "persistent")
    s.autoflush = false
    eq(s:query(User):count(), 2)
    eq(s:query(User):filter(User.fullname:isnot(null)):count(), 0)
    s:delete(a)                                  -- now both: addresses go first
    s:commit()
    eq(count(e, "orm_users"), 1)
    eq(count(e, "orm_addresses"), 0)
    s:close()
end)

for_each_db("an UPDATE matching no row fails the flush (stale data)", function(url)
    local e, User = model(url)
    local s = Session(e)
    local u = User({name = "gone"})
    s:add(u)
    s:commit()
    s:execute("DELETE FROM orm_users")
    u.fullname = "x"
    raises(function() s:flush() end, "expected to update 1 row(s); 0 were matched")
    eq(#s.dirty, 1)
    s:rollback()
    s:close()
end)

for_each_db("select() of columns and entities together", function(url)
    local e, User = model(url)
    local s = Session(e)
    s:add(User({name = "z", fullname = "Z"}))
    s:flush()
    local row = s:execute(select(User.fullname, User)):all()[1]
    eq(row.fullname, "Z")
    eq(row.User.name, "z")
    eq(tostring(row), "('Z', <User(id=1, name='z', fullname='Z', nickname='nick')>)")
    s:close()
end)
