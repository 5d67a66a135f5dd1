-- test_orm_rest.lua: the end of the ORM tutorial (seed 003) on SQLite and
-- PostgreSQL: exists() built without arguments and narrowed with where(),
-- the relationship operators (ne() on a reference as SQLAlchemy renders it,
-- Query:with_parent()), and lazy = "dynamic" relationships (a query filtered
-- by the parent, with append() and remove() seen by the flush), with bad
-- input.

local function model(url, dynamic)
    local e = create_engine(url)
    local Base = declarative_base()
    local User = Base:class("User", {
        __tablename = "rest_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(40), {nullable = false}),
    })
    local Address = Base:class("Address", {
        __tablename = "rest_addresses",
        id = Column(Integer, {primary_key = true}),
        email = Column(String(60), {nullable = false}),
        user_id = Column(Integer, ForeignKey("rest_users.id")),
        user = relationship("User", {back_populates = "addresses"}),
    })
    User.addresses = relationship(Address, {back_populates = "user", order_by = Address.id,
                                            lazy = dynamic and "dynamic" or nil})
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local jack = User({name = "jack"})
    local ed = User({name = "ed"})
    s:add_all({jack, ed})
    s:flush()
    s:add_all({Address({email = "j@g", user_id = jack.id}), Address({email = "j25@y", user_id = jack.id})})
    s:commit()
    s:close()
    return e, User, Address, Base
end

-- The statements fn sends through engine e (echo lines, joined).
local function sql_of(e, fn)
    local lines = {}
    e:set_echo_sink(function(line) lines[#lines + 1] = line end)
    e.echo = true
    local ok, err = pcall(fn)
    e.echo = false
    e:set_echo_sink(nil)
    if not ok then error(err, 0) end
    return table.concat(lines, "\n")
end

local function names(list, key)
    local out = {}
    for i, x in ipairs(list) do out[i] = x[key or "email"] end
    return table.concat(out, ",")
end

test("exists() without arguments: SELECT *, narrowed by where()", function()
    local m = MetaData()
    local users = Table("eu", m, Column("id", Integer, {primary_key = true}))
    local addrs = Table("ea", m, Column("id", Integer, {primary_key = true}),
                        Column("uid", Integer, ForeignKey("eu.id")))
    local ex = exists():where(addrs.c.uid:eq(users.c.id))
    eq(tostring(ex), "EXISTS (SELECT *\nFROM ea, eu\nWHERE ea.uid = eu.id)")
    eq(tostring(select(users.c.id):where(ex)),
       "SELECT eu.id\nFROM eu\nWHERE EXISTS (SELECT *\nFROM ea\nWHERE ea.uid = eu.id)")
    -- each call gives a new EXISTS; the first is unchanged
    local ex2 = ex:where(addrs.c.id:gt(5))
    eq(tostring(ex), "EXISTS (SELECT *\nFROM ea, eu\nWHERE ea.uid = eu.id)")
    eq(tostring(ex2), "EXISTS (SELECT *\nFROM ea, eu\nWHERE ea.uid = eu.id AND ea.id > :id_1)")
    eq(tostring(exists(addrs.c.id):where(addrs.c.id:eq(1)):select_from(addrs)),
       "EXISTS (SELECT ea.id\nFROM ea\nWHERE ea.id = :id_1)")
    eq(tostring(select(users.c.id):where(exists():where(addrs.c.uid:eq(users.c.id)):correlate())),
       "SELECT eu.id\nFROM eu\nWHERE EXISTS (SELECT *\nFROM ea, eu\nWHERE ea.uid = eu.id)")
    raises(function() return exists():nope() end, "has no attribute 'nope'")
    raises(function() return users.c.id:where(1) end, "has no attribute 'where'")
end)

for_each_db("exists() in a query of a column; filter(nil) is an error", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    raises(function() return s:query(User):filter(nil) end,
           "bad argument #1 to 'filter' (an SQL expression expected as a condition, got nil)")
    raises(function() return s:query(User):filter(User.id:gt(0), nil) end, "bad argument #2 to 'filter'")
    raises(function() return s:query(User):where(nil) end, "bad argument #1 to 'where'")
    local rows = s:query(User.name):filter(exists():where(Address.user_id:eq(User.id))):all()
    eq(#rows, 1)
    eq(rows[1][1], "jack")
    s:close()
end)

for_each_db("ne() on a reference: != or IS NULL; ne(nil): IS NOT NULL", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local jack = s:query(User):filter_by({name = "jack"}):one()
    local ed = s:query(User):filter_by({name = "ed"}):one()
    s:add(Address({email = "orphan"}))
    s:flush()
    local q = s:query(Address):filter(Address.user:ne(jack)):order_by(Address.id)
    local sql = tostring(q)
    assert(sql:find("WHERE rest_addresses.user_id != :user_id_1 OR rest_addresses.user_id IS NULL", 1, true), sql)
    eq(names(q:all()), "orphan")
    eq(names(s:query(Address):filter(Address.user:ne(ed)):order_by(Address.id):all()), "j@g,j25@y,orphan")
    q = s:query(Address):filter(Address.user:ne(nil)):order_by(Address.id)
    assert(tostring(q):find("WHERE rest_addresses.user_id IS NOT NULL", 1, true), tostring(q))
    eq(names(q:all()), "j@g,j25@y")
    raises(function() return User.addresses:ne(ed) end, "Can't compare a collection")
    s:rollback()
    s:close()
end)

for_each_db("Query:with_parent()", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local jack = s:query(User):filter_by({name = "jack"}):one()
    local q = s:query(Address):with_parent(jack, "addresses")
    assert(tostring(q):find("WHERE :param_1 = rest_addresses.user_id", 1, true), tostring(q))
    eq(names(q:all()), "j@g,j25@y")
    eq(names(s:query(Address):with_parent(jack, User.addresses):filter(Address.email:like("j2%")):all()),
       "j25@y")
    -- the property found from the classes when not given
    eq(names(s:query(Address):with_parent(jack):all()), "j@g,j25@y")
    -- many-to-one: the user of an address
    local a = q:first()
    eq(names(s:query(User):with_parent(a, "user"):all(), "name"), "jack")
    raises(function() return s:query(Address):with_parent(jack, "nope") end,
           "has no relationship 'nope'")
    raises(function() return s:query(Address):with_parent(a, "user") end,
           "is not a relationship to Address")
    raises(function() return s:query(Address):with_parent(42, "addresses") end,
           "bad argument #1 to 'with_parent'")
    s:close()
end)

for_each_db("lazy = \"dynamic\": a query filtered by the parent", function(url)
    local e, User, Address = model(url, true)
    local s = Session(e)
    local jack = s:query(User):filter_by({name = "jack"}):one()
    local d = jack.addresses
    eq(getmetatable(d).__name, "retort.AppenderQuery")
    eq(names(d:all()), "j@g,j25@y")
    local sql = tostring(d)
    assert(sql:find("WHERE :param_1 = rest_addresses.user_id\nORDER BY rest_addresses.id", 1, true), sql)
    sql = sql_of(e, function() d:all() end)
    assert(sql:find("WHERE [?$]1? = rest_addresses.user_id\nORDER BY rest_addresses.id") ~= nil, sql)
    eq(d:count(), 2)
    eq(d:filter(Address.email:like("j2%")):one().email, "j25@y")
    eq(d[2].email, "j25@y")
    local n = 0
    for a in jack.addresses do n = n + 1; eq(rawequal(a.user, jack), true) end
    eq(n, 2)
    -- a dynamic relationship is never populated: loader options are refused
    for _, opt in ipairs({joinedload, selectinload, subqueryload, lazyload, noload, raiseload}) do
        raises(function() return s:query(User):options(opt(User.addresses)):all() end,
               "'User.addresses' is a dynamic relationship: loader options do not apply to it")
    end
    -- append without loading: the flush sets the foreign key
    local a3 = Address({email = "j3@x"})
    eq(sql_of(e, function() jack.addresses:append(a3) end), "")
    eq(a3.user, jack)
    eq(names(jack.addresses:all()), "j@g,j25@y,j3@x")
    eq(a3.user_id, jack.id)
    -- remove: no SQL; the flush sets the foreign key to NULL
    eq(sql_of(e, function() jack.addresses:remove(a3) end), "")
    eq(names(jack.addresses:all()), "j@g,j25@y")
    eq(a3.user_id, nil)
    -- the other side's assignment shows in the query after the autoflush
    local a4 = Address({email = "j4@x"})
    a4.user = jack
    eq(jack.addresses:count(), 3)
    -- assignment replaces the collection
    jack.addresses = {a4}
    eq(names(jack.addresses:all()), "j4@x")
    s:commit()
    eq(names(s:query(Address):filter(Address.user_id:eq(jack.id)):all()), "j4@x")
    -- a new parent: its appended members, no SQL
    local fred = User({name = "fred"})
    fred.addresses:append(Address({email = "f@x"}))
    eq(names(fred.addresses:all()), "f@x")
    eq(fred.addresses:count(), 1)
    s:add(fred)
    eq(names(fred.addresses:all()), "f@x")   -- flushed, then queried
    -- deleting the parent sets the members' foreign key to NULL
    s:delete(jack)
    s:flush()
    eq(s:query(Address):filter(Address.email:eq("j4@x")):one().user_id, nil)
    raises(function() jack.addresses:append(42) end, "bad argument #1 to 'append' (an instance of Address expected")
    raises(function() fred.addresses:append(User({name = "x"})) end, "expects class Address")
    s:rollback()
    s:close()
    -- a detached parent cannot query
    raises(function() return jack.addresses:all() end, "not bound to a Session")
    local d2 = fred.addresses
    clear_mappers()
    raises(function() return tostring(d2) end, "User.addresses is no longer mapped")
end)

test("lazy = \"dynamic\" only on collections; unknown lazy values", function()
    local Base = declarative_base()
    local A = Base:class("DynA", {__tablename = "dyn_a", id = Column(Integer, {primary_key = true})})
    local B = Base:class("DynB", {__tablename = "dyn_b", id = Column(Integer, {primary_key = true}),
                                   a_id = Column(Integer, ForeignKey("dyn_a.id"))})
    B.a = relationship(A, {lazy = "dynamic"})
    raises(function() return B() end, "'dynamic' loaders cannot be used with many-to-one")
    clear_mappers()
    raises(function() relationship("X", {lazy = "sometimes"}) end, "lazy")
end)

for_each_db("a flush sends a table's UPDATEs before its INSERTs (a freed unique value)", function(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local Tag = Base:class("Tag", {
        __tablename = "rest_tags",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(20), {nullable = false, unique = true}),
        parent_id = Column(Integer, ForeignKey("rest_tags.id")),
        children = relationship("Tag", {backref = {"parent", {remote_side = "Tag.id"}}}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    s:add(Tag({name = "mary"}))
    s:commit()
    -- the new row takes the name the old one gives up
    local old = s:query(Tag):one()
    s:add(Tag({name = "mary"}))
    old.name = "mary2"
    s:commit()
    eq(s:query(Tag):filter_by({name = "mary2"}):one().id, old.id)
    -- an UPDATE taking a new row's key still follows that row's INSERT
    local root = Tag({name = "root"})
    old.parent = root
    s:commit()
    eq(old.parent_id, root.id)
    s:close()
    Base.metadata:drop_all(e)
end)

for_each_db("dynamic and with_parent: many-to-many, and a primaryjoin's extra criteria", function(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local tags = Table("rest_post_tags", Base.metadata,
        Column("post_id", ForeignKey("rest_posts.id"), {primary_key = true}),
        Column("tag_id", ForeignKey("rest_tag2.id"), {primary_key = true}))
    local Tag = Base:class("Tag2", {
        __tablename = "rest_tag2",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(20)),
    })
    local Post = Base:class("Post", {
        __tablename = "rest_posts",
        id = Column(Integer, {primary_key = true}),
        title = Column(String(20)),
        tags = relationship("Tag2", {secondary = tags, lazy = "dynamic", order_by = "Tag2.id",
                                     backref = "posts"}),
        red = relationship("Tag2", {secondary = tags, lazy = "dynamic", secondaryjoin = function()
            return and_(Tag.id:eq(tags.c.tag_id), Tag.name:like("r%"))
        end}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local p = Post({title = "p"})
    local red, blue = Tag({name = "red"}), Tag({name = "blue"})
    p.tags:append(red)
    p.tags:extend({blue})
    eq(#p.tags:all(), 2)                 -- a new parent: no SQL
    s:add(p)
    s:commit()
    eq(names(p.tags:all(), "name"), "red,blue")
    eq(names(p.red:all(), "name"), "red")
    eq(names(s:query(Tag):with_parent(p, "red"):all(), "name"), "red")
    eq(names(s:query(Post):with_parent(blue, "posts"):all(), "title"), "p")
    -- remove without loading deletes the association row
    p.tags:remove(red)
    eq(names(p.tags:all(), "name"), "blue")
    eq(#red.posts, 0)
    s:commit()
    eq(s:query(Tag):filter(Tag.posts:any()):count(), 1)
    s:close()
    Base.metadata:drop_all(e)
end)

for_each_db("eq() and contains() keep a primaryjoin's extra criteria", function(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local User, Address
    User = Base:class("User", {
        __tablename = "pj_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(20)),
    })
    Address = Base:class("Address", {
        __tablename = "pj_addresses",
        id = Column(Integer, {primary_key = true}),
        city = Column(String(20)),
        user_id = Column(Integer, ForeignKey("pj_users.id")),
        boston_user = relationship("User", {primaryjoin = function()
            return and_(User.id:eq(Address.user_id), Address.city:eq("Boston"))
        end}),
    })
    User.boston_addresses = relationship(Address, {primaryjoin = function()
        return and_(User.id:eq(Address.user_id), Address.city:eq("Boston"))
    end})
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local ed = User({name = "ed"})
    s:add(ed)
    s:flush()
    local boston = Address({city = "Boston", user_id = ed.id})
    local paris = Address({city = "Paris", user_id = ed.id})
    s:add_all({boston, paris})
    s:commit()
    local function cities(list)
        local out = {}
        for i, a in ipairs(list) do out[i] = a.city end
        return table.concat(out, ",")
    end
    local q = s:query(Address):filter(Address.boston_user:eq(ed))
    local sql = tostring(q)
    assert(sql:find("pj_addresses.city = ", 1, true), sql)
    eq(cities(q:all()), "Boston")
    -- the target's own columns in the extra criteria are bound to its values
    eq(s:query(User):filter(User.boston_addresses:contains(boston)):count(), 1)
    eq(s:query(User):filter(User.boston_addresses:contains(paris)):count(), 0)
    s:close()
    Base.metadata:drop_all(e)
end)
