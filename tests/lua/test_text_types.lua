-- test_text_types.lua: text() with typed result columns, and user types with
-- their own DDL spelling (TypeDecorator col_spec), on both databases.

for_each_db("text():columns() converts result values by type", function(url, db)
    local e = create_engine(url)
    e:execute("DROP TABLE IF EXISTS rt_docs")
    e:execute("CREATE TABLE rt_docs (id INTEGER, flag BOOLEAN, doc TEXT)")
    e:execute(text("INSERT INTO rt_docs VALUES (:id, :flag, :doc)"),
              {id = 1, flag = true, doc = '{"a": [1, 2]}'})
    local plain = e:execute("SELECT id, flag, doc FROM rt_docs"):one()
    eq(type(plain.doc), "string")
    local typed = e:execute(text("SELECT id, flag, doc FROM rt_docs")
                            :columns({flag = Boolean, doc = JSON})):one()
    eq(typed.flag, true)
    eq(typed.doc.a[2], 2)
    local md = MetaData()
    local docs = Table("rt_docs", md, Column("id", Integer), Column("flag", Boolean),
                       Column("doc", JSON))
    local bycol = e:execute(text("SELECT doc FROM rt_docs"):columns(docs.c.doc)):scalar()
    eq(bycol.a[1], 1)
    raises(function() text("SELECT 1"):columns(42) end, "a column expression expected")
    e:execute("DROP TABLE rt_docs")
end)

for_each_db("a TypeDecorator with col_spec has its own DDL spelling", function(url, db)
    local e = create_engine(url)
    local Tagged = TypeDecorator({impl = String(20), col_spec = "VARCHAR(30)",
        process_bind_param = function(v) return "tag:" .. v end,
        process_result_value = function(v) return v:sub(5) end})
    local md = MetaData()
    local t = Table("rt_tagged", md, Column("id", Integer, {primary_key = true}),
                    Column("v", Tagged))
    md:drop_all(e)
    md:create_all(e)
    local cols = inspect(e):get_columns("rt_tagged")
    eq(tostring(cols[2].type), "VARCHAR(30)")
    e:execute(t:insert(), {id = 1, v = "x"})
    eq(e:execute(text("SELECT v FROM rt_tagged")):scalar(), "tag:x")
    eq(e:execute(select(t.c.v)):scalar(), "x")
    md:drop_all(e)
end)

for_each_db("values of the wrong type for a typed column are refused", function(url)
    local e = create_engine(url)
    local md = MetaData()
    local t = Table("rt_typed", md, Column("id", Integer, {primary_key = true}),
        Column("b", Boolean), Column("d", Date), Column("ts", DateTime), Column("tm", Time))
    md:drop_all(e)
    md:create_all(e)
    local err = raises(function() e:execute(t:insert(), {id = 1, b = "yes"}) end,
        "Not a boolean value: yes")
    eq(err.class, "StatementError")
    raises(function() e:execute(t:insert(), {id = 1, d = "02/03/2024"}) end,
        "'02/03/2024' is not an ISO-8601 date")
    raises(function() e:execute(t:insert(), {id = 1, ts = "yesterday"}) end,
        "is not an ISO-8601 date-time")
    raises(function() e:execute(t:insert(), {id = 1, tm = "noon"}) end,
        "is not an ISO-8601 time")
    e:execute(t:insert(), {id = 1, b = true, d = "2024-02-29", ts = "2024-02-29 10:11:12",
                           tm = "10:11:12"})
    e:execute(t:insert(), {id = 2, b = 0, d = {year = 2024, month = 3, day = 1},
                           ts = "2024-03-01T10:11:12", tm = "10:11"})
    local row = e:execute(select(t):where(t.c.id:eq(1))):one()
    eq(row.b, true)
    eq(row.d, "2024-02-29")
    eq(e:execute(select(t.c.b):where(t.c.id:eq(2))):scalar(), false)
    md:drop_all(e)
end)
