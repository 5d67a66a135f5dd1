-- test_expr.lua: the expression language through the Lua binding: golden
-- SQL for every construct of DESIGN §5 and every operator of §2, rendered
-- three ways (tostring with :name parameters, compile("sqlite") with ?,
-- compile("postgresql") with $n), values only ever as parameters; generative
-- methods leaving their statement unchanged; column collections and keys;
-- and clear errors for bad input.  Execution on both databases is in
-- test_expr_exec.lua.

local md = MetaData()
local users = Table("users", md,
    Column("id", Integer, {primary_key = true}),
    Column("name", String(50)),
    Column("fullname", String))
local addresses = Table("addresses", md,
    Column("id", Integer, {primary_key = true}),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("email_address", String(100)))
local keywords = Table("keywords", md,
    Column("id", Integer, {primary_key = true}),
    Column("word", String(30)))

-- Values used in the golden cases are "zq..." strings and the numbers 4242
-- and 7171, so that any of them spliced into SQL text shows.
local SENTINELS = {"zq", "4242", "7171"}

-- The dialect form of a default rendering: :name -> ? or $1, $2, ...
local function positional(sql, style)
    local n = 0
    return (sql:gsub(":([%a_][%w_]*)", function()
        n = n + 1
        return style == "qmark" and "?" or "$" .. n
    end))
end

local function names_of(sql)
    local names = {}
    for name in sql:gmatch(":([%a_][%w_]*)") do names[#names + 1] = name end
    return table.concat(names, ",")
end

local function no_splice(sql, what)
    for _, s in ipairs(SENTINELS) do
        if sql:find(s, 1, true) then
            error(("%s: the value %s is spliced into %q"):format(what, s, sql), 3)
        end
    end
end

-- G(name, build, sql [, {sqlite = , pg = }]): build() returns the construct;
-- sql is its default rendering; the SQLite and PostgreSQL renderings are
-- derived by replacing the :name parameters unless given.  The parameter
-- names of the default compilation must be those of sql, in order.
local NGOLDEN = 0
local function G(name, build, sql, per)
    NGOLDEN = NGOLDEN + 1
    per = per or {}
    test("golden " .. NGOLDEN .. ": " .. name, function()
        local x = build()
        eq(tostring(x), sql, "tostring")
        local c = x:compile()
        eq(tostring(c), sql, "compile()")
        eq(table.concat(c.params, ","), per.params or names_of(sql), "parameter names")
        local lite = tostring(x:compile("sqlite"))
        local pg = tostring(x:compile("postgresql"))
        eq(lite, per.sqlite or positional(sql, "qmark"), "sqlite")
        eq(pg, per.pg or positional(sql, "numeric"), "postgresql")
        for _, s in ipairs({sql, lite, pg}) do no_splice(s, name) end
    end)
end

local u, a = users.c, addresses.c

-- === operators (DESIGN §2) ===

G("eq", function() return u.name:eq("zqed") end, "users.name = :name_1")
G("ne", function() return u.name:ne("zqed") end, "users.name != :name_1")
G("eq(nil) is IS NULL", function() return u.name:eq(nil) end, "users.name IS NULL")
G("ne(nil) is IS NOT NULL", function() return u.name:ne(nil) end, "users.name IS NOT NULL")
G("eq(null)", function() return u.name:eq(null) end, "users.name IS NULL")
G("lt", function() return u.id:lt(4242) end, "users.id < :id_1")
G("le", function() return u.id:le(4242) end, "users.id <= :id_1")
G("gt", function() return u.id:gt(4242) end, "users.id > :id_1")
G("ge", function() return u.id:ge(4242) end, "users.id >= :id_1")
G("column to column", function() return u.id:eq(a.user_id) end, "users.id = addresses.user_id")
G("literal on the left", function() return literal(4242):lt(u.id) end, ":param_1 < users.id")
G("& is AND", function() return u.id:gt(4242) & u.name:eq("zqed") end,
    "users.id > :id_1 AND users.name = :name_1")
G("| is OR", function() return u.name:eq("zqa") | u.name:eq("zqb") end,
    "users.name = :name_1 OR users.name = :name_2")
G("~ of a comparison negates the operator", function() return ~u.name:eq("zqed") end,
    "users.name != :name_1")
G("~ of OR is NOT (...)", function() return ~(u.name:eq("zqa") | u.id:eq(4242)) end,
    "NOT (users.name = :name_1 OR users.id = :id_1)")
G("~ of AND", function() return ~(u.id:gt(4242) & u.id:lt(7171)) end,
    "NOT (users.id > :id_1 AND users.id < :id_2)")
G("and_ of three", function() return and_(u.id:gt(4242), u.id:lt(7171), u.name:ne("zq")) end,
    "users.id > :id_1 AND users.id < :id_2 AND users.name != :name_1")
G("or_ inside and_ is grouped", function()
    return and_(or_(u.name:eq("zqa"), u.name:eq("zqb")), u.id:gt(4242))
end, "(users.name = :name_1 OR users.name = :name_2) AND users.id > :id_1")
G("not_", function() return not_(u.name:like("zq%")) end, "users.name NOT LIKE :name_1")
G("+", function() return u.id + 4242 end, "users.id + :id_1")
G("-", function() return u.id - 4242 end, "users.id - :id_1")
G("*", function() return u.id * 4242 end, "users.id * :id_1")
G("/", function() return u.id / 4242 end, "users.id / :id_1")
G("%", function() return u.id % 4242 end, "users.id % :id_1")
G("unary minus", function() return -u.id end, "-users.id")
G("unary minus of a sum is grouped", function() return -(u.id + 4242) end,
    "-(users.id + :id_1)")
G("precedence: * binds tighter than +", function() return u.id + u.id * 4242 end,
    "users.id + users.id * :id_1")
G("precedence: a sum under * is grouped", function() return (u.id + 4242) * 7171 end,
    "(users.id + :id_1) * :param_1")
G("- is not associative", function() return u.id - (u.id - 4242) end,
    "users.id - (users.id - :id_1)")
G(".. is ||", function() return u.name .. "zq" end, "users.name || :name_1")
G(".. chains without parentheses", function() return u.name .. u.fullname .. "zq" end,
    "users.name || users.fullname || :fullname_1")
G("+ on strings is ||", function() return u.name + "zq" end, "users.name || :name_1")
G("+ of typed literals is ||", function() return literal("zqa", String) + "zqb" end,
    ":param_1 || :param_2")
G("like", function() return u.name:like("zq%") end, "users.name LIKE :name_1")
G("notlike", function() return u.name:notlike("zq%") end, "users.name NOT LIKE :name_1")
G("ilike", function() return u.name:ilike("zq%") end, "lower(users.name) LIKE lower(:name_1)",
    {pg = "users.name ILIKE $1"})
G("notilike", function() return u.name:notilike("zq%") end,
    "lower(users.name) NOT LIKE lower(:name_1)", {pg = "users.name NOT ILIKE $1"})
G("in_", function() return u.id:in_({4242, 7171}) end, "users.id IN (:id_1, :id_2)")
G("notin_", function() return u.id:notin_({4242, 7171}) end, "users.id NOT IN (:id_1, :id_2)")
G("~in_", function() return ~u.name:in_({"zqa", "zqb"}) end,
    "users.name NOT IN (:name_1, :name_2)")
G("in_ an empty list", function() return u.id:in_({}) end,
    "users.id IN (SELECT 1 FROM (SELECT 1) WHERE 1!=1)",
    {pg = "users.id IN (SELECT CAST(NULL AS INTEGER) WHERE 1!=1)"})
G("in_ a select", function() return u.id:in_(select(a.user_id):where(a.email_address:like("zq%"))) end,
    "users.id IN (SELECT addresses.user_id\nFROM addresses\nWHERE addresses.email_address LIKE :email_address_1)")
G("between", function() return u.id:between(4242, 7171) end, "users.id BETWEEN :id_1 AND :id_2")
G("~between", function() return ~u.id:between(4242, 7171) end,
    "users.id NOT BETWEEN :id_1 AND :id_2")
G("is_(null)", function() return u.name:is_(null) end, "users.name IS NULL")
G("isnot(null)", function() return u.name:isnot(null) end, "users.name IS NOT NULL")
G("startswith", function() return u.name:startswith("zq") end,
    "users.name LIKE :name_1 || '%'")
G("endswith", function() return u.name:endswith("zq") end, "users.name LIKE '%' || :name_1")
G("contains", function() return u.name:contains("zq") end,
    "users.name LIKE '%' || :name_1 || '%'")
G("match", function() return u.name:match("zq") end, "users.name MATCH :name_1",
    {pg = "users.name @@ to_tsquery($1)"})
G("custom operator", function() return u.name:op("||")("zq") end, "users.name || :name_1")
G("custom operator between columns", function() return u.id:op("&")(a.id) end,
    "users.id & addresses.id")
G("asc", function() return u.name:asc() end, "users.name ASC")
G("desc", function() return u.name:desc() end, "users.name DESC")
G("desc nulls last", function() return u.name:desc():nullslast() end,
    "users.name DESC NULLS LAST")
G("label", function() return select(u.name:label("n")) end, "SELECT users.name AS n\nFROM users")
G("distinct in count", function() return func.count(u.name:distinct()) end,
    "count(DISTINCT users.name)")

-- === constructs (DESIGN §5) ===

G("select columns where", function()
    return select(u.id, u.name):where(u.name:eq("zqed"))
end, "SELECT users.id, users.name\nFROM users\nWHERE users.name = :name_1")
G("select a table, order, limit, offset", function()
    return select(users):where(u.id:gt(4242) & u.name:like("zq%"))
        :order_by(u.name:desc()):limit(10):offset(20)
end, "SELECT users.id, users.name, users.fullname\nFROM users\n"
    .. "WHERE users.id > :id_1 AND users.name LIKE :name_1\nORDER BY users.name DESC\n"
    .. "LIMIT :param_1 OFFSET :param_2")
G("limit alone: SQLite binds OFFSET 0", function() return select(u.id):limit(3) end,
    "SELECT users.id\nFROM users\nLIMIT :param_1",
    {sqlite = "SELECT users.id\nFROM users\nLIMIT ? OFFSET ?"})
G("offset alone", function() return select(u.id):offset(3) end,
    "SELECT users.id\nFROM users\nLIMIT -1 OFFSET :param_1",
    {sqlite = "SELECT users.id\nFROM users\nLIMIT ? OFFSET ?",
     pg = "SELECT users.id\nFROM users\nLIMIT ALL OFFSET $1"})
G("select_from a join derived from the foreign key", function()
    return select(users, addresses):select_from(users:join(addresses))
end, "SELECT users.id, users.name, users.fullname, addresses.id, addresses.user_id, "
    .. "addresses.email_address\nFROM users JOIN addresses ON users.id = addresses.user_id")
G("join with an explicit ON", function()
    return select(u.name):select_from(join(users, addresses, u.id:eq(a.user_id) & a.id:gt(4242)))
end, "SELECT users.name\nFROM users JOIN addresses ON users.id = addresses.user_id "
    .. "AND addresses.id > :id_1")
G("outerjoin", function() return select(u.name, a.email_address):select_from(users:outerjoin(addresses)) end,
    "SELECT users.name, addresses.email_address\nFROM users LEFT OUTER JOIN addresses "
    .. "ON users.id = addresses.user_id")
G("full outer join", function()
    return select(u.name):select_from(users:join(addresses, nil, {full = true}))
end, "SELECT users.name\nFROM users FULL OUTER JOIN addresses ON users.id = addresses.user_id")
G("a join's select()", function() return users:join(addresses):select() end,
    "SELECT users.id, users.name, users.fullname, addresses.id, addresses.user_id, "
    .. "addresses.email_address\nFROM users JOIN addresses ON users.id = addresses.user_id")
G("implicit FROM from the WHERE clause", function()
    return select(u.name):where(u.id:eq(a.user_id))
end, "SELECT users.name\nFROM users, addresses\nWHERE users.id = addresses.user_id")
G("group by, having", function()
    return select(a.user_id, func.count(a.id)):group_by(a.user_id):having(func.count(a.id):gt(4242))
end, "SELECT addresses.user_id, count(addresses.id) AS count_1\nFROM addresses\n"
    .. "GROUP BY addresses.user_id\nHAVING count(addresses.id) > :count_2")
G("an alias in a self join", function()
    local u2 = users:alias("u2")
    return select(u.name, u2.c.name):where(u.id:lt(u2.c.id) & u2.c.name:eq("zqed"))
end, "SELECT users.name, u2.name\nFROM users, users AS u2\n"
    .. "WHERE users.id < u2.id AND u2.name = :name_1")
G("an anonymous alias", function()
    local u2 = users:alias()
    return select(u2.c.id):where(u2.c.name:eq("zqed"))
end, "SELECT users_1.id\nFROM users AS users_1\nWHERE users_1.name = :name_1")
G("a subquery and its columns", function()
    local s = select(u.id, u.name):where(u.name:like("zq%")):subquery("s")
    return select(s.c.name):where(s.c.id:gt(4242))
end, "SELECT s.name\nFROM (SELECT users.id AS id, users.name AS name\nFROM users\n"
    .. "WHERE users.name LIKE :name_1) AS s\nWHERE s.id > :id_1")
G("a subquery by itself renders its select", function()
    return select(u.id):where(u.name:eq("zqed")):subquery("s")
end, "SELECT users.id\nFROM users\nWHERE users.name = :name_1")
G("apply_labels", function() return select(users):apply_labels() end,
    "SELECT users.id AS users_id, users.name AS users_name, users.fullname AS users_fullname\n"
    .. "FROM users")
G("labelled subquery columns", function()
    local s = select(users, addresses):where(u.id:eq(a.user_id)):apply_labels():subquery()
    return select(s.c.users_name, s.c.addresses_email_address)
end, "SELECT anon_1.users_name, anon_1.addresses_email_address\nFROM (SELECT users.id AS "
    .. "users_id, users.name AS users_name, users.fullname AS users_fullname, addresses.id AS "
    .. "addresses_id, addresses.user_id AS addresses_user_id, addresses.email_address AS "
    .. "addresses_email_address\nFROM users, addresses\nWHERE users.id = addresses.user_id) AS anon_1")
G("correlated EXISTS", function()
    return select(users):where(exists(select(a.id):where(a.user_id:eq(u.id))))
end, "SELECT users.id, users.name, users.fullname\nFROM users\n"
    .. "WHERE EXISTS (SELECT addresses.id\nFROM addresses\nWHERE addresses.user_id = users.id)")
G("NOT EXISTS", function()
    return select(u.id):where(~exists(select(a.id):where(a.user_id:eq(u.id))))
end, "SELECT users.id\nFROM users\nWHERE NOT (EXISTS (SELECT addresses.id\nFROM addresses\n"
    .. "WHERE addresses.user_id = users.id))")
G("exists({cols}, where)", function()
    return exists({a.id}, a.email_address:eq("zq@x"))
end, "EXISTS (SELECT addresses.id\nFROM addresses\nWHERE addresses.email_address = :email_address_1)")
G("correlated scalar subquery in the columns", function()
    local n = select(func.count(a.id)):where(a.user_id:eq(u.id)):scalar_subquery()
    return select(u.name, n:label("n"))
end, "SELECT users.name, (SELECT count(addresses.id) AS count_1\nFROM addresses\n"
    .. "WHERE addresses.user_id = users.id) AS n\nFROM users")
G("scalar subquery in WHERE", function()
    return select(u.name):where(u.id:eq(select(func.max(a.user_id)):scalar_subquery()))
end, "SELECT users.name\nFROM users\nWHERE users.id = (SELECT max(addresses.user_id) AS max_1\n"
    .. "FROM addresses)")
G("correlate(t) names the table", function()
    local inner = select(a.id):where(a.user_id:eq(u.id)):correlate(users)
    return select(u.name):where(exists(inner))
end, "SELECT users.name\nFROM users\nWHERE EXISTS (SELECT addresses.id\nFROM addresses\n"
    .. "WHERE addresses.user_id = users.id)")
G("correlate() with no table: no correlation", function()
    local inner = select(a.id):where(a.user_id:eq(u.id)):correlate()
    return select(u.name):where(exists(inner))
end, "SELECT users.name\nFROM users\nWHERE EXISTS (SELECT addresses.id\nFROM addresses, users\n"
    .. "WHERE addresses.user_id = users.id)")
G("union", function()
    return union(select(u.id):where(u.id:eq(4242)), select(a.user_id):where(a.id:eq(7171)))
end, "SELECT users.id\nFROM users\nWHERE users.id = :id_1 UNION SELECT addresses.user_id\n"
    .. "FROM addresses\nWHERE addresses.id = :id_2")
G("union_all ordered and limited", function()
    return select(u.id):union_all(select(a.user_id)):order_by(u.id):limit(5)
end, "SELECT users.id\nFROM users UNION ALL SELECT addresses.user_id\nFROM addresses\n"
    .. "ORDER BY id\nLIMIT :param_1",
    {sqlite = "SELECT users.id\nFROM users UNION ALL SELECT addresses.user_id\nFROM addresses\n"
        .. "ORDER BY id\nLIMIT ? OFFSET ?"})
G("intersect", function() return intersect(select(u.id), select(a.user_id)) end,
    "SELECT users.id\nFROM users INTERSECT SELECT addresses.user_id\nFROM addresses")
G("except_", function() return except_(select(u.id), select(a.user_id)) end,
    "SELECT users.id\nFROM users EXCEPT SELECT addresses.user_id\nFROM addresses")
G("insert values: PostgreSQL returns the new key", function()
    return users:insert():values({name = "zqed", fullname = "zq Ed"})
end, "INSERT INTO users (name, fullname) VALUES (:name, :fullname)",
    {pg = "INSERT INTO users (name, fullname) VALUES ($1, $2) RETURNING users.id"})
G("insert() lists every column", function() return insert(users) end,
    "INSERT INTO users (id, name, fullname) VALUES (:id, :name, :fullname)")
G("insert values keyed by column objects", function()
    return users:insert():values({[u.name] = "zqed"})
end, "INSERT INTO users (name) VALUES (:name)",
    {pg = "INSERT INTO users (name) VALUES ($1) RETURNING users.id"})
G("insert several rows", function()
    return users:insert():values({{name = "zqa"}, {name = "zqb"}})
end, "INSERT INTO users (name) VALUES (:name_m0), (:name_m1)")
G("insert from select", function()
    return addresses:insert():from_select({"user_id", "email_address"},
        select(u.id, u.name .. "@x"):where(u.id:gt(4242)))
end, "INSERT INTO addresses (user_id, email_address) SELECT users.id, users.name || :name_1 "
    .. "AS anon_1\nFROM users\nWHERE users.id > :id_1")
G("insert returning", function()
    return users:insert():values({name = "zqed"}):returning(u.id)
end, "INSERT INTO users (name) VALUES (:name) RETURNING users.id")
G("update where values", function()
    return users:update():where(u.id:eq(4242)):values({name = "zqx"})
end, "UPDATE users SET name=:name WHERE users.id = :id_1")
G("update with an expression", function()
    return users:update():values({fullname = u.name .. " " .. u.fullname})
end, "UPDATE users SET fullname=(users.name || :name_1 || users.fullname)")
G("update with a correlated select", function()
    return users:update():values({fullname = select(a.email_address):where(a.user_id:eq(u.id))
        :limit(1)})
end, "UPDATE users SET fullname=(SELECT addresses.email_address\nFROM addresses\n"
    .. "WHERE addresses.user_id = users.id\nLIMIT :param_1)",
    {sqlite = "UPDATE users SET fullname=(SELECT addresses.email_address\nFROM addresses\n"
        .. "WHERE addresses.user_id = users.id\nLIMIT ? OFFSET ?)"})
G("update(t, where, values)", function() return update(users, u.name:eq("zqa"), {name = "zqb"}) end,
    "UPDATE users SET name=:name WHERE users.name = :name_1")
G("values in column order, NULL bound as a value", function()
    return users:insert():values({4242, "zqed", null})
end, "INSERT INTO users (id, name, fullname) VALUES (:id, :name, :fullname)")
G("update values keyed by column objects, a column as value", function()
    return users:update():values({[u.fullname] = u.name, [u.name] = null})
end, "UPDATE users SET name=:name, fullname=users.name")
G("delete where", function() return users:delete():where(u.name:eq("zqx")) end,
    "DELETE FROM users WHERE users.name = :name_1")
G("delete with EXISTS", function()
    return delete(users, ~exists(select(a.id):where(a.user_id:eq(u.id))))
end, "DELETE FROM users WHERE NOT (EXISTS (SELECT addresses.id\nFROM addresses\n"
    .. "WHERE addresses.user_id = users.id))")
G("text", function() return text("SELECT * FROM users WHERE name = :name") end,
    "SELECT * FROM users WHERE name = :name")
G("text in WHERE", function() return select(u.id):where("name = 'x'") end,
    "SELECT users.id\nFROM users\nWHERE name = 'x'")
G("bindparam", function() return select(u.id):where(u.name:eq(bindparam("who"))) end,
    "SELECT users.id\nFROM users\nWHERE users.name = :who")
G("bindparam used twice is one parameter name", function()
    return select(u.id):where(u.name:eq(bindparam("who")) | u.fullname:eq(bindparam("who")))
end, "SELECT users.id\nFROM users\nWHERE users.name = :who OR users.fullname = :who",
    {pg = "SELECT users.id\nFROM users\nWHERE users.name = $1 OR users.fullname = $2"})
G("literal", function() return select(literal("zqhi")) end, "SELECT :param_1 AS anon_1")
G("literal_column", function() return select(literal_column("1 + 1")):select_from(users) end,
    "SELECT 1 + 1\nFROM users")
G("null()", function() return u.name:is_(null()) end, "users.name IS NULL")
G("true_() in WHERE", function() return select(u.id):where(true_()) end,
    "SELECT users.id\nFROM users\nWHERE true", {sqlite = "SELECT users.id\nFROM users\nWHERE 1"})
G("case with else", function()
    return case({{u.id:lt(4242), "zqlow"}, {u.id:lt(7171), "zqmid"}}, {else_ = "zqhigh"})
end, "CASE WHEN (users.id < :id_1) THEN :param_1 WHEN (users.id < :id_2) THEN :param_2 "
    .. "ELSE :param_3 END")
G("case on a value", function()
    return select(case({{"zqa", 1}, {"zqb", 2}}, {value = u.name, else_ = 0}))
end, "SELECT CASE users.name WHEN :param_1 THEN :param_2 WHEN :param_3 THEN :param_4 "
    .. "ELSE :param_5 END AS anon_1\nFROM users")
G("cast", function() return cast(u.name, Integer) end, "CAST(users.name AS INTEGER)")
G("cast to a sized type, as a column", function() return select(u.id:cast(String(20))) end,
    "SELECT CAST(users.id AS VARCHAR(20)) AS id\nFROM users")
G("func.lower", function() return select(func.lower(u.name)):where(func.lower(u.name):eq("zq")) end,
    "SELECT lower(users.name) AS lower_1\nFROM users\nWHERE lower(users.name) = :lower_2")
G("func.now", function() return select(func.now()) end, "SELECT now() AS now_1",
    {sqlite = "SELECT CURRENT_TIMESTAMP AS now_1"})
G("func.count(*) from a table", function() return select(func.count()):select_from(users) end,
    "SELECT count(*) AS count_1\nFROM users")
G("func with a dotted name", function() return select(func.pg_catalog.version()) end,
    "SELECT pg_catalog.version() AS version_1")
G("func arguments are parameters", function() return func.substr(u.name, 4242, 7171) end,
    "substr(users.name, :substr_1, :substr_2)")
G("extract", function() return extract("year", u.name) end, "EXTRACT(year FROM users.name)",
    {sqlite = "CAST(STRFTIME('%Y', users.name) AS INTEGER)"})
G("distinct select", function() return select(u.name):distinct() end,
    "SELECT DISTINCT users.name\nFROM users")
G("table:select(where)", function() return users:select(u.id:eq(4242)) end,
    "SELECT users.id, users.name, users.fullname\nFROM users\nWHERE users.id = :id_1")
G("select({cols}, where)", function() return select({u.name}, u.id:gt(4242)) end,
    "SELECT users.name\nFROM users\nWHERE users.id > :id_1")
G("a select from a select becomes a subquery", function()
    return select(u.id):where(u.id:gt(4242)):subquery():select()
end, "SELECT anon_1.id\nFROM (SELECT users.id AS id\nFROM users\nWHERE users.id > :id_1) AS anon_1")
G("select with several where() calls ANDs them", function()
    return select(u.id):where(u.id:gt(4242)):where(u.name:ne("zq"))
end, "SELECT users.id\nFROM users\nWHERE users.id > :id_1 AND users.name != :name_1")
G("quoted identifiers", function()
    local t = Table("Odd Table", MetaData(), Column("select", Integer), Column("Mixed", String))
    return select(t):where(t.c.select:eq(4242))
end, 'SELECT "Odd Table"."select", "Odd Table"."Mixed"\nFROM "Odd Table"\n'
    .. 'WHERE "Odd Table"."select" = :select_1')

test("there are at least 80 golden cases", function()
    assert(NGOLDEN >= 80, "only " .. NGOLDEN .. " golden cases")
end)

-- === generative methods leave their statement unchanged ===

test("generative methods return new statements", function()
    local s = select(u.id)
    local s2 = s:where(u.name:eq("ed"))
    local s3 = s2:order_by(u.id):limit(5):offset(1):distinct()
    local s4 = s2:where(u.id:gt(1))
    eq(tostring(s), "SELECT users.id\nFROM users")
    eq(tostring(s2), "SELECT users.id\nFROM users\nWHERE users.name = :name_1")
    eq(tostring(s3), "SELECT DISTINCT users.id\nFROM users\nWHERE users.name = :name_1\n"
        .. "ORDER BY users.id\nLIMIT :param_1 OFFSET :param_2")
    eq(tostring(s4), "SELECT users.id\nFROM users\nWHERE users.name = :name_1 AND users.id > :id_1")
    local g = select(a.user_id, func.count(a.id))
    local g2 = g:group_by(a.user_id):having(func.count(a.id):gt(1))
    local g3 = g:add_columns(a.email_address):select_from(addresses:join(users))
    eq(tostring(g), "SELECT addresses.user_id, count(addresses.id) AS count_1\nFROM addresses")
    assert(tostring(g2):find("HAVING"), "having")
    assert(not tostring(g3):find("GROUP BY"), "group_by leaked into another statement")
    local i = users:insert()
    local i2 = i:values({name = "x"})
    eq(tostring(i), "INSERT INTO users (id, name, fullname) VALUES (:id, :name, :fullname)")
    eq(tostring(i2), "INSERT INTO users (name) VALUES (:name)")
    local d = users:delete()
    local d2 = d:where(u.id:eq(1))
    eq(tostring(d), "DELETE FROM users")
    eq(tostring(d2), "DELETE FROM users WHERE users.id = :id_1")
    local c = u.id:eq(1)
    local c2 = c & u.name:eq("x")
    eq(tostring(c), "users.id = :id_1")
    eq(tostring(c2), "users.id = :id_1 AND users.name = :name_1")
    local un = union(select(u.id), select(a.user_id))
    local un2 = un:order_by(u.id)
    eq(tostring(un), "SELECT users.id\nFROM users UNION SELECT addresses.user_id\nFROM addresses")
    assert(tostring(un2):find("ORDER BY id"), "order_by on a union")
end)

-- === objects and their collections ===

test("the same column object each time; expressions know their keys", function()
    eq(rawequal(users.c.name, users.c.name), true)
    eq(rawequal(users.c.name, users.c["name"]), true)
    eq(rawequal(users.c[2], users.c.name), true)
    local s = select(u.id, u.name:label("n"), func.count(u.id)):group_by(u.id):subquery("s")
    eq(tostring(s.c), "{id, n, count_1}")
    eq(s.c.n.key, "n")
    eq(s.c.id.name, "id")
    eq(rawequal(s.c.id.table, s), true)
    eq(u.name:label("x").key, "x")
    eq((u.id + 1).key, nil)
    local keys = {}
    for _, c in ipairs(select(u.id, u.name:label("who")).selected_columns) do keys[#keys + 1] = c.key end
    eq(table.concat(keys, ","), "id,who")
    eq(#select(users).selected_columns, 3)
    eq(#users:join(addresses).c, 6)
    eq(users:join(addresses).c.addresses_email_address, a.email_address)
end)

test("compile() objects: SQL per dialect and parameter names in order", function()
    local s = select(u.id):where(u.name:eq("a") & u.id:in_({1, 2})):limit(3)
    local c = s:compile("postgresql")
    eq(c.sql, "SELECT users.id\nFROM users\nWHERE users.name = $1 AND users.id IN ($2, $3)\nLIMIT $4")
    eq(table.concat(c.params, ","), "name_1,id_1,id_2,param_1")
    eq(tostring(s:compile(create_engine("sqlite://"))),
        "SELECT users.id\nFROM users\nWHERE users.name = ? AND users.id IN (?, ?)\nLIMIT ? OFFSET ?")
    raises(function() s:compile("mysql") end, "unknown dialect")
end)

-- === bad input raises clear errors ===

test("an unknown column is an ArgumentError naming it", function()
    local err = raises(function() return users.c.nope end, "no column 'nope' in users")
    eq(err.class, "ArgumentError")
    raises(function() return select(u.id):subquery("s").c.nope end, "no column 'nope'")
    raises(function() return users:insert():values({nope = 1}) end, "Unconsumed column names: nope")
    raises(function() return users:update():values({[a.id] = 1}) end,
        "Unconsumed column names: addresses.id")
    raises(function() return u.id.nope end, "has no attribute 'nope'")
    raises(function() return select(u.id).c end, "use s:subquery().c")
end)

test("a non-expression where an expression is needed", function()
    raises(function() return u.id:eq(users) end, "a column expression expected")
    raises(function() return u.id:eq(select(u.id)) end, "use :scalar_subquery() for a select")
    raises(function() return func.lower(users) end, "a column expression expected")
    raises(function() return select(u.id):where(42) end,
        "an SQL expression expected as a condition, got number")
    raises(function() return select({u.id}, {}) end, "an SQL expression expected as a condition")
    raises(function() return users:select(7) end, "an SQL expression expected as a condition")
    raises(function() return join(users, 5) end, "a table, alias, join or subquery expected")
    raises(function() return union(select(u.id), 5) end, "bad argument #2 to 'union'")
    raises(function() return select(u.id):limit("10") end, "an integer or an SQL expression")
    raises(function() return select(u.id):offset(1.5) end, "got a fraction")
    raises(function() return u.id:between(1) end, "bad argument #2 to 'between'")
    raises(function() return case({{u.id:eq(1)}}) end, "each WHEN must be a {condition, value} pair")
    raises(function() return cast(u.id, "INT") end, "a type (Integer, String(50), ...) expected")
    raises(function() return u.id:in_(5) end, "table expected, got number")
    raises(function() return users:update():values(5) end, "table expected, got number")
end)

test("`<` and `<=` on an expression name the method to use", function()
    raises(function() return u.id < 5 end, "use a:lt(b), a:le(b), a:gt(b) or a:ge(b)")
    raises(function() return u.id <= u.id end, "use a:lt(b), a:le(b)")
    raises(function() return 5 < u.id end, "a:lt(b)")
end)

test("a join without a foreign key path", function()
    local err = raises(function() return join(users, keywords) end,
        "Can't find any foreign key relationships between 'users' and 'keywords'")
    eq(err.class, "ArgumentError")
    raises(function() return users:join(keywords):select() end, "foreign key")
end)

-- === regressions ===

test("a subquery by itself prints as its select", function()
    local s = select(a.email_address):where(a.user_id:eq(u.id)):subquery("s")
    eq(tostring(s), "SELECT addresses.email_address\nFROM addresses, users\n"
        .. "WHERE addresses.user_id = users.id")
    eq(tostring(select(u.id, s.c.email_address)), "SELECT users.id, s.email_address\n"
        .. "FROM users, (SELECT addresses.email_address AS email_address\nFROM addresses, users\n"
        .. "WHERE addresses.user_id = users.id) AS s")
end)
