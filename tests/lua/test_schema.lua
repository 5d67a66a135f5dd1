-- test_schema.lua: the schema layer from Lua: types (bare and called, names,
-- DDL per dialect, TypeDecorator, value processing, JSON), Column, Table and
-- MetaData objects and their errors, constraints and indexes, create_all /
-- drop_all with checkfirst and dependency order, use_alter cycles, sequences
-- and enum types, tometadata, reflection round trips and inspect() on SQLite
-- and PostgreSQL, and values processed by type (JSON, Boolean, Enum,
-- LargeBinary, TypeDecorator) and column defaults through real statements.

local function fresh_engine(url, db)
    local e = create_engine(url)
    if db == "postgresql" then
        -- a clean public schema for each test
        e:execute("DROP SCHEMA IF EXISTS public CASCADE")
        e:execute("CREATE SCHEMA public")
    end
    return e
end

local function names(list, field)
    local out = {}
    for i, v in ipairs(list) do out[i] = field and v[field] or tostring(v) end
    return table.concat(out, ",")
end

local function sorted_names(list, field)
    local out = {}
    for i, v in ipairs(list) do out[i] = field and v[field] or tostring(v) end
    table.sort(out)
    return table.concat(out, ",")
end

-- the example schema of DESIGN §4, plus a few more types
local function example(md)
    local users = Table("users", md,
        Column("id", Integer, {primary_key = true}),
        Column("name", String(50), {nullable = false}),
        Column("fullname", String),
        Column("nick", String(20), {server_default = "it's", unique = true}))
    local addresses = Table("addresses", md,
        Column("id", Integer, Sequence("address_id_seq"), {primary_key = true}),
        Column("user_id", Integer, ForeignKey("users.id", {ondelete = "CASCADE"})),
        Column("email_address", String(100), {nullable = false}),
        UniqueConstraint("user_id", "email_address"),
        Index("ix_addr_email", "email_address"))
    return users, addresses
end

-- types

test("types are usable bare and called", function()
    eq(tostring(String), "VARCHAR")
    eq(tostring(String(50)), "VARCHAR(50)")
    eq(tostring(Integer), "INTEGER")
    eq(tostring(Numeric(10, 2)), "NUMERIC(10, 2)")
    eq(tostring(Numeric({precision = 8, scale = 3})), "NUMERIC(8, 3)")
    eq(tostring(Float), "FLOAT")
    eq(tostring(DateTime({timezone = true})), "DATETIME")
    eq(tostring(CHAR(3)), "CHAR(3)")
    eq(tostring(DECIMAL(5, 1)), "DECIMAL(5, 1)")
    eq(tostring(TIMESTAMP), "TIMESTAMP")
    eq(tostring(INT), "INTEGER")
    eq(tostring(Enum("a", "bbb")), "VARCHAR(3)")
    eq(tostring(LargeBinary), "BLOB")
    eq(tostring(Interval), "DATETIME")
    eq(String(50):repr(), "String(50)")
    eq(Numeric(10, 2):repr(), "Numeric(10, 2)")
    eq(Enum("a", "b", {name = "ab"}):repr(), "Enum('a', 'b', name='ab')")
    eq(String(50).length, 50)
    eq(String.length, nil)
    eq(Numeric(10, 2).scale, 2)
    eq(DateTime({timezone = true}).timezone, true)
    eq(names(Enum({"x", "y"}, {name = "xy"}).enums), "x,y")
    eq(Enum({"x", "y"}, {name = "xy"}).name, "xy")
    eq(String(50).type_name, "String")
    eq(VARCHAR(5).type_name, "VARCHAR")
    eq(types.Text, Text)
end)

test("type spellings per dialect", function()
    eq(DateTime:compile("postgresql"), "TIMESTAMP WITHOUT TIME ZONE")
    eq(DateTime({timezone = true}):compile("postgresql"), "TIMESTAMP WITH TIME ZONE")
    eq(Time:compile("postgresql"), "TIME WITHOUT TIME ZONE")
    eq(LargeBinary:compile("postgresql"), "BYTEA")
    eq(Interval:compile("postgresql"), "INTERVAL")
    eq(BLOB:compile("postgresql"), "BYTEA")
    eq(DATETIME:compile("postgresql"), "TIMESTAMP WITHOUT TIME ZONE")
    eq(Enum("a", "b", {name = "ab"}):compile("postgresql"), "ab")
    eq(Enum("a", "b", {name = "ab"}):compile("sqlite"), "VARCHAR(1)")
    eq(DateTime:compile("sqlite"), "DATETIME")
    eq(Boolean:compile("sqlite"), "BOOLEAN")
    eq(JSON:compile("sqlite"), "JSON")
end)

test("bad type arguments are clear errors", function()
    raises(function() return String("x") end, "an integer expected")
    raises(function() return Integer(5) end, "Integer() takes no arguments")
    raises(function() return Enum("a", 5) end, "labels must be strings")
    raises(function() return String({lenght = 5}) end, "unknown option 'lenght'")
    raises(function() return Column("x", "VARCHAR") end,
        "a ForeignKey, a Sequence or an option table")
    raises(function() return TypeDecorator({}) end, "option 'impl'")
    raises(function() return TypeDecorator({impl = String, process_bind_param = 1}) end,
        "must be a function")
end)

test("TypeDecorator hooks and calls", function()
    local Upper = TypeDecorator({
        impl = String(20), name = "Upper",
        process_bind_param = function(v, dialect) return v and v:upper() end,
        process_result_value = function(v) return v and v:lower() end})
    eq(tostring(Upper), "VARCHAR(20)")
    eq(Upper:repr(), "Upper()")
    eq(Upper.type_name, "Upper")
    eq(Upper:process_bind("abc"), "ABC")
    eq(Upper:process_result("ABC"), "abc")
    local wide = Upper(100)
    eq(tostring(wide), "VARCHAR(100)")
    eq(wide:process_bind("x"), "X")
    eq(tostring(wide.impl), "VARCHAR(100)")
    local seen
    local Spy = TypeDecorator({impl = Integer,
        process_bind_param = function(v, dialect) seen = dialect; return v end})
    Spy:process_bind(1, "postgresql")
    eq(seen, "postgresql")
    local Wrapped = TypeDecorator({impl = JSON})
    eq(Wrapped:process_bind({a = 1}), '{"a":1}')
end)

test("value processing by type", function()
    eq(JSON:process_bind({b = {1, 2, true}, a = "x\"y"}), '{"a":"x\\"y","b":[1,2,true]}')
    eq(JSON:process_bind(nil), nil)
    local v = JSON:process_result('{"a": [1, 2.5, null, "\\u00e9"], "b": {}}')
    eq(v.a[1], 1)
    eq(math.type(v.a[1]), "integer")
    eq(v.a[2], 2.5)
    eq(v.a[3], null)
    eq(v.a[4], "é")
    eq(next(v.b), nil)
    raises(function() JSON:process_result("{bad") end, "invalid JSON")
    raises(function() JSON:process_bind({print}) end, "cannot encode a function as JSON")
    local t = {}
    t.self = t
    raises(function() JSON:process_bind(t) end, "nesting too deep")
    eq(Boolean:process_result(1, "sqlite"), true)
    eq(Boolean:process_result(0, "sqlite"), false)
    local mood = Enum("sad", "happy", {name = "mood"})
    eq(mood:process_bind("sad"), "sad")
    local err = raises(function() mood:process_bind("angry") end,
        "'angry' is not among the defined enum values. Enum name: mood. "
            .. "Possible values: sad, happy")
    eq(err.class, "StatementError")
    local _, blob = LargeBinary:process_bind("\0\1")
    eq(blob, true)
    eq(DateTime:process_bind({year = 2007, month = 1, day = 2, hour = 3, min = 4, sec = 5}),
        "2007-01-02 03:04:05")
    eq(Date:process_bind({year = 2007, month = 1, day = 2}), "2007-01-02")
    eq(DateTime:process_bind("2007-01-02 03:04:05"), "2007-01-02 03:04:05")
end)

-- columns

test("Column properties, defaults and keys", function()
    local f = function(ctx) return "x" end
    local c = Column("email_address", String(60), {key = "email", nullable = false,
        default = f, doc = "the address", server_default = text("'none'")})
    eq(c.name, "email_address")
    eq(c.key, "email")
    eq(c.nullable, false)
    eq(c.doc, "the address")
    eq(c.default.is_callable, true)
    eq(c.default.arg, f)
    eq(c.server_default.is_clause_element, true)
    eq(tostring(c), "Column(email_address)")
    local d = Column("n", Integer, {default = 5, onupdate = 6, autoincrement = false})
    eq(d.default.arg, 5)
    eq(d.default.is_scalar, true)
    eq(d.onupdate.arg, 6)
    eq(d.autoincrement, false)
    eq(d.primary_key, false)
    eq(d.nullable, true)
    local p = Column("id", Integer, {primary_key = true})
    eq(p.nullable, false)
    eq(p.autoincrement, "auto")
    local u = Column(Integer, {primary_key = true})
    eq(u.name, nil)
    u.name = "uid"
    eq(u.name, "uid")
    eq(u.key, "uid")
    assert(u._creation_order > p._creation_order)
    raises(function() Column("x", Integer, {nulable = true}) end, "unknown option 'nulable'")
    raises(function() Column("x", Integer, {default = {}}) end, "option 'default' must be a value")
    raises(function() Column("x", Integer, {server_default = 5}) end,
        "option 'server_default' must be a string")
    raises(function() Column("x", Integer, {primary_key = "yes"}) end,
        "option 'primary_key' must be a boolean")
end)

-- tables

test("Table objects", function()
    local md = MetaData()
    local users, addresses = example(md)
    eq(tostring(users), "users")
    eq(users.name, "users")
    eq(users.schema, nil)
    eq(users.metadata, md)
    eq(md.tables.users, users)
    eq(#users.c, 4)
    eq(users.c.name.name, "name")
    eq(tostring(users.c.name.type), "VARCHAR(50)")
    eq(users.c[1].name, "id")
    eq(users.columns.fullname.name, "fullname")
    eq(users.c.name.table, users)
    eq(users.c.name.nullable, false)
    eq(users.c.id.primary_key, true)
    eq(names(users.primary_key, "name"), "id")
    eq(#users.foreign_keys, 0)
    local fk = addresses.foreign_keys[1]
    eq(fk.target, "users.id")
    eq(fk.ondelete, "CASCADE")
    eq(fk.parent.name, "user_id")
    eq(fk.column.table, users)
    eq(addresses.c.user_id.foreign_keys[1].target, "users.id")
    eq(addresses.c.id.sequence.name, "address_id_seq")
    eq(names(addresses.constraints, "__kind"),
        "PrimaryKeyConstraint,UniqueConstraint,ForeignKeyConstraint")
    eq(names(addresses.indexes, "name"), "ix_addr_email")
    eq(names(users.constraints, "__kind"), "PrimaryKeyConstraint,UniqueConstraint")
    eq(names(md.sorted_tables), "users,addresses")
    eq(tostring(md), "MetaData()")
    eq(Table("users", md), users)   -- the same table, without columns
end)

test("Column objects become the table's columns", function()
    local md = MetaData()
    local id = Column("id", Integer, {primary_key = true})
    local t = Table("t", md, id, Column("x", Integer))
    eq(id.table, t)
    eq(tostring(id), "t.id")
    eq(tostring(select(id)), "SELECT t.id\nFROM t")
    raises(function() Table("u", md, id) end, "already assigned to Table 't'")
    local loose = Column("y", Integer)
    raises(function() return loose + 1 end, "not part of a Table yet")
end)

test("Table errors", function()
    local md = MetaData()
    local users = example(md)
    raises(function() Table("users", md, Column("x", Integer)) end,
        "Table 'users' is already defined for this MetaData instance")
    raises(function() Table("t", md, Column("a", Integer), Column("a", String)) end,
        "column 'a' is given twice")
    raises(function() Table("t", md, Column("a", Integer), ForeignKey("users.id")) end,
        "a Column, a constraint or an Index expected, got ForeignKey")
    raises(function() Table("t", md, Column("a", Integer), 5) end,
        "a Column, a constraint or an Index expected, got number")
    raises(function() Table("t", md, Column("a", Integer), UniqueConstraint("b")) end,
        "table 't' has no column 'b'")
    eq(md.tables.t, nil)   -- nothing left behind
    raises(function() Table("t", md, Column(Integer)) end, "non-blank name")
    raises(function() Table("t", md, Column("a", Integer), {schema = {}}) end,
        "string expected")
    raises(function() Table("t", md, {autoload = true}) end, "not bound")
    -- extend_existing adds columns, keep_existing ignores them
    Table("users", md, Column("age", Integer), {extend_existing = true})
    eq(#users.c, 5)
    Table("users", md, Column("other", Integer), {keep_existing = true})
    eq(#users.c, 5)
end)

test("a Column without type takes the type of its foreign key target", function()
    local md = MetaData()
    local posts = Table("post_keywords", md,
        Column("post_id", ForeignKey("posts.id"), {primary_key = true}),
        Column("keyword_id", ForeignKey("keywords.id"), {primary_key = true}))
    eq(posts.c.post_id.type, nil)
    Table("posts", md, Column("id", BigInteger, {primary_key = true}))
    Table("keywords", md, Column("id", SmallInteger, {primary_key = true}))
    eq(tostring(posts.c.post_id.type), "BIGINT")
    eq(tostring(posts.c.keyword_id.type), "SMALLINT")
    eq(names(md.sorted_tables), "keywords,posts,post_keywords")
end)

test("constraints keep their creation order", function()
    local md = MetaData()
    Table("a", md, Column("id", Integer, {primary_key = true}))
    local ck = CheckConstraint("x > 0", {name = "positive"})
    local t = Table("b", md,
        Column("id", Integer, {primary_key = true}),
        Column("a_id", Integer, ForeignKey("a.id")),
        Column("x", Integer, {unique = true}),
        ck,
        ForeignKeyConstraint({"x"}, {"a.id"}, {name = "fk_x", onupdate = "CASCADE"}),
        PrimaryKeyConstraint("id", "x", {name = "pk_b"}))
    -- items made before Table() come before the ones Table() makes for columns
    eq(names(t.constraints, "__kind"), "PrimaryKeyConstraint,CheckConstraint,"
        .. "ForeignKeyConstraint,ForeignKeyConstraint,UniqueConstraint")
    eq(t.constraints[1].name, "pk_b")
    eq(names(t.primary_key, "name"), "id,x")
    eq(t.constraints[2].sqltext, "x > 0")
    eq(t.constraints[3].name, "fk_x")
    eq(t.constraints[3].onupdate, "CASCADE")
    eq(tostring(t.constraints[2]), "CheckConstraint('x > 0', {name = 'positive'})")
    eq(tostring(t.constraints[3]),
        "ForeignKeyConstraint({'x'}, {'a.id'}, {name = 'fk_x', onupdate = 'CASCADE'})")
end)

test("Index given table columns joins the table at once", function()
    local md = MetaData()
    local t = Table("t", md, Column("a", Integer), Column("b", Integer, {index = true}))
    local ix = Index("ix_ab", t.c.a, t.c.b, {unique = true})
    eq(ix.table, t)
    eq(names(t.indexes, "name"), "ix_t_b,ix_ab")
    eq(t.indexes[2].unique, true)
    local other = Table("o", md, Column("a", Integer))
    raises(function() Index("bad", t.c.a, other.c.a) end, "same table")
    raises(function() Index("ix_ab", t.c.a) end, "already has an index named 'ix_ab'")
end)

test("tometadata copies a table", function()
    local md, other = MetaData(), MetaData()
    local users, addresses = example(md)
    local u2 = users:tometadata(other)
    local a2 = addresses:tometadata(other, {schema = "archive"})
    eq(u2.metadata, other)
    eq(#u2.c, #users.c)
    eq(a2.schema, "archive")
    eq(tostring(a2), "archive.addresses")
    eq(names(a2.constraints, "__kind"), names(addresses.constraints, "__kind"))
    eq(names(a2.indexes, "name"), "ix_addr_email")
    eq(a2.foreign_keys[1].ondelete, "CASCADE")
    raises(function() users:tometadata(other) end, "already defined")
end)

test("MetaData options and bind", function()
    local md = MetaData({schema = "app"})
    eq(md.schema, "app")
    local t = Table("t", md, Column("a", Integer))
    eq(tostring(t), "app.t")
    local e = create_engine("sqlite://")
    local bound = MetaData(e)
    eq(bound.bind, e)
    eq(tostring(bound), "MetaData(bind=Engine(sqlite:///:memory:))")
    Table("x", bound, Column("a", Integer)):create()
    eq(inspect(e):has_table("x"), true)
    bound:drop_all()
    eq(inspect(e):has_table("x"), false)
    raises(function() MetaData({bind = 5}) end, "bind must be an Engine or Connection")
    raises(function() md.tables = {} end, "only bind can be changed")
    raises(function() MetaData():create_all() end, "not bound")
end)

test("sorted_tables refuses cycles without use_alter", function()
    local md = MetaData()
    Table("a", md, Column("id", Integer, {primary_key = true}),
        Column("b_id", Integer, ForeignKey("b.id")))
    local b = Table("b", md, Column("id", Integer, {primary_key = true}),
        Column("a_id", Integer, ForeignKey("a.id")))
    local err = raises(function() return md.sorted_tables end,
        "unresolvable foreign key dependency exists between tables: a, b")
    eq(err.class, "CircularDependencyError")
end)

-- on the databases

for_each_db("create_all and drop_all with checkfirst", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    example(md)
    md:create_all(e)
    md:create_all(e)   -- existing tables are skipped
    local insp = inspect(e)
    eq(sorted_names(insp:get_table_names()), "addresses,users")
    md:drop_all(e)
    eq(#insp:get_table_names(), 0)
    md:drop_all(e)     -- nothing there: nothing to do
    raises(function() md:drop_all(e, {checkfirst = false}) end, "DROP TABLE addresses")
    md:create_all(e, {tables = {md.tables.users}})
    eq(sorted_names(insp:get_table_names()), "users")
    md.tables.users:drop(e)
    md.tables.users:drop(e, {checkfirst = true})
    raises(function() md.tables.users:drop(e) end, "users")
end)

for_each_db("create_all inside a transaction", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    example(md)
    local conn = e:connect()
    local trans = conn:begin()
    md:create_all(conn)
    trans:rollback()
    eq(#inspect(e):get_table_names(), 0)   -- DDL is transactional on both
    conn:close()
end)

for_each_db("a foreign key to an unknown table fails before any SQL", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    Table("ok", md, Column("id", Integer, {primary_key = true}))
    Table("posts", md, Column("id", Integer, {primary_key = true}),
        Column("author_id", Integer, ForeignKey("authors.id")))
    local err = raises(function() md:create_all(e) end,
        "Foreign key associated with column 'posts.author_id' could not find table 'authors'")
    eq(err.class, "InvalidRequestError")
    eq(#inspect(e):get_table_names(), 0)
end)

for_each_db("cycles with use_alter", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    Table("a", md, Column("id", Integer, {primary_key = true}),
        Column("b_id", Integer, ForeignKey("b.id", {use_alter = true, name = "fk_a_b"})))
    Table("b", md, Column("id", Integer, {primary_key = true}),
        Column("a_id", Integer, ForeignKey("a.id")))
    eq(names(md.sorted_tables), "a,b")
    md:create_all(e)
    local fks = inspect(e):get_foreign_keys("a")
    eq(#fks, 1)
    eq(fks[1].referred_table, "b")
    md:drop_all(e)
    eq(#inspect(e):get_table_names(), 0)
end)

for_each_db("sequences and enum types", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    local mood = Enum("sad", "ok", "happy", {name = "mood"})
    Table("people", md, Column("id", Integer, Sequence("people_id_seq", {start = 10}),
        {primary_key = true}), Column("mood", mood, {nullable = false}))
    Table("pets", md, Column("id", Integer, {primary_key = true}), Column("mood", mood))
    md:create_all(e)
    md:create_all(e)
    if db == "postgresql" then
        eq(e:execute("SELECT nextval('people_id_seq')"):scalar(), 10)
        local cols = inspect(e):get_columns("people")
        eq(cols[2].type:repr(), "Enum('sad', 'ok', 'happy', name='mood')")
        raises(function()
            e:execute("INSERT INTO people (id, mood) VALUES (1, 'angry')")
        end, "invalid input value for enum mood")
    else
        raises(function()
            e:execute("INSERT INTO people (id, mood) VALUES (1, 'angry')")
        end, "CHECK constraint failed")
    end
    md.tables.pets:drop(e)   -- the type stays: people still uses it
    md:drop_all(e)
    if db == "postgresql" then
        eq(e:execute("SELECT count(*) FROM pg_type WHERE typname = 'mood'"):scalar(), 0)
        eq(e:execute("SELECT count(*) FROM pg_class WHERE relname = 'people_id_seq'"):scalar(), 0)
    end
    local s = Sequence("standalone_seq", {increment = 5})
    s:create(e)
    s:create(e, {checkfirst = true})
    s:drop(e)
end)

for_each_db("an Index created and dropped on its own", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    local t = Table("t", md, Column("a", Integer), Column("b", String(10)))
    t:create(e)
    local ix = Index("ix_t_ab", t.c.a, t.c.b)
    ix:create(e)
    eq(names(inspect(e):get_indexes("t"), "name"), "ix_t_ab")
    ix:drop(e)
    eq(#inspect(e):get_indexes("t"), 0)
    raises(function() Index("loose", "a"):create(e) end, "not attached to a Table")
end)

-- reflection

local function round_trip_schema(md)
    local mood = Enum("sad", "ok", "happy", {name = "mood"})
    Table("users", md,
        Column("id", Integer, {primary_key = true}),
        Column("name", String(50), {nullable = false, unique = true}),
        Column("bio", Text),
        Column("score", Numeric(10, 2)),
        Column("big", BigInteger, {index = true}),
        Column("small", SmallInteger),
        Column("active", Boolean),
        Column("born", Date),
        Column("seen", DateTime),
        Column("mood", mood),
        Column("nick", String(20), {server_default = "anon"}))
    Table("addresses", md,
        Column("id", Integer, {primary_key = true}),
        Column("user_id", Integer, ForeignKey("users.id", {ondelete = "CASCADE"}),
            {nullable = false}),
        Column("email", String(100), {nullable = false}),
        UniqueConstraint("user_id", "email", {name = "uq_user_email"}),
        Index("ix_email", "email", {unique = true}))
    Table("orders", md,
        Column("region", String(2), {primary_key = true}),
        Column("num", Integer, {primary_key = true, autoincrement = false}),
        Column("user_id", Integer))
    Table("lines", md,
        Column("id", Integer, {primary_key = true}),
        Column("region", String(2)),
        Column("num", Integer),
        ForeignKeyConstraint({"region", "num"}, {"orders.region", "orders.num"},
            {name = "fk_lines_order", onupdate = "CASCADE"}))
end

local expected_types = {
    sqlite = {id = "INTEGER", name = "VARCHAR(50)", bio = "TEXT", score = "NUMERIC(10, 2)",
        big = "BIGINT", small = "SMALLINT", active = "BOOLEAN", born = "DATE",
        seen = "DATETIME", mood = "VARCHAR(5)", nick = "VARCHAR(20)"},
    postgresql = {id = "INTEGER", name = "VARCHAR(50)", bio = "TEXT", score = "NUMERIC(10, 2)",
        big = "BIGINT", small = "SMALLINT", active = "BOOLEAN", born = "DATE",
        seen = "TIMESTAMP WITHOUT TIME ZONE", mood = "mood", nick = "VARCHAR(20)"},
}

for_each_db("reflection round trip", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    round_trip_schema(md)
    md:create_all(e)
    local m2 = MetaData()
    m2:reflect(e)
    eq(sorted_names(m2.sorted_tables), "addresses,lines,orders,users")
    local users = m2.tables.users
    for _, c in ipairs(md.tables.users.c) do
        local r = users.c[c.name]
        eq(r.type:compile(db), expected_types[db][c.name], c.name)
        eq(r.nullable, c.nullable, c.name .. " nullable")
        eq(r.primary_key, c.primary_key, c.name .. " pk")
    end
    eq(users.c.nick.server_default.arg ~= nil, true)
    eq(names(users.primary_key, "name"), "id")
    eq(names(users.indexes, "name"), "ix_users_big")
    local addresses = m2.tables.addresses
    local fk = addresses.foreign_keys[1]
    eq(fk.target, "users.id")
    eq(fk.ondelete, "CASCADE")
    eq(fk.column.table, users)
    eq(addresses.c.user_id.nullable, false)
    local uniques = {}
    for _, k in ipairs(addresses.constraints) do
        if k.__kind == "UniqueConstraint" then uniques[#uniques + 1] = k end
    end
    eq(#uniques, 1)
    eq(uniques[1].name, "uq_user_email")
    eq(names(uniques[1].columns, "name"), "user_id,email")
    eq(names(addresses.indexes, "name"), "ix_email")
    eq(addresses.indexes[1].unique, true)
    local orders = m2.tables.orders
    eq(names(orders.primary_key, "name"), "region,num")
    local lines = m2.tables.lines
    local lfk = lines.constraints[2]
    eq(lfk.__kind, "ForeignKeyConstraint")
    eq(lfk.name, "fk_lines_order")
    eq(names(lfk.targets), "orders.region,orders.num")
    eq(lfk.onupdate, "CASCADE")
    -- the reflected MetaData creates the same schema again
    md:drop_all(e)
    m2:create_all(e)
    local m3 = MetaData()
    m3:reflect(e)
    eq(sorted_names(m3.sorted_tables), "addresses,lines,orders,users")
    eq(#m3.tables.users.c, #users.c)
    m2:drop_all(e)
end)

for_each_db("Table autoload follows foreign keys", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    round_trip_schema(md)
    md:create_all(e)
    local m2 = MetaData()
    local addresses = Table("addresses", m2, {autoload_with = e})
    eq(#addresses.c, 3)
    eq(sorted_names(m2.sorted_tables), "addresses,users")
    local users = Table("users", m2, {autoload_with = e})
    eq(users, m2.tables.users)
    eq(addresses.c.user_id.foreign_keys[1].column.table, users)
    local err = raises(function() Table("nope", MetaData(), {autoload_with = e}) end, "nope")
    eq(err.class, "NoSuchTableError")
    local conn = e:connect()
    local m3 = MetaData()
    m3:reflect(conn, {only = {"orders"}})
    eq(sorted_names(m3.sorted_tables), "orders")
    raises(function() m3:reflect(conn, {only = {"nope"}}) end, "Could not reflect")
    conn:close()
    md:drop_all(e)
end)

for_each_db("inspect", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    round_trip_schema(md)
    md:create_all(e)
    local insp = inspect(e)
    eq(names(insp:get_table_names()), "addresses,lines,orders,users")
    local cols = insp:get_columns("users")
    eq(names(cols, "name"), "id,name,bio,score,big,small,active,born,seen,mood,nick")
    eq(cols[1].primary_key, true)
    eq(cols[1].autoincrement, true)
    eq(cols[2].nullable, false)
    eq(cols[3].nullable, true)
    eq(cols[11].default:find("anon", 1, true) ~= nil, true)
    eq(tostring(cols[2].type), "VARCHAR(50)")
    local pk = insp:get_pk_constraint("orders")
    eq(names(pk.constrained_columns), "region,num")
    local fks = insp:get_foreign_keys("lines")
    eq(#fks, 1)
    eq(fks[1].name, "fk_lines_order")
    eq(fks[1].referred_table, "orders")
    eq(names(fks[1].referred_columns), "region,num")
    eq(names(fks[1].constrained_columns), "region,num")
    eq(fks[1].options.onupdate, "CASCADE")
    eq(insp:get_foreign_keys("addresses")[1].options.ondelete, "CASCADE")
    local ixs = insp:get_indexes("addresses")
    eq(#ixs, 1)
    eq(ixs[1].name, "ix_email")
    eq(names(ixs[1].column_names), "email")
    eq(ixs[1].unique, true)
    local uqs = insp:get_unique_constraints("addresses")
    eq(#uqs, 1)
    eq(uqs[1].name, "uq_user_email")
    eq(names(uqs[1].column_names), "user_id,email")
    eq(#insp:get_unique_constraints("users"), 1)
    eq(insp:has_table("users"), true)
    eq(insp:has_table("nope"), false)
    raises(function() insp:get_columns("nope") end, "NoSuchTableError")
    md:drop_all(e)
end)

for_each_db("tables in another schema", function(url, db)
    local e = fresh_engine(url, db)
    local other = "other"
    if db == "postgresql" then
        e:execute("DROP SCHEMA IF EXISTS other CASCADE")
        e:execute("CREATE SCHEMA other")
    else
        e:execute("ATTACH DATABASE ':memory:' AS other")
    end
    local md = MetaData()
    local parent = Table("parent", md, Column("id", Integer, {primary_key = true}),
        {schema = other})
    local child = Table("child", md, Column("id", Integer, {primary_key = true}),
        Column("parent_id", Integer, ForeignKey("other.parent.id")),
        Column("tag", String(10), {index = true}), {schema = other})
    eq(tostring(child), "other.child")
    eq(md.tables["other.child"], child)
    eq(names(md.sorted_tables), "other.parent,other.child")
    md:create_all(e)
    md:create_all(e)
    local insp = inspect(e)
    eq(names(insp:get_table_names({schema = other})), "child,parent")
    eq(#insp:get_table_names(), 0)
    eq(insp:has_table("child", {schema = other}), true)
    local m2 = MetaData()
    local c2 = Table("child", m2, {schema = other, autoload_with = e})
    eq(names(c2.indexes, "name"), "ix_child_tag")
    eq(c2.foreign_keys[1].target, "other.parent.id")
    eq(m2.tables["other.parent"].schema, "other")
    md:drop_all(e)
    eq(#insp:get_table_names({schema = other}), 0)
end)

for_each_db("types and defaults through execution", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    local Upper = TypeDecorator({impl = String(20),
        process_bind_param = function(v) return v and v:upper() end,
        process_result_value = function(v) return v and ("<" .. v .. ">") end})
    local calls = 0
    local t = Table("things", md,
        Column("id", Integer, {primary_key = true}),
        Column("data", JSON),
        Column("flag", Boolean, {default = true}),
        Column("mood", Enum("sad", "happy", {name = "mood"})),
        Column("name", Upper),
        Column("blob", LargeBinary),
        Column("n", Integer, {default = function(ctx)
            calls = calls + 1
            return ctx.current_parameters.base + calls
        end}),
        Column("created", DateTime, {default = func.now()}))
    md:create_all(e)
    e:execute(t:insert(), {data = {a = {1, 2}, b = "x"}, mood = "sad", name = "ed",
        blob = "\0\1\2", base = 40})
    local row = e:execute(t:select()):one()
    eq(row.data.a[2], 2)
    eq(row.data.b, "x")
    eq(row.flag, true)
    eq(row.mood, "sad")
    eq(row.name, "<ED>")
    eq(row.blob, "\0\1\2")
    eq(row.n, 41)
    eq(row.created ~= nil, true)
    local err = raises(function() e:execute(t:insert(), {mood = "angry"}) end,
        "'angry' is not among the defined enum values")
    eq(err.class, "StatementError")
    md:drop_all(e)
end)

test("SQLite foreign keys that name only the table refer to its primary key", function()
    local e = create_engine("sqlite://")
    e:execute("CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (b, a))")
    e:execute("CREATE TABLE c (x INTEGER, y INTEGER, z INTEGER REFERENCES p, "
        .. "FOREIGN KEY (x, y) REFERENCES p)")
    local c = Table("c", MetaData(), {autoload_with = e})
    eq(tostring(c.constraints[2]), "ForeignKeyConstraint({'z'}, {'p.b'})")
    eq(tostring(c.constraints[3]), "ForeignKeyConstraint({'x', 'y'}, {'p.b', 'p.a'})")
    local fks = inspect(e):get_foreign_keys("c")
    eq(names(fks[2].referred_columns), "b,a")
end)

for_each_db("CreateTable renders a table's DDL and runs it", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    Table("shell_parent", md, Column("id", Integer, {primary_key = true}))
    local ddl = CreateTable(Table("shell_child", md,
        Column("id", Integer, {primary_key = true}),
        Column("parent_id", Integer, ForeignKey("shell_parent.id")),
        Column("name", String(20), {nullable = false})))
    md = nil
    collectgarbage()      -- the statement keeps its table and MetaData alive
    local expected = "CREATE TABLE shell_child (\n\tid %s NOT NULL,\n\tparent_id INTEGER,\n"
        .. "\tname VARCHAR(20) NOT NULL,\n\tPRIMARY KEY (id),\n"
        .. "\tFOREIGN KEY(parent_id) REFERENCES shell_parent (id)\n)"
    eq(tostring(ddl), expected:format("INTEGER"))
    eq(tostring(ddl:compile("postgresql")), expected:format("SERIAL"))
    eq(tostring(ddl:compile(e)), expected:format(db == "postgresql" and "SERIAL" or "INTEGER"))
    e:execute("CREATE TABLE shell_parent (id INTEGER PRIMARY KEY)")
    e:execute(ddl)
    eq(inspect(e):has_table("shell_child"), true)
    e:execute("DROP TABLE shell_child")
    e:execute("DROP TABLE shell_parent")
    raises(function() CreateTable("users") end, "bad argument #1 to 'CreateTable'")
end)

for_each_db("CreateIndex renders an attached Index and runs it", function(url, db)
    local e = fresh_engine(url, db)
    local md = MetaData()
    local by_name = Index("ix_shell_name", "name", "id", {unique = true})
    local t = Table("shell_people", md, Column("id", Integer, {primary_key = true}),
        Column("name", String(20)), by_name)
    local ddl = CreateIndex(by_name)
    md, t = nil, nil
    collectgarbage()
    eq(tostring(ddl), "CREATE UNIQUE INDEX ix_shell_name ON shell_people (name, id)")
    eq(tostring(ddl:compile(e)), "CREATE UNIQUE INDEX ix_shell_name ON shell_people (name, id)")
    e:execute("CREATE TABLE shell_people (id INTEGER PRIMARY KEY, name VARCHAR(20))")
    e:execute(ddl)
    local reflected = Table("shell_people", MetaData(), {autoload_with = e})
    eq(tostring(CreateIndex(reflected.indexes[1]):compile(e)), tostring(ddl))
    e:execute("DROP TABLE shell_people")
    raises(function() CreateIndex(Index("ix_x", "x")) end, "not attached to a Table")
    raises(function() CreateIndex({}) end, "an Index expected")
end)
