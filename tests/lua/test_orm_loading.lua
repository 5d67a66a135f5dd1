-- test_orm_loading.lua: relationship loading strategies on SQLite and
-- PostgreSQL, with the statements pinned through an echo sink: joinedload
-- (chained paths, many-to-many, LIMIT wrapped in a subquery), selectinload
-- (batches of 500 keys), subqueryload, lazyload / noload / raiseload (and
-- options below a lazy relationship, applied when it loads),
-- relationship(lazy = ...), self-referential eager loads, the identity map
-- (populate_existing), 2.0-style execute(select(...):options(...)), the N+1
-- guard's warning, and bad input.

local function model(url)
    local e = create_engine(url)
    local Base = declarative_base()
    local order_items = Table("ld_order_items", Base.metadata,
        Column("order_id", Integer, ForeignKey("ld_orders.id"), {primary_key = true}),
        Column("item_id", Integer, ForeignKey("ld_items.id"), {primary_key = true}))
    local m = {e = e, Base = Base}
    m.User = Base:class("User", {
        __tablename = "ld_users",
        id = Column(Integer, {primary_key = true}),
        name = Column(String(20)),
        addresses = relationship("Address", {back_populates = "user", order_by = "Address.id"}),
        orders = relationship("Order", {order_by = "Order.id"}),
    })
    m.Address = Base:class("Address", {
        __tablename = "ld_addresses",
        id = Column(Integer, {primary_key = true}),
        email = Column(String(40)),
        user_id = Column(Integer, ForeignKey("ld_users.id")),
        user = relationship("User", {back_populates = "addresses"}),
    })
    m.Order = Base:class("Order", {
        __tablename = "ld_orders",
        id = Column(Integer, {primary_key = true}),
        user_id = Column(Integer, ForeignKey("ld_users.id")),
        items = relationship("Item", {secondary = order_items, order_by = "Item.id"}),
    })
    m.Item = Base:class("Item", {
        __tablename = "ld_items",
        id = Column(Integer, {primary_key = true}),
        descr = Column(String(20)),
    })
    m.Node = Base:class("Node", {
        __tablename = "ld_nodes",
        id = Column(Integer, {primary_key = true}),
        parent_id = Column(Integer, ForeignKey("ld_nodes.id")),
        data = Column(String(20)),
        children = relationship("Node", {order_by = "Node.id",
                                         backref = {"parent", {remote_side = "Node.id"}}}),
    })
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    local U, A, O, I, N = m.User, m.Address, m.Order, m.Item, m.Node
    local i1, i2, i3 = I({descr = "bolt"}), I({descr = "nut"}), I({descr = "gear"})
    local jack = U({name = "jack", addresses = {A({email = "jack@a"}), A({email = "jack@b"})}})
    jack.orders = {O({items = {i1, i2}}), O({items = {i3}})}
    local ed = U({name = "ed", addresses = {A({email = "ed@a"})}})
    ed.orders = {O({items = {i2}})}
    s:add_all({jack, ed, U({name = "wendy"})})
    local root = N({data = "root"})
    local c1 = N({data = "c1", children = {N({data = "c11"})}})
    root.children = {c1, N({data = "c2"})}
    s:add(root)
    s:commit()
    s:close()
    return m
end

-- Statements as echo shows them; for PostgreSQL the `?` of each expected
-- statement become $1, $2, ...
local function capture(e)
    local lines = {}
    e:set_echo_sink(function(l) lines[#lines + 1] = l end)
    e.echo = true
    return lines
end

local function expected(db, list)
    local out = {}
    for _, x in ipairs(list) do
        if db == "postgresql" and not x:match("^%(") then
            local n = 0
            x = x:gsub("%?", function() n = n + 1; return "$" .. n end)
        end
        out[#out + 1] = x
    end
    return table.concat(out, "\n")
end

local function sql_is(lines, db, list)
    local got = table.concat(lines, "\n")
    local want = expected(db, list)
    if got ~= want then
        error(("statements differ\n--- expected\n%s\n--- got\n%s"):format(want, got), 2)
    end
    for i = #lines, 1, -1 do lines[i] = nil end
end

local function close(s, log)
    s:close()
    for i = #log, 1, -1 do log[i] = nil end
end

local function names(list, field)
    local out = {}
    for i, x in ipairs(list) do out[i] = tostring(x[field or "name"]) end
    return table.concat(out, ",")
end

local USERS = "SELECT ld_users.id AS ld_users_id, ld_users.name AS ld_users_name"
local ADDR_COLS = "ld_addresses.id AS ld_addresses_id, ld_addresses.email AS ld_addresses_email, ld_addresses.user_id AS ld_addresses_user_id"
local ADDR1_COLS = "ld_addresses_1.id AS ld_addresses_1_id, ld_addresses_1.email AS ld_addresses_1_email, ld_addresses_1.user_id AS ld_addresses_1_user_id"

for_each_db("joinedload: one LEFT OUTER JOIN fills collections, nothing dirty", function(url, db)
    local m = model(url)
    local User = m.User
    local s = Session(m.e)
    local log = capture(m.e)
    local us = s:query(User):options(joinedload(User.addresses)):order_by(User.id):all()
    sql_is(log, db, {"BEGIN (implicit)",
        USERS .. ", " .. ADDR1_COLS .. "\nFROM ld_users LEFT OUTER JOIN ld_addresses AS ld_addresses_1 ON ld_users.id = ld_addresses_1.user_id\nORDER BY ld_users.id, ld_addresses_1.id",
        "()"})
    eq(names(us), "jack,ed,wendy")                 -- each parent once
    eq(names(us[1].addresses, "email"), "jack@a,jack@b")
    eq(#us[3].addresses, 0)
    eq(#s.dirty, 0)
    eq(rawequal(us[1].addresses[1].user, us[1]), true)   -- the backref: identity map, no SQL
    eq(#log, 0)
    s:close()
end)

for_each_db("joinedload with LIMIT/OFFSET and first(): the query becomes anon_1", function(url, db)
    local m = model(url)
    local User, Address = m.User, m.Address
    local s = Session(m.e)
    local log = capture(m.e)
    local us = s:query(User):options(joinedload(User.addresses)):filter(User.name:ne("x"))
        :order_by(User.id:desc()):limit(2):offset(1):all()
    sql_is(log, db, {"BEGIN (implicit)",
        "SELECT anon_1.ld_users_id AS anon_1_ld_users_id, anon_1.ld_users_name AS anon_1_ld_users_name, " .. ADDR1_COLS
        .. "\nFROM (" .. USERS .. "\nFROM ld_users\nWHERE ld_users.name != ?\nORDER BY ld_users.id DESC\nLIMIT ? OFFSET ?) AS anon_1 LEFT OUTER JOIN ld_addresses AS ld_addresses_1 ON anon_1.ld_users_id = ld_addresses_1.user_id"
        .. "\nORDER BY anon_1.ld_users_id DESC, ld_addresses_1.id",
        "('x', 2, 1)"})
    eq(names(us), "ed,jack")
    eq(#us[2].addresses, 2)
    local u = s:query(User):options(joinedload(User.addresses)):order_by(User.id):first()
    sql_is(log, db, {
        "SELECT anon_1.ld_users_id AS anon_1_ld_users_id, anon_1.ld_users_name AS anon_1_ld_users_name, " .. ADDR1_COLS
        .. "\nFROM (" .. USERS .. "\nFROM ld_users\nORDER BY ld_users.id\nLIMIT " .. (db == "sqlite" and "? OFFSET ?" or "?")
        .. ") AS anon_1 LEFT OUTER JOIN ld_addresses AS ld_addresses_1 ON anon_1.ld_users_id = ld_addresses_1.user_id"
        .. "\nORDER BY anon_1.ld_users_id, ld_addresses_1.id",
        db == "sqlite" and "(1, 0)" or "(1,)"})
    eq(u.name, "jack")
    eq(#u.addresses, 2)                              -- all of them, not one row's worth
    -- a many-to-one joined load needs no subquery
    local a = s:query(Address):options(joinedload(Address.user)):order_by(Address.id):limit(1):all()
    sql_is(log, db, {
        "SELECT " .. ADDR_COLS .. ", ld_users_1.id AS ld_users_1_id, ld_users_1.name AS ld_users_1_name\nFROM ld_addresses LEFT OUTER JOIN ld_users AS ld_users_1 ON ld_users_1.id = ld_addresses.user_id\nORDER BY ld_addresses.id\nLIMIT " .. (db == "sqlite" and "? OFFSET ?" or "?"),
        db == "sqlite" and "(1, 0)" or "(1,)"})
    eq(a[1].user.name, "jack")
    -- the statement a query runs first is what it prints
    local q = s:query(User):options(joinedload(User.addresses)):limit(1)
    assert(tostring(q):find("FROM (SELECT", 1, true), tostring(q))
    eq(s:query(User):options(joinedload(User.addresses)):count(), 3)
    s:close()
end)

for_each_db("joinedload paths: chained, several relationships, many-to-many", function(url, db)
    local m = model(url)
    local User, Order = m.User, m.Order
    local s = Session(m.e)
    local log = capture(m.e)
    local want = {"BEGIN (implicit)",
        USERS .. ", ld_orders_1.id AS ld_orders_1_id, ld_orders_1.user_id AS ld_orders_1_user_id, ld_items_1.id AS ld_items_1_id, ld_items_1.descr AS ld_items_1_descr"
        .. "\nFROM ld_users LEFT OUTER JOIN ld_orders AS ld_orders_1 ON ld_users.id = ld_orders_1.user_id LEFT OUTER JOIN (ld_order_items AS ld_order_items_1 JOIN ld_items AS ld_items_1 ON ld_items_1.id = ld_order_items_1.item_id) ON ld_orders_1.id = ld_order_items_1.order_id"
        .. "\nORDER BY ld_users.id, ld_orders_1.id, ld_items_1.id",
        "()"}
    local us = s:query(User):options(joinedload(User.orders):joinedload(Order.items)):order_by(User.id):all()
    sql_is(log, db, want)
    eq(#us[1].orders, 2)
    eq(names(us[1].orders[1].items, "descr"), "bolt,nut")
    eq(names(us[2].orders[1].items, "descr"), "nut")
    eq(#log, 0)
    close(s, log)
    s = Session(m.e)
    s:query(User):options(joinedload(User.orders, Order.items)):order_by(User.id):all()
    sql_is(log, db, want)
    close(s, log)
    s = Session(m.e)
    s:query(User):options(joinedload("orders.items")):order_by(User.id):all()
    sql_is(log, db, want)
    -- two options: columns in the order of the mapper's relationships
    us = s:query(User):options(joinedload(User.orders), joinedload(User.addresses)):order_by(User.id):all()
    sql_is(log, db, {
        USERS .. ", " .. ADDR1_COLS .. ", ld_orders_1.id AS ld_orders_1_id, ld_orders_1.user_id AS ld_orders_1_user_id"
        .. "\nFROM ld_users LEFT OUTER JOIN ld_addresses AS ld_addresses_1 ON ld_users.id = ld_addresses_1.user_id LEFT OUTER JOIN ld_orders AS ld_orders_1 ON ld_users.id = ld_orders_1.user_id"
        .. "\nORDER BY ld_users.id, ld_addresses_1.id, ld_orders_1.id",
        "()"})
    s:close()
end)

for_each_db("selectinload: one SELECT ... IN per relationship", function(url, db)
    local m = model(url)
    local User, Address, Order = m.User, m.Address, m.Order
    local s = Session(m.e)
    local log = capture(m.e)
    local us = s:query(User):options(selectinload(User.addresses), selectinload(User.orders):selectinload(Order.items))
        :order_by(User.id):all()
    sql_is(log, db, {"BEGIN (implicit)",
        USERS .. "\nFROM ld_users\nORDER BY ld_users.id", "()",
        "SELECT ld_addresses.user_id AS ld_addresses_user_id, ld_addresses.id AS ld_addresses_id, ld_addresses.email AS ld_addresses_email\nFROM ld_addresses\nWHERE ld_addresses.user_id IN (?, ?, ?)\nORDER BY ld_addresses.id",
        "(1, 2, 3)",
        "SELECT ld_orders.user_id AS ld_orders_user_id, ld_orders.id AS ld_orders_id\nFROM ld_orders\nWHERE ld_orders.user_id IN (?, ?, ?)\nORDER BY ld_orders.id",
        "(1, 2, 3)",
        "SELECT ld_orders_1.id AS ld_orders_1_id, ld_items.id AS ld_items_id, ld_items.descr AS ld_items_descr\nFROM ld_orders AS ld_orders_1 JOIN ld_order_items AS ld_order_items_1 ON ld_orders_1.id = ld_order_items_1.order_id JOIN ld_items ON ld_items.id = ld_order_items_1.item_id\nWHERE ld_orders_1.id IN (?, ?, ?)\nORDER BY ld_items.id",
        "(1, 2, 3)"})
    eq(names(us[1].addresses, "email"), "jack@a,jack@b")
    eq(#us[3].addresses, 0)
    eq(#us[3].orders, 0)
    eq(names(us[1].orders[2].items, "descr"), "gear")
    eq(#log, 0)
    eq(#s.dirty, 0)
    -- many-to-one: the targets by primary key, each once
    close(s, log)
    s = Session(m.e)
    local as = s:query(Address):options(selectinload(Address.user)):order_by(Address.id):all()
    sql_is(log, db, {"BEGIN (implicit)",
        "SELECT " .. ADDR_COLS .. "\nFROM ld_addresses\nORDER BY ld_addresses.id", "()",
        USERS .. "\nFROM ld_users\nWHERE ld_users.id IN (?, ?)", "(1, 2)"})
    eq(names({as[1].user, as[2].user, as[3].user}), "jack,jack,ed")
    eq(#log, 0)
    -- a collection loaded already is not selected again
    eq(#as[1].user.addresses, 2)
    eq(#log, 2)                                     -- a lazy load
    for i = #log, 1, -1 do log[i] = nil end
    s:query(User):options(selectinload(User.addresses)):all()
    sql_is(log, db, {USERS .. "\nFROM ld_users", "()",
        "SELECT ld_addresses.user_id AS ld_addresses_user_id, ld_addresses.id AS ld_addresses_id, ld_addresses.email AS ld_addresses_email\nFROM ld_addresses\nWHERE ld_addresses.user_id IN (?, ?)\nORDER BY ld_addresses.id",
        "(2, 3)"})
    s:close()
end)

for_each_db("selectinload: 500 keys per statement", function(url, db)
    local m = model(url)
    local User = m.User
    local rows = {}
    for i = 1, 520 do rows[i] = {name = "u" .. i} end
    m.e:execute(User.__table:insert(), rows)
    local s = Session(m.e)
    local log = capture(m.e)
    local us = s:query(User):options(selectinload(User.addresses)):order_by(User.id):all()
    eq(#us, 523)
    local ins = {}
    for i, l in ipairs(log) do
        if l:find("WHERE ld_addresses.user_id IN", 1, true) then
            local _, n = l:gsub("[%?%$]", "")
            ins[#ins + 1] = n
        end
    end
    eq(#ins, 2)
    eq(ins[1], 500)
    eq(ins[2], 23)
    eq(#us[1].addresses, 2)
    eq(#us[523].addresses, 0)
    s:close()
end)

for_each_db("subqueryload: the query again as anon_1, ordered by the parent key", function(url, db)
    local m = model(url)
    local User, Address, Order = m.User, m.Address, m.Order
    local s = Session(m.e)
    local log = capture(m.e)
    local jack = s:query(User):options(subqueryload(User.addresses)):filter_by({name = "jack"}):one()
    sql_is(log, db, {"BEGIN (implicit)",
        USERS .. "\nFROM ld_users\nWHERE ld_users.name = ?", "('jack',)",
        "SELECT " .. ADDR_COLS .. ", anon_1.ld_users_id AS anon_1_ld_users_id\nFROM (SELECT ld_users.id AS ld_users_id\nFROM ld_users\nWHERE ld_users.name = ?) AS anon_1 JOIN ld_addresses ON anon_1.ld_users_id = ld_addresses.user_id\nORDER BY anon_1.ld_users_id, ld_addresses.id",
        "('jack',)"})
    eq(names(jack.addresses, "email"), "jack@a,jack@b")
    close(s, log)
    s = Session(m.e)
    local us = s:query(User):options(subqueryload(User.orders, Order.items)):order_by(User.id):all()
    sql_is(log, db, {"BEGIN (implicit)",
        USERS .. "\nFROM ld_users\nORDER BY ld_users.id", "()",
        "SELECT ld_orders.id AS ld_orders_id, ld_orders.user_id AS ld_orders_user_id, anon_1.ld_users_id AS anon_1_ld_users_id\nFROM (SELECT ld_users.id AS ld_users_id\nFROM ld_users) AS anon_1 JOIN ld_orders ON anon_1.ld_users_id = ld_orders.user_id\nORDER BY anon_1.ld_users_id, ld_orders.id",
        "()",
        "SELECT ld_items.id AS ld_items_id, ld_items.descr AS ld_items_descr, ld_orders_1.id AS ld_orders_1_id\nFROM (SELECT ld_users.id AS ld_users_id\nFROM ld_users) AS anon_1 JOIN ld_orders AS ld_orders_1 ON anon_1.ld_users_id = ld_orders_1.user_id JOIN ld_order_items AS ld_order_items_1 ON ld_orders_1.id = ld_order_items_1.order_id JOIN ld_items ON ld_items.id = ld_order_items_1.item_id\nORDER BY ld_orders_1.id, ld_items.id",
        "()"})
    eq(names(us[1].orders[1].items, "descr"), "bolt,nut")
    eq(names(us[2].orders[1].items, "descr"), "nut")
    eq(#us[3].orders, 0)
    eq(#log, 0)
    close(s, log)
    -- many-to-one: the foreign keys, DISTINCT
    s = Session(m.e)
    local as = s:query(Address):options(subqueryload(Address.user)):all()
    sql_is(log, db, {"BEGIN (implicit)",
        "SELECT " .. ADDR_COLS .. "\nFROM ld_addresses", "()",
        USERS .. ", anon_1.ld_addresses_user_id AS anon_1_ld_addresses_user_id\nFROM (SELECT DISTINCT ld_addresses.user_id AS ld_addresses_user_id\nFROM ld_addresses) AS anon_1 JOIN ld_users ON ld_users.id = anon_1.ld_addresses_user_id\nORDER BY anon_1.ld_addresses_user_id",
        "()"})
    eq(as[1].user.name, "jack")
    eq(#log, 0)
    s:close()
end)

for_each_db("several strategies in one query", function(url, db)
    local m = model(url)
    local User, Order = m.User, m.Order
    local s = Session(m.e)
    local log = capture(m.e)
    local us = s:query(User):options(joinedload(User.addresses), selectinload(User.orders):joinedload(Order.items))
        :order_by(User.id):all()
    sql_is(log, db, {"BEGIN (implicit)",
        USERS .. ", " .. ADDR1_COLS .. "\nFROM ld_users LEFT OUTER JOIN ld_addresses AS ld_addresses_1 ON ld_users.id = ld_addresses_1.user_id\nORDER BY ld_users.id, ld_addresses_1.id",
        "()",
        "SELECT ld_orders.user_id AS ld_orders_user_id, ld_orders.id AS ld_orders_id, ld_items_1.id AS ld_items_1_id, ld_items_1.descr AS ld_items_1_descr\nFROM ld_orders LEFT OUTER JOIN (ld_order_items AS ld_order_items_1 JOIN ld_items AS ld_items_1 ON ld_items_1.id = ld_order_items_1.item_id) ON ld_orders.id = ld_order_items_1.order_id\nWHERE ld_orders.user_id IN (?, ?, ?)\nORDER BY ld_orders.id, ld_items_1.id",
        "(1, 2, 3)"})
    eq(#us[1].addresses, 2)
    eq(names(us[1].orders[1].items, "descr"), "bolt,nut")
    eq(#log, 0)
    s:close()
end)

for_each_db("lazyload, noload, raiseload options", function(url, db)
    local m = model(url)
    local User = m.User
    local s = Session(m.e)
    local log = capture(m.e)
    local us = s:query(User):options(noload(User.addresses), raiseload(User.orders)):order_by(User.id):all()
    sql_is(log, db, {"BEGIN (implicit)", USERS .. "\nFROM ld_users\nORDER BY ld_users.id", "()"})
    eq(#us[1].addresses, 0)                         -- noload: empty, no SQL
    raises(function() return us[1].orders end, "'User.orders' is not available due to lazy='raise'")
    eq(#log, 0)
    -- lazyload: the plain lazy load on access
    local u = s:query(User):options(lazyload(User.orders)):filter_by({name = "ed"}):one()
    eq(#u.orders, 1)
    eq(#log, 4)                                     -- the query, then the lazy load
    s:close()
end)

-- Options below a lazily loaded relationship apply to its lazy load, as
-- SQLAlchemy's defaultload(User.orders).joinedload(Order.items) does.
for_each_db("options below a lazy relationship apply when it loads", function(url, db)
    local m = model(url)
    local User, Order, Address = m.User, m.Order, m.Address
    local s = Session(m.e)
    local log = capture(m.e)
    local u = s:query(User):options(defaultload(User.orders):joinedload(Order.items))
        :filter_by({name = "jack"}):one()
    for i = #log, 1, -1 do log[i] = nil end
    local orders = u.orders                         -- the lazy load, items joined
    sql_is(log, db, {
        "SELECT ld_orders.id AS ld_orders_id, ld_orders.user_id AS ld_orders_user_id, ld_items_1.id AS ld_items_1_id, ld_items_1.descr AS ld_items_1_descr\nFROM ld_orders LEFT OUTER JOIN (ld_order_items AS ld_order_items_1 JOIN ld_items AS ld_items_1 ON ld_items_1.id = ld_order_items_1.item_id) ON ld_orders.id = ld_order_items_1.order_id\nWHERE ? = ld_orders.user_id\nORDER BY ld_orders.id, ld_items_1.id",
        "(1,)"})
    eq(#orders, 2)
    eq(names(orders[1].items, "descr") .. "/" .. names(orders[2].items, "descr"), "bolt,nut/gear")
    eq(#log, 0)                                     -- the items came with the orders
    s:close()
    -- lazyload() with options below it, on a many-to-one; no foreign key: no query
    s = Session(m.e)
    local a = s:query(Address):options(lazyload(Address.user):selectinload(User.orders))
        :filter_by({email = "ed@a"}):one()
    local stray = Address({email = "nobody@x"})
    s:add(stray)
    s:flush()
    local stray_loaded = s:query(Address):options(lazyload(Address.user):selectinload(User.orders))
        :filter_by({email = "nobody@x"}):one()
    for i = #log, 1, -1 do log[i] = nil end
    eq(a.user.name, "ed")
    eq(#log, 4)                                     -- the user, then its orders (selectin)
    eq(#a.user.orders, 1)
    eq(#log, 4)
    eq(stray_loaded.user, nil)
    eq(#log, 4)
    s:close()
end)

for_each_db("relationship(lazy = ...) as the default strategy", function(url, db)
    local e = create_engine(url)
    local Base = declarative_base()
    local P = Base:class("P", {__tablename = "lz_p", id = Column(Integer, {primary_key = true}),
        js = relationship("J", {lazy = "joined", back_populates = "p"}),
        ss = relationship("S", {lazy = "selectin"}),
        qs = relationship("Q", {lazy = "subquery"}),
        ns = relationship("N", {lazy = "noload"}),
        rs = relationship("R", {lazy = "raise"})})
    local kid = function(name, t)
        return Base:class(name, {__tablename = t, id = Column(Integer, {primary_key = true}),
                                  p_id = Column(Integer, ForeignKey("lz_p.id"))})
    end
    local J = Base:class("J", {__tablename = "lz_j", id = Column(Integer, {primary_key = true}),
        p_id = Column(Integer, ForeignKey("lz_p.id")), p = relationship("P", {lazy = "joined", back_populates = "js"})})
    local S, Q, N, R = kid("S", "lz_s"), kid("Q", "lz_q"), kid("N", "lz_n"), kid("R", "lz_r")
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    s:add(P({js = {J()}, ss = {S(), S()}, qs = {Q()}, ns = {N()}, rs = {R()}}))
    s:commit()
    s:close()
    s = Session(e)
    local log = capture(e)
    local p = s:query(P):one()
    sql_is(log, db, {"BEGIN (implicit)",
        "SELECT lz_p.id AS lz_p_id, lz_j_1.id AS lz_j_1_id, lz_j_1.p_id AS lz_j_1_p_id\nFROM lz_p LEFT OUTER JOIN lz_j AS lz_j_1 ON lz_p.id = lz_j_1.p_id", "()",
        "SELECT lz_s.p_id AS lz_s_p_id, lz_s.id AS lz_s_id\nFROM lz_s\nWHERE lz_s.p_id IN (?)", "(1,)",
        "SELECT lz_q.id AS lz_q_id, lz_q.p_id AS lz_q_p_id, anon_1.lz_p_id AS anon_1_lz_p_id\nFROM (SELECT lz_p.id AS lz_p_id\nFROM lz_p) AS anon_1 JOIN lz_q ON anon_1.lz_p_id = lz_q.p_id\nORDER BY anon_1.lz_p_id", "()"})
    eq(#p.js, 1)
    eq(rawequal(p.js[1].p, p), true)               -- the two-way joined load stops at P
    eq(#p.ss, 2)
    eq(#p.qs, 1)
    eq(#p.ns, 0)                                    -- noload: the row is there, not loaded
    raises(function() return p.rs end, "'P.rs' is not available due to lazy='raise'")
    eq(#log, 0)
    -- an option overrides the relationship's own strategy
    close(s, log)
    s = Session(e)
    p = s:query(P):options(lazyload(P.js), lazyload(P.ss), lazyload(P.qs), lazyload(P.rs)):one()
    sql_is(log, db, {"BEGIN (implicit)", "SELECT lz_p.id AS lz_p_id\nFROM lz_p", "()"})
    eq(#p.rs, 1)                                    -- lazyload() lifts lazy = "raise"
    s:close()
    raises(function() relationship("J", {lazy = "eager"}) end, "unknown lazy = eager")
end)

for_each_db("self-referential eager loads", function(url, db)
    local m = model(url)
    local Node = m.Node
    local s = Session(m.e)
    local log = capture(m.e)
    local NODE = "ld_nodes.id AS ld_nodes_id, ld_nodes.parent_id AS ld_nodes_parent_id, ld_nodes.data AS ld_nodes_data"
    local NODE_BY_PARENT = "ld_nodes.parent_id AS ld_nodes_parent_id, ld_nodes.id AS ld_nodes_id, ld_nodes.data AS ld_nodes_data"
    local root = s:query(Node):options(joinedload(Node.children)):filter(Node.parent_id:is_(nil)):one()
    sql_is(log, db, {"BEGIN (implicit)",
        "SELECT " .. NODE .. ", ld_nodes_1.id AS ld_nodes_1_id, ld_nodes_1.parent_id AS ld_nodes_1_parent_id, ld_nodes_1.data AS ld_nodes_1_data\nFROM ld_nodes LEFT OUTER JOIN ld_nodes AS ld_nodes_1 ON ld_nodes.id = ld_nodes_1.parent_id\nWHERE ld_nodes.parent_id IS NULL\nORDER BY ld_nodes_1.id",
        "()"})
    eq(names(root.children, "data"), "c1,c2")
    eq(#log, 0)
    close(s, log)
    s = Session(m.e)
    root = s:query(Node):options(selectinload(Node.children):selectinload(Node.children))
        :filter(Node.parent_id:is_(nil)):one()
    sql_is(log, db, {"BEGIN (implicit)",
        "SELECT " .. NODE .. "\nFROM ld_nodes\nWHERE ld_nodes.parent_id IS NULL", "()",
        "SELECT " .. NODE_BY_PARENT .. "\nFROM ld_nodes\nWHERE ld_nodes.parent_id IN (?)\nORDER BY ld_nodes.id", "(1,)",
        "SELECT " .. NODE_BY_PARENT .. "\nFROM ld_nodes\nWHERE ld_nodes.parent_id IN (?, ?)\nORDER BY ld_nodes.id", "(2, 4)"})
    eq(names(root.children[1].children, "data"), "c11")
    eq(#root.children[2].children, 0)
    eq(#log, 0)
    close(s, log)
    s = Session(m.e)
    local leaves = s:query(Node):options(joinedload(Node.parent):joinedload(Node.parent))
        :filter(Node.data:eq("c11")):all()
    sql_is(log, db, {"BEGIN (implicit)",
        "SELECT " .. NODE .. ", ld_nodes_1.id AS ld_nodes_1_id, ld_nodes_1.parent_id AS ld_nodes_1_parent_id, ld_nodes_1.data AS ld_nodes_1_data, ld_nodes_2.id AS ld_nodes_2_id, ld_nodes_2.parent_id AS ld_nodes_2_parent_id, ld_nodes_2.data AS ld_nodes_2_data\nFROM ld_nodes LEFT OUTER JOIN ld_nodes AS ld_nodes_1 ON ld_nodes_1.id = ld_nodes.parent_id LEFT OUTER JOIN ld_nodes AS ld_nodes_2 ON ld_nodes_2.id = ld_nodes_1.parent_id\nWHERE ld_nodes.data = ?",
        "('c11',)"})
    eq(leaves[1].parent.parent.data, "root")
    eq(#log, 0)
    s:close()
end)

for_each_db("the identity map: loaded collections kept, unless populate_existing", function(url, db)
    local m = model(url)
    local User, Address = m.User, m.Address
    local s = Session({bind = m.e, autoflush = false})
    local jack = s:query(User):filter_by({name = "jack"}):one()
    eq(#jack.addresses, 2)                          -- loaded (lazily)
    s:execute(Address.__table:insert():values({email = "jack@c", user_id = jack.id}))
    s:query(User):options(joinedload(User.addresses)):all()
    eq(#jack.addresses, 2)                          -- not overwritten
    s:query(User):options(selectinload(User.addresses)):populate_existing():all()
    eq(#jack.addresses, 3)                          -- reloaded
    jack.addresses:append(Address({email = "pending"}))
    s:query(User):options(joinedload(User.addresses)):populate_existing():all()
    eq(#jack.addresses, 4)                          -- changed since the flush: kept
    eq(#s.new, 1)
    s:rollback()
    s:close()
end)

for_each_db("2.0 style: session:execute(select(User):options(...))", function(url, db)
    local m = model(url)
    local User = m.User
    local s = Session(m.e)
    local log = capture(m.e)
    local r = s:execute(select(User):options(selectinload(User.addresses)):order_by(User.id))
    local rows = r:all()
    eq(#rows, 3)
    eq(tostring(rows[1]):sub(1, 2), "(<")
    eq(rows[1].User.name, "jack")
    eq(#log, 5)
    local us = s:scalars(select(User):options(joinedload(User.addresses)):order_by(User.id)):all()
    eq(names(us[1].addresses, "email"), "jack@a,jack@b")
    eq(#s:execute(select(User):options(joinedload(User.addresses))):all(), 3)
    s:close()
end)

for_each_db("the N+1 guard warns once per query result and relationship", function(url, db)
    local m = model(url)
    local User, Address = m.User, m.Address
    local rows = {}
    for i = 1, 12 do rows[i] = {name = "n" .. i} end
    m.e:execute(User.__table:insert(), rows)
    local warnings = {}
    local old = set_warning_handler(function(msg) warnings[#warnings + 1] = msg end)
    local ok, err = pcall(function()
        local s = Session(m.e)
        for _, u in ipairs(s:query(User):all()) do local _ = #u.addresses end
        eq(#warnings, 1)
        eq(warnings[1], "N+1 queries: User.addresses was lazy loaded 10 times for the results of one query; load it with the query: options(selectinload(User.addresses))")
        for _, u in ipairs(s:query(User):options(selectinload(User.orders)):all()) do local _ = #u.orders end
        -- many-to-one loads the identity map answers are not queries
        for _, a in ipairs(s:query(Address):all()) do local _ = a.user end
        eq(#warnings, 1)
        s:close()
        s = Session(m.e)
        for _, u in ipairs(s:query(User):all()) do local _ = #u.orders end
        eq(#warnings, 2)
        s:close()
    end)
    set_warning_handler(old)
    assert(ok, err)
    raises(function() set_warning_handler(42) end, "a function or nil expected")
end)

for_each_db("loader options: bad input", function(url, db)
    local m = model(url)
    local User, Address, Order = m.User, m.Address, m.Order
    local s = Session(m.e)
    raises(function() return joinedload(User.name) end, "is not a relationship")
    raises(function() return selectinload() end, "bad argument #1 to 'selectinload'")
    raises(function() return s:query(User):options(joinedload(User.orders, Address.user)):all() end,
           "'Address.user' does not apply here: the path is at class Order")
    raises(function() return s:query(User):options(subqueryload("orders.nope")):all() end,
           "Can't find property named 'nope' on mapped class Order")
    raises(function() return s:query(User):options(joinedload("name")):all() end,
           "'User.name' is not a relationship")
    raises(function() return s:query(User):options(joinedload(User.orders):contains_eager(Order.items)):all() end,
           "contains_eager() continues only a path of contains_eager()")
    raises(function() return s:query(User, Address):options(selectinload(User.orders)):all() end,
           "loader options need a query of one mapped class")
    raises(function() return contains_eager(User.addresses, {alias = 1}) end, "must be an aliased() class")
    raises(function() return s:query(User):options(joinedload(User.addresses)):order_by(func.lower(User.name)):limit(1):all() end,
           "can't be moved out of the subquery")
    eq(tostring(joinedload(User.orders):selectinload("items")), 'joinedload(User.orders):selectinload("items")')
    s:close()
end)

for_each_db("contains_eager with an aliased target", function(url, db)
    local m = model(url)
    local User, Address = m.User, m.Address
    local s = Session(m.e)
    local a1 = aliased(Address)
    local us = s:query(User):join(a1, User.addresses):filter(a1.email:like("%@a"))
        :options(contains_eager(User.addresses, {alias = a1})):order_by(User.id):all()
    eq(names(us), "jack,ed")
    eq(names(us[1].addresses, "email"), "jack@a")   -- only what the query's join gave
    s:close()
end)

test("engine:set_echo_sink takes echo lines; nil gives them back to stdout", function()
    local e = create_engine("sqlite://")
    local got = {}
    e:set_echo_sink(function(l) got[#got + 1] = l end)
    e:execute(text("SELECT 1"))
    eq(#got, 0)                                     -- echo is off
    e.echo = true
    e:execute(text("SELECT 1"))
    eq(got[1], "SELECT 1")
    eq(got[2], "()")
    e:set_echo_sink(function() error("dropped") end)
    e:execute(text("SELECT 2"))                     -- an error in the sink is dropped
    e:set_echo_sink(nil)
    e.echo = false
    raises(function() e:set_echo_sink(42) end, "function expected")
end)

for_each_db("join_depth: how deep a self-referential eager load goes", function(url, db)
    local e = create_engine(url)
    local Base = declarative_base()
    local T = Base:class("T", {__tablename = "jd_t", id = Column(Integer, {primary_key = true}),
        parent_id = Column(Integer, ForeignKey("jd_t.id")),
        kids = relationship("T", {lazy = "joined", join_depth = 2, order_by = "T.id"})})
    local U = Base:class("U", {__tablename = "jd_u", id = Column(Integer, {primary_key = true}),
        parent_id = Column(Integer, ForeignKey("jd_u.id")),
        kids = relationship("U", {lazy = "selectin"})})
    Base.metadata:drop_all(e)
    Base.metadata:create_all(e)
    local s = Session(e)
    s:add(T({kids = {T({kids = {T({kids = {T()}})}})}}))
    s:add(U({kids = {U()}}))
    s:commit()
    s:close()
    s = Session(e)
    local log = capture(e)
    local top = s:query(T):filter(T.parent_id:is_(nil)):one()
    eq(#log, 3)                                     -- BEGIN, one SELECT, ()
    assert(log[2]:find("LEFT OUTER JOIN jd_t AS jd_t_2 ON jd_t_1.id = jd_t_2.parent_id", 1, true), log[2])
    assert(not log[2]:find("jd_t_3", 1, true), log[2])
    eq(#top.kids[1].kids, 1)
    eq(#log, 3)
    local _ = #top.kids[1].kids[1].kids             -- the third level: a lazy load
    eq(#log, 5)
    close(s, log)
    s = Session(e)
    s:query(U):filter(U.parent_id:is_(nil)):one()
    eq(#log, 3)                                     -- no join_depth: no self-referential eager load
    s:close()
    raises(function() relationship("T", {join_depth = -1}) end, "join_depth must be a non-negative integer")
end)
