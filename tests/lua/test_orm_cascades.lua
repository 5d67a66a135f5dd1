-- test_orm_cascades.lua: the cascades of session operations along
-- relationships on SQLite and PostgreSQL: expunge, expire and refresh
-- ("refresh-expire"), merge of detached and transient graphs; and the
-- association-object pattern (a mapped association table with its own
-- columns between two one-to-many / many-to-one pairs).

local function model(url, cascade)
    local e = create_engine(url)
    local Base = declarative_base()
    local User = Base:class("User", {
        __tablename = "casc_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(40)),
        addresses = relationship("Address", {backref = "user", order_by = "Address.id",
                                             cascade = cascade}),
    })
    local Address = Base:class("Address", {
        __tablename = "casc_addresses",
        id = Column(Integer, {primary_key = true}),
        email = Column(String(60)),
        user_id = Column(Integer, ForeignKey("casc_users.id")),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    s:add(User({name = "jack", addresses = {Address({email = "j@a.org"}), Address({email = "j@b.org"})}}))
    s:commit()
    s:close()
    return e, User, Address
end

local function status(obj) return object_state(obj).status end

local function set_email(s, id, email)
    s:execute(text("UPDATE casc_addresses SET email = :e WHERE id = :i"), {e = email, i = id})
end

for_each_db("expunge cascades along 'expunge' (in 'all'), not along the default", function(url)
    for _, case in ipairs({{"all", "detached"}, {nil, "persistent"}}) do
        local e, User = model(url, case[1])
        local s = Session(e)
        local u = s:query(User):one()
        local a = u.addresses[1]
        s:expunge(u)
        eq(status(u), "detached")
        eq(status(a), case[2], tostring(case[1]))
        s:close()
    end
end)

for_each_db("expire and refresh cascade along 'refresh-expire'", function(url)
    for _, case in ipairs({{"all", "new@x.org"}, {"save-update", "j@a.org"}}) do
        local e, User = model(url, case[1])
        local s = Session(e)
        local u = s:query(User):one()
        local a = u.addresses[1]
        eq(a.email, "j@a.org")
        set_email(s, a.id, "new@x.org")
        s:refresh(u)
        eq(a.email, case[2], "refresh " .. case[1])
        eq(rawequal(u.addresses[1], a), true)   -- loaded again: expire follows it
        set_email(s, a.id, "newer@x.org")
        s:expire(u)
        eq(u.name, "jack")
        eq(a.email, case[1] == "all" and "newer@x.org" or "j@a.org", "expire " .. case[1])
        s:close()
    end
end)

for_each_db("merge cascades through loaded relationships of detached and new graphs", function(url)
    local e, User, Address = model(url)          -- default cascade: save-update, merge
    local s = Session(e)
    local u = s:query(User):one()
    eq(#u.addresses, 2)
    s:close()
    eq(status(u), "detached")
    u.name = "jack2"
    u.addresses[1].email = "merged@x.org"
    u.addresses:append(Address({email = "third@x.org"}))
    local s2 = Session(e)
    local m = s2:merge(u)
    eq(rawequal(m, u), false)
    eq(m.name, "jack2")
    eq(#m.addresses, 3)
    eq(m.addresses[1].email, "merged@x.org")
    eq(rawequal(m.addresses[1].user, m), true)
    eq(status(m.addresses[3]), "pending")
    eq(#s2.dirty >= 2, true)
    s2:commit()
    local emails = {}
    for _, a in ipairs(s2:query(Address):order_by(Address.id):all()) do
        emails[#emails + 1] = a.email .. "/" .. tostring(a.user_id == m.id)
    end
    eq(table.concat(emails, ","), "merged@x.org/true,j@b.org/true,third@x.org/true")
    -- a merge of an object already in the session is that object
    eq(rawequal(s2:merge(m), m), true)
    -- a graph with a cycle (backrefs) merges each object once
    local nu = User({name = "new"})
    nu.addresses = {Address({email = "n@x.org"})}
    local nm = s2:merge(nu)
    eq(#nm.addresses, 1)
    eq(rawequal(nm.addresses[1].user, nm), true)
    s2:commit()
    eq(#s2:query(User):all(), 2)
    s2:close()
end)

for_each_db("association object: rows with their own columns between two tables", function(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local Assoc = Base:class("Assoc", {
        __tablename = "casc_assoc",
        left_id = Column(Integer, ForeignKey("casc_left.id"), {primary_key = true}),
        right_id = Column(Integer, ForeignKey("casc_right.id"), {primary_key = true}),
        extra_data = Column(String(50)),
        child = relationship("Child", {back_populates = "parents"}),
        parent = relationship("Parent", {back_populates = "children"}),
    })
    local Parent = Base:class("Parent", {
        __tablename = "casc_left",
        id = Column(Integer, {primary_key = true}),
        children = relationship("Assoc", {back_populates = "parent",
                                          cascade = "all, delete-orphan"}),
    })
    local Child = Base:class("Child", {
        __tablename = "casc_right",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(20)),
        parents = relationship("Assoc", {back_populates = "child"}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local p = Parent()
    local c1, c2 = Child({name = "c1"}), Child({name = "c2"})
    p.children:append(Assoc({extra_data = "first", child = c1}))
    p.children:append(Assoc({extra_data = "second", child = c2}))
    eq(rawequal(c1.parents[1].parent, p), true)
    s:add(p)
    s:commit()
    local out = {}
    for _, a in ipairs(p.children) do out[#out + 1] = a.extra_data .. ":" .. a.child.name end
    table.sort(out)
    eq(table.concat(out, ","), "first:c1,second:c2")
    eq(#c2.parents, 1)
    p.children:remove(p.children[1])              -- delete-orphan: the row goes
    s:commit()
    eq(s:query(Assoc):count(), 1)
    s:delete(p)
    s:commit()
    eq(s:query(Assoc):count(), 0)
    eq(s:query(Child):count(), 2)
    s:close()
end)
