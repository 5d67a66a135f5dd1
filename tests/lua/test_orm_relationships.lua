-- test_orm_relationships.lua: relationships from Lua on SQLite and
-- PostgreSQL: declarative and classical mapping, collections as arrays,
-- backrefs in memory, lazy loading, the flush (parents first, keys copied,
-- NULL on removal, cascades save-update / delete / delete-orphan), bad
-- input, cycles of instances collected, and relationship criteria.

local function model(url, cascade)
    local e = create_engine(url)
    local Base = declarative_base()
    local User = Base:class("User", {
        __tablename = "rel_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(40), {nullable = false}),
        addresses = relationship("Address", {back_populates = "user", order_by = "Address.id",
                                             cascade = cascade}),
        __tostring = function(self) return "<User " .. self.name .. ">" end,
    })
    local Address = Base:class("Address", {
        __tablename = "rel_addresses",
        id = Column(Integer, {primary_key = true}),
        email = Column(String(60), {nullable = false}),
        user_id = Column(Integer, ForeignKey("rel_users.id")),
        user = relationship("User", {back_populates = "addresses"}),
        __tostring = function(self) return "<Address " .. self.email .. ">" end,
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    return e, User, Address
end

local function rows(e, sql)
    local c = e:connect()
    local out = {}
    for r in c:execute(sql) do
        local parts = {}
        for i = 1, #r do parts[i] = tostring(r[i]) end
        out[#out + 1] = table.concat(parts, ":")
    end
    c:close()
    return table.concat(out, ",")
end

local ADDR = "SELECT email, user_id FROM rel_addresses ORDER BY id"

for_each_db("one-to-many: arrays, backrefs in memory, cascade on add, keys copied", function(url)
    local e, User, Address = model(url)
    local jack = User({name = "jack"})
    eq(#jack.addresses, 0)
    eq(tostring(jack.addresses), "{}")
    jack.addresses = {Address({email = "j@g"}), Address({email = "j25@y"})}
    eq(#jack.addresses, 2)
    eq(jack.addresses[2].email, "j25@y")
    eq(rawequal(jack.addresses[2].user, jack), true)          -- backref, no SQL
    eq(tostring(jack.addresses), "{<Address j@g>, <Address j25@y>}")
    local n = 0
    for i, a in ipairs(jack.addresses) do n = n + i; eq(a.user.name, "jack") end
    eq(n, 3)
    local s = Session(e)
    s:add(jack)
    eq(#s.new, 3)                                             -- cascade save-update
    s:commit()
    eq(rows(e, ADDR), "j@g:" .. jack.id .. ",j25@y:" .. jack.id)
    s:close()
    local s2 = Session(e)
    local j = s2:query(User):filter_by({name = "jack"}):one()
    eq(#j.addresses, 2)                                       -- lazy load
    eq(j.addresses[1].email, "j@g")
    eq(rawequal(j.addresses[1].user, j), true)                -- identity map
    s2:close()
end)

for_each_db("many-to-one: parent inserted first, moving between parents", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local a = Address({email = "a@x"})
    local u1 = User({name = "u1"})
    a.user = u1
    eq(#u1.addresses, 1)
    s:add(a)                                                  -- u1 cascades in
    eq(#s.new, 2)
    s:commit()
    eq(a.user_id, u1.id)
    local u2 = User({name = "u2"})
    s:add(u2)
    a.user = u2
    eq(#u2.addresses, 1)
    eq(#u1.addresses, 0)
    s:commit()
    eq(rows(e, ADDR), "a@x:" .. u2.id)
    u2.addresses:append(Address({email = "b@x"}))
    eq(rawequal(a.user, u2), true)
    u1.addresses:append(a)                                    -- moved back
    eq(rawequal(a.user, u1), true)
    eq(#u2.addresses, 1)
    s:commit()
    eq(rows(e, ADDR), "a@x:" .. u1.id .. ",b@x:" .. u2.id)
    s:close()
end)

for_each_db("removing without delete-orphan sets NULL; deleting a parent nulls its children", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local u = User({name = "u", addresses = {Address({email = "a"}), Address({email = "b"}),
                                             Address({email = "c"})}})
    s:add(u)
    s:commit()
    local a = u.addresses[1]
    u.addresses:remove(a)
    eq(a.user, nil)
    eq(#u.addresses, 2)
    s:commit()
    eq(rows(e, ADDR), "a:nil,b:" .. u.id .. ",c:" .. u.id)
    s:delete(u)
    s:commit()
    eq(rows(e, ADDR), "a:nil,b:nil,c:nil")
    eq(rows(e, "SELECT count(*) FROM rel_users"), "0")
    raises(function() u.addresses:remove(a) end, "")
    s:close()
end)

for_each_db("cascade all, delete-orphan: orphans and children deleted", function(url)
    local e, User, Address = model(url, "all, delete-orphan")
    local s = Session(e)
    local u = User({name = "u", addresses = {Address({email = "a"}), Address({email = "b"}),
                                             Address({email = "c"})}})
    s:add(u)
    s:commit()
    u.addresses:remove(u.addresses[2])
    local p = Address({email = "pending"})
    u.addresses:append(p)
    u.addresses:remove(p)                                     -- a pending orphan: never inserted
    s:commit()
    eq(rows(e, ADDR), "a:" .. u.id .. ",c:" .. u.id)
    eq(object_state(p).status, "transient")
    u.addresses = {u.addresses[2], Address({email = "d"})}    -- replaces: a is an orphan
    s:commit()
    eq(rows(e, ADDR), "c:" .. u.id .. ",d:" .. u.id)
    s:delete(u)
    s:commit()
    eq(rows(e, ADDR), "")
    s:close()
end)

test("classical mapping with backref, uselist = false, wrong classes, no foreign key", function()
    local e = create_engine("sqlite://")
    local md = MetaData()
    local users = Table("users", md, Column("id", Integer, {primary_key = true}),
                        Column("name", String))
    local prefs = Table("prefs", md, Column("id", Integer, {primary_key = true}),
                        Column("user_id", Integer, ForeignKey("users.id")), Column("v", String))
    local lone = Table("lone", md, Column("id", Integer, {primary_key = true}))
    local U, P, L = class("U"), class("P"), class("L")
    mapper(U, users, {properties = {pref = relationship(P, {backref = "user", uselist = false})}})
    mapper(P, prefs)
    md:create_all(e)
    local u = U({name = "x"})
    eq(u.pref, nil)
    local p = P({v = "dark"})
    u.pref = p
    eq(rawequal(p.user, u), true)
    raises(function() u.pref = u end, "object of class U to relationship U.pref, which expects class P")
    raises(function() p.user = p end, "object of class P to relationship P.user, which expects class U")
    raises(function() u.pref = 5 end, "takes instances of P")
    local s = Session(e)
    s:add(u)
    s:commit()
    eq(rows(e, "SELECT v, user_id FROM prefs"), "dark:" .. u.id)
    u.pref = P({v = "light"})
    s:commit()
    eq(rows(e, "SELECT v, user_id FROM prefs ORDER BY id"), "dark:nil,light:" .. u.id)
    s:close()
    mapper(L, lone, {properties = {us = relationship(U)}})
    local err = raises(function() return L() end, "no foreign keys linking these tables")
    eq(err.class, "ArgumentError")
    clear_mappers()
end)

test("ambiguous foreign keys and unknown class names are clear errors", function()
    local md = MetaData()
    Table("people", md, Column("id", Integer, {primary_key = true}))
    local msgs = Table("msgs", md, Column("id", Integer, {primary_key = true}),
                       Column("from_id", Integer, ForeignKey("people.id")),
                       Column("to_id", Integer, ForeignKey("people.id")))
    local Base = declarative_base({metadata = md})
    local Person = Base:class("Person", {__table = md.tables.people,
                                         msgs = relationship("Msg")})
    Base:class("Msg", {__table = msgs})
    raises(function() return Person() end, "multiple foreign key paths")
    clear_mappers()
    local B2 = declarative_base()
    local X = B2:class("X", {__tablename = "xs", id = Column(Integer, {primary_key = true}),
                             ys = relationship("Nope")})
    raises(function() return X() end, "expression 'Nope' failed to locate a name")
    clear_mappers()
end)

test("instances linked both ways are collected", function()
    local _, User, Address = model("sqlite://")
    local weak = setmetatable({}, {__mode = "v"})
    do
        local u = User({name = "x"})
        u.addresses:append(Address({email = "y"}))
        weak[1], weak[2] = u, u.addresses[1]
    end
    collectgarbage(); collectgarbage()
    eq(weak[1], nil)
    eq(weak[2], nil)
    local keep = User({name = "k"})
    keep.addresses:append(Address({email = "z"}))
    collectgarbage(); collectgarbage()
    eq(keep.addresses[1].email, "z")                          -- held through the collection
    eq(rawequal(keep.addresses[1].user, keep), true)
end)

for_each_db("relationship criteria: join, any, has, eq, contains", function(url)
    local e, User, Address = model(url)
    local s = Session(e)
    local jack = User({name = "jack", addresses = {Address({email = "jack@google.com"}),
                                                  Address({email = "j25@yahoo.com"})}})
    local ed = User({name = "ed"})
    s:add_all({jack, ed})
    s:commit()
    local q = s:query(User):join(User.addresses):filter(Address.email:eq("jack@google.com"))
    eq(tostring(q):gsub("%s+", " "), "SELECT rel_users.id AS rel_users_id, rel_users.name AS "
       .. "rel_users_name FROM rel_users JOIN rel_addresses ON rel_users.id = "
       .. "rel_addresses.user_id WHERE rel_addresses.email = :email_1")
    eq(q:one().name, "jack")
    eq(#s:query(User):join(Address):filter(Address.email:like("%yahoo%")):all(), 1)
    eq(#s:query(User):outerjoin(User.addresses):all(), 3)
    local names = {}
    for _, u in ipairs(s:query(User):filter(User.addresses:any()):all()) do names[#names + 1] = u.name end
    eq(table.concat(names, ","), "jack")
    eq(#s:query(User):filter(User.addresses:any(Address.email:like("%google%"))):all(), 1)
    eq(#s:query(User):filter(~User.addresses:any()):all(), 1)
    eq(#s:query(Address):filter(~Address.user:has(User.name:eq("jack"))):all(), 0)
    eq(#s:query(Address):filter(Address.user:has(User.name:eq("jack"))):all(), 2)
    eq(#s:query(Address):filter(Address.user:eq(jack)):all(), 2)
    eq(#s:query(Address):filter(Address.user:eq(nil)):all(), 0)
    eq(s:query(User):filter(User.addresses:contains(jack.addresses[1])):one().name, "jack")
    eq(#s:query(User):filter(User.addresses:any({email = "j25@yahoo.com"})):all(), 1)
    eq(#s:query(Address):filter(Address.user:has({name = "ed"})):all(), 0)
    eq(#s:query(User):join("addresses"):filter(Address.email:like("j%")):all(), 2)
    raises(function() s:query(User):join("nope") end, "has no relationship 'nope'")
    raises(function() User.addresses:any({nope = 1}) end, "has no property 'nope'")
    raises(function() User.addresses:has() end, "Use any")
    raises(function() Address.user:any() end, "Use has")
    s:close()
end)

for_each_db("many-to-many: association rows after both sides, deleted before them", function(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local post_keywords = Table("rel_post_keywords", Base.metadata,
        Column("post_id", Integer, ForeignKey("rel_posts.id"), {primary_key = true}),
        Column("keyword_id", Integer, ForeignKey("rel_keywords.id"), {primary_key = true}))
    local Post = Base:class("Post", {
        __tablename = "rel_posts",
        id = Column(Integer, {primary_key = true}),
        headline = Column(String(100), {nullable = false}),
        keywords = relationship("Keyword", {secondary = post_keywords, back_populates = "posts",
                                            order_by = "Keyword.id"}),
    })
    local Keyword = Base:class("Keyword", {
        __tablename = "rel_keywords",
        id = Column(Integer, {primary_key = true}),
        keyword = Column(String(50), {nullable = false, unique = true}),
        posts = relationship("Post", {secondary = "rel_post_keywords", back_populates = "keywords"}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    -- appending on one side keeps the other side's earlier members (regression)
    local q1, q2, kx = Post({headline = "x"}), Post({headline = "y"}), Keyword({keyword = "x"})
    q1.keywords:append(kx)
    q2.keywords:append(kx)
    eq(#kx.posts, 2)
    eq(#q1.keywords, 1)
    local s = Session(e)
    local p1 = Post({headline = "one"})
    local k1, k2 = Keyword({keyword = "a"}), Keyword({keyword = "b"})
    p1.keywords = {k1, k2}
    eq(rawequal(k2.posts[1], p1), true)                        -- backref
    local p2 = Post({headline = "two"})
    k1.posts:append(p2)
    eq(#p2.keywords, 1)
    s:add(p1)
    s:commit()
    local PK = "SELECT post_id, keyword_id FROM rel_post_keywords ORDER BY post_id, keyword_id"
    eq(rows(e, PK), ("%d:%d,%d:%d,%d:%d"):format(p1.id, k1.id, p1.id, k2.id, p2.id, k1.id))
    eq(#s:query(Post):filter(Post.keywords:any(Keyword.keyword:eq("b"))):all(), 1)
    eq(#s:query(Keyword):join(Keyword.posts):filter(Post.headline:eq("two")):all(), 1)
    p1.keywords:remove(k1)
    eq(#k1.posts, 1)
    s:commit()
    eq(rows(e, PK), ("%d:%d,%d:%d"):format(p1.id, k2.id, p2.id, k1.id))
    s:delete(k1)
    s:commit()
    eq(rows(e, PK), ("%d:%d"):format(p1.id, k2.id))
    eq(rows(e, "SELECT count(*) FROM rel_keywords"), "1")
    s:close()
end)

for_each_db("self-referential: remote_side, parents inserted first, children deleted first", function(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local Node = Base:class("Node", {
        __tablename = "rel_nodes",
        id = Column(Integer, {primary_key = true}),
        parent_id = Column(Integer, ForeignKey("rel_nodes.id")),
        data = Column(String(20)),
        children = relationship("Node", {backref = {"parent", {remote_side = "Node.id"}},
                                         order_by = "Node.id"}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local leaf, mid, root = Node({data = "leaf"}), Node({data = "mid"}), Node({data = "root"})
    leaf.parent = mid                                          -- many-to-one
    root.children:append(mid)                                  -- one-to-many
    eq(rawequal(mid.children[1], leaf), true)
    s:add(leaf)                                                -- the others cascade
    s:commit()
    eq(rows(e, "SELECT data, parent_id FROM rel_nodes ORDER BY id"),
       ("root:nil,mid:%d,leaf:%d"):format(root.id, mid.id))
    eq(leaf.parent.parent.data, "root")
    local other = Node({data = "other", children = {Node({data = "c1"}), Node({data = "c2"})}})
    other.parent = root
    s:commit()
    eq(#root.children, 2)
    eq(other.children[2].parent_id, other.id)
    for _, n in ipairs({root, mid, other}) do s:delete(n) end  -- parents before children
    for _, n in ipairs({leaf, other.children[1], other.children[2]}) do s:delete(n) end
    s:commit()
    eq(rows(e, "SELECT count(*) FROM rel_nodes"), "0")
    s:close()
end)
