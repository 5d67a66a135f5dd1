-- test_orm_flush_failures.lua: a flush of a mixed relationship graph (one-
-- to-many with delete-orphan, many-to-one, many-to-many, self-referential
-- rows, inserts, updates and deletes together) made to fail at each of its
-- statements in turn (engine:_fail_statement), on SQLite and PostgreSQL:
-- every time the database and the session are exactly as before the flush,
-- and the same flush then succeeds with the result of an undisturbed one.

local function model(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local post_keywords = Table("ff_post_keywords", Base.metadata,
        Column("post_id", Integer, ForeignKey("ff_posts.id"), {primary_key = true}),
        Column("keyword_id", Integer, ForeignKey("ff_keywords.id"), {primary_key = true}))
    local M = {}
    M.User = Base:class("User", {
        __tablename = "ff_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(20), {nullable = false}),
        addresses = relationship("Address", {backref = "user", order_by = "Address.id",
                                             cascade = "all, delete-orphan"})})
    M.Address = Base:class("Address", {
        __tablename = "ff_addresses",
        id = Column(Integer, {primary_key = true}),
        email = Column(String(40), {nullable = false}),
        user_id = Column(Integer, ForeignKey("ff_users.id"), {nullable = false})})
    M.Post = Base:class("Post", {
        __tablename = "ff_posts",
        id = Column(Integer, {primary_key = true}),
        title = Column(String(20)),
        author_id = Column(Integer, ForeignKey("ff_users.id")),
        author = relationship("User"),
        keywords = relationship("Keyword", {secondary = post_keywords, order_by = "Keyword.id"})})
    M.Keyword = Base:class("Keyword", {
        __tablename = "ff_keywords",
        id = Column(Integer, {primary_key = true}),
        word = Column(String(20))})
    M.Node = Base:class("Node", {
        __tablename = "ff_nodes",
        id = Column(Integer, {primary_key = true}),
        label = Column(String(20)),
        parent_id = Column(Integer, ForeignKey("ff_nodes.id")),
        children = relationship("Node", {backref = {"parent", {remote_side = "Node.id"}},
                                         order_by = "Node.id"})})
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    return e, M
end

-- Every row of every table, foreign keys shown as the names they point at
-- (generated keys differ after a failure on PostgreSQL: sequences do not
-- roll back).
local QUERIES = {
    "SELECT name FROM ff_users ORDER BY 1",
    "SELECT a.email, u.name FROM ff_addresses a JOIN ff_users u ON u.id = a.user_id ORDER BY 1",
    "SELECT p.title, u.name FROM ff_posts p LEFT JOIN ff_users u ON u.id = p.author_id ORDER BY 1",
    "SELECT word FROM ff_keywords ORDER BY 1",
    "SELECT p.title, k.word FROM ff_post_keywords pk JOIN ff_posts p ON p.id = pk.post_id " ..
        "JOIN ff_keywords k ON k.id = pk.keyword_id ORDER BY 1, 2",
    "SELECT n.label, p.label FROM ff_nodes n LEFT JOIN ff_nodes p ON p.id = n.parent_id ORDER BY 1",
}

local function db_snapshot(e)
    local c = e:connect()
    local out = {}
    for i, q in ipairs(QUERIES) do
        for r in c:execute(q) do
            local parts = {}
            for j = 1, #r do parts[j] = tostring(r[j]) end
            out[#out + 1] = i .. ":" .. table.concat(parts, ",")
        end
    end
    c:close()
    return table.concat(out, "\n")
end

-- The session as it stands: each object's status and column values, the
-- collections changed before the flush, and the new / dirty / deleted sets.
local function session_snapshot(s, objs, M)
    local out = {("new=%d dirty=%d deleted=%d"):format(#s.new, #s.dirty, #s.deleted)}
    for name, o in pairs(objs) do
        local st = object_state(o)
        local cols = {}
        for _, k in ipairs({"id", "name", "email", "user_id", "title", "author_id", "word",
                            "label", "parent_id"}) do
            local ok, v = pcall(function() return o[k] end)
            if ok and v ~= nil then cols[#cols + 1] = k .. "=" .. tostring(v) end
        end
        out[#out + 1] = name .. " " .. st.status .. " " .. table.concat(cols, " ")
    end
    table.sort(out)
    local function members(list)
        local m = {}
        for i, x in ipairs(list) do m[i] = tostring(x.email or x.word or x.label) end
        return table.concat(m, ",")
    end
    out[#out + 1] = "u1.addresses=" .. members(objs.u1.addresses)
    out[#out + 1] = "u2.addresses=" .. members(objs.u2.addresses)
    out[#out + 1] = "p1.keywords=" .. members(objs.p1.keywords)
    out[#out + 1] = "p2.keywords=" .. members(objs.p2.keywords)
    out[#out + 1] = "c1.children=" .. members(objs.c1.children)
    return table.concat(out, "\n")
end

-- Commits the starting state, then makes the changes of the flush under
-- test; returns the session and its objects.
local function scenario(e, M)
    local s = Session(e)
    local o = {}
    o.u1 = M.User({name = "u1", addresses = {M.Address({email = "a1"}), M.Address({email = "a2"})}})
    o.k1 = M.Keyword({word = "k1"})
    o.p1 = M.Post({title = "p1", author = o.u1, keywords = {o.k1}})
    o.root = M.Node({label = "root"})
    o.c1 = M.Node({label = "c1", parent = o.root})
    s:add_all({o.u1, o.p1, o.root})
    s:commit()
    s.autoflush = false
    o.a1, o.a2 = o.u1.addresses[1], o.u1.addresses[2]
    local _ = #o.p1.keywords, #o.c1.children, o.c1.label, o.root.label, o.k1.word, o.p1.title
    -- the changes
    o.u2 = M.User({name = "u2", addresses = {M.Address({email = "a3"})}})
    o.a3 = o.u2.addresses[1]
    s:add(o.u2)
    o.u1.addresses:remove(o.a1)                      -- orphan: DELETE
    o.a2.email = "a2-changed"                        -- UPDATE
    o.k2 = M.Keyword({word = "k2"})
    o.p2 = M.Post({title = "p2", author = o.u2, keywords = {o.k1, o.k2}})
    s:add(o.p2)
    o.p1.keywords:remove(o.k1)                       -- association row DELETE
    o.c2 = M.Node({label = "c2", parent = o.c1})
    o.c3 = M.Node({label = "c3", parent = o.c2})
    s:add(o.c3)
    o.root.label = "root-changed"
    return s, o
end

for_each_db("a failure at any statement of a mixed flush leaves database and session unchanged",
            function(url)
    -- the undisturbed flush: its result, and how many statements it takes
    local e, M = model(url)
    local s, o = scenario(e, M)
    local before_db = db_snapshot(e)
    s:commit()
    local want = db_snapshot(e)
    eq(want ~= before_db, true)
    s:close()
    local n = 1
    while true do
        e, M = model(url)
        s, o = scenario(e, M)
        local db0, ses0 = db_snapshot(e), session_snapshot(s, o, M)
        e:_fail_statement(n)
        local ok, err = pcall(s.flush, s)
        e:_fail_statement(0)
        if ok then break end
        eq(tostring(err):find("injected failure", 1, true) ~= nil, true, tostring(err))
        eq(db_snapshot(e), db0, "database after failing statement " .. n)
        eq(session_snapshot(s, o, M), ses0, "session after failing statement " .. n)
        s:commit()                                      -- the same flush, now whole
        eq(db_snapshot(e), want, "database after retrying statement " .. n)
        s:close()
        n = n + 1
    end
    eq(n > 10, true, "statements in the flush: " .. (n - 1))
    s:close()
end)
