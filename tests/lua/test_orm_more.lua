-- test_orm_more.lua: the ORM tutorial's later query features on SQLite and
-- PostgreSQL: aliased() classes joined along relationships, entities over
-- subqueries, and the loader options joinedload and contains_eager
-- (collections and references filled by the query, no lazy load after),
-- with bad input: unknown relationship names in options, aliasing an
-- unmapped class, options on queries they do not apply to.

local function model(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local User = Base:class("User", {
        __tablename = "more_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(40), {nullable = false}),
        addresses = relationship("Address", {back_populates = "user", order_by = "Address.id"}),
    })
    local Address = Base:class("Address", {
        __tablename = "more_addresses",
        id = Column(Integer, {primary_key = true}),
        email = Column(String(60), {nullable = false}),
        user_id = Column(Integer, ForeignKey("more_users.id")),
        user = relationship("User", {back_populates = "addresses"}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local jack = User({name = "jack"})
    jack.addresses = {Address({email = "j@g"}), Address({email = "j25@y"})}
    s:add(jack)
    s:add(User({name = "ed"}))
    s:commit()
    s:close()
    return e, User, Address, Base
end

local function fails(fn, pattern)
    local ok, err = pcall(fn)
    eq(ok, false)
    assert(tostring(err):find(pattern, 1, true), tostring(err))
end

for_each_db("aliased(): the same class joined twice", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local a1, a2 = aliased(Address), aliased(Address)
    local q = s:query(User.name, a1.email, a2.email):join(a1, User.addresses):join(a2, User.addresses)
        :filter(a1.email:eq("j@g")):filter(a2.email:eq("j25@y"))
    local sql = tostring(q)
    assert(sql:find("JOIN more_addresses AS more_addresses_1 ON more_users.id = more_addresses_1.user_id", 1, true), sql)
    assert(sql:find("more_addresses_2.email AS more_addresses_2_email", 1, true), sql)
    local rows = q:all()
    eq(#rows, 1)
    eq(rows[1][1] .. " " .. rows[1][2] .. " " .. rows[1][3], "jack j@g j25@y")
    -- an aliased entity gives instances of its class, from the identity map
    local r = s:query(User, a1):join(a1, User.addresses):order_by(a1.id):all()
    eq(#r, 2)
    eq(r[2][2].email, "j25@y")
    eq(rawequal(r[1][2].user, r[1][1]), true)
    fails(function() return a1.nope end, "has no attribute 'nope'")
    s:close()
end)

for_each_db("aliased(Class, subquery): entities from a subquery", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local stmt = s:query(Address):filter(Address.email:ne("j25@y")):subquery()
    local ad = aliased(Address, stmt)
    local rows = s:query(User, ad):join(ad, User.addresses):all()
    eq(#rows, 1)
    eq(rows[1][1].name, "jack")
    eq(rows[1][2].email, "j@g")
    local counts = s:query(Address.user_id, func.count("*"):label("n")):group_by(Address.user_id):subquery()
    local r = s:query(User, counts.c.n):outerjoin(counts, User.id:eq(counts.c.user_id)):order_by(User.id):all()
    eq(r[1][2], 2)
    eq(r[2][2], nil)
    fails(function() return aliased(Address, s:query(User.name):subquery()) end, "has no column")
    s:close()
end)

for_each_db("aliased(): bad input", function()
    fails(function() return aliased(class("Unmapped")) end, "is not a mapped class")
    fails(function() return aliased(42) end, "is not a mapped class")
end)

for_each_db("joinedload: one statement fills the collection, parents once", function(url)
    local e, User = model(url)
    local s = Session(e)
    local q = s:query(User):options(joinedload(User.addresses)):filter_by({name = "jack"})
    local jack = q:one()                                      -- two rows, one User
    eq(jack.name, "jack")
    eq(#jack.addresses, 2)                                    -- no lazy load needed
    eq(jack.addresses[2].email, "j25@y")
    local all = s:query(User):options(joinedload("addresses")):order_by(User.id):all()
    eq(#all, 2)
    eq(#all[2].addresses, 0)                                  -- ed: LEFT OUTER JOIN, empty
    s:close()
end)

for_each_db("contains_eager: the query's own join fills the reference", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local r = s:query(Address):join(Address.user):filter(User.name:eq("jack"))
        :options(contains_eager(Address.user)):order_by(Address.id):all()
    eq(#r, 2)
    eq(r[1].user.name, "jack")
    eq(rawequal(r[1].user, r[2].user), true)
    s:close()
end)

for_each_db("loader options: bad input", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    fails(function() return s:query(User):options(joinedload("nope")):all() end,
          "Can't find property named 'nope'")
    fails(function() return s:query(User):options(joinedload(Address.user)):all() end,
          "does not apply")
    fails(function() return s:query(User):options(42) end, "a loader option expected")
    fails(function() return joinedload(42) end, "a relationship attribute or name expected")
    fails(function() return s:query(User.name):options(joinedload("addresses")):all() end,
          "loader options need a query of one mapped class")
    s:close()
end)
