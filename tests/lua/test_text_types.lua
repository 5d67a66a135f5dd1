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
