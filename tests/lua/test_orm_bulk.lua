-- test_orm_bulk.lua: session:bulk_insert_mappings() and
-- session:bulk_save_objects(): rows written without instances or the unit
-- of work's bookkeeping, grouped by shape, defaults and renamed attributes,
-- the session transaction, all-or-nothing failures; on SQLite and
-- PostgreSQL.

local function model(url)
    local e = create_engine(url)
    local md = MetaData()
    local t = Table("bulk_items", md,
        Column("id", Integer, {primary_key = true}),
        Column("name", String(40), {unique = true, nullable = false}),
        Column("kind", String(20), {default = "plain"}),
        Column("qty", Integer, {default = function() return 7 end}),
        Column("note", String(40), {server_default = "srv"}))
    md:drop_all(e)
    md:create_all(e)
    local Item = class("Item")
    mapper(Item, t, {properties = {label = t.c.note}})
    return e, Item, t, md
end

local function rows(e)
    local c = e:connect()
    local out = {}
    for r in c:execute("SELECT id, name, kind, qty, note FROM bulk_items ORDER BY id") do
        out[#out + 1] = ("%s:%s:%s:%s:%s"):format(r[1], r[2], tostring(r[3]), tostring(r[4]),
                                                tostring(r[5]))
    end
    c:close()
    return table.concat(out, " ")
end

for_each_db("bulk_insert_mappings: rows by shape, defaults, renamed attributes", function(url)
    local e, Item, _, md = model(url)
    local s = Session(e)
    s:bulk_insert_mappings(Item, {
        {id = 1, name = "a"},
        {id = 2, name = "b", ignored_key = 5},
        {id = 3, name = "c", kind = "odd", qty = 1},
        {id = 4, name = "d", label = "given"},
    })
    eq(#s.new, 0, "no instances")
    eq(s.in_transaction, true)
    s:commit()
    eq(rows(e), "1:a:plain:7:srv 2:b:plain:7:srv 3:c:odd:1:srv 4:d:plain:7:given")
    s:bulk_insert_mappings(Item, {})
    s:commit()
    md:drop_all(e)
end)

for_each_db("bulk_insert_mappings: generated keys, no identity map", function(url)
    local e, Item, _, md = model(url)
    local s = Session(e)
    local data = {}
    for i = 1, 250 do data[i] = {name = "n" .. i} end
    s:bulk_insert_mappings(Item, data)
    eq(s:query(Item):count(), 250)
    local first = s:query(Item):order_by(Item.id):first()
    eq(first.name, "n1")
    s:rollback()
    eq(rows(e), "", "rolled back with the session")
    md:drop_all(e)
end)

for_each_db("bulk_insert_mappings: a failure rolls back only what the call wrote", function(url)
    local e, Item, _, md = model(url)
    local s = Session(e)
    local it = Item({id = 1, name = "x"})
    s:add(it)
    s:flush()
    -- the third row breaks the unique name: the first two go too
    raises(function()
        s:bulk_insert_mappings(Item, {{id = 2, name = "y"}, {id = 3, name = "z"},
                                      {id = 4, name = "x"}})
    end, "bulk_items")
    s:commit()
    eq(rows(e), "1:x:plain:7:srv")
    -- a bad row (not a table) is a Lua error, rolled back the same way
    raises(function() s:bulk_insert_mappings(Item, {{id = 5, name = "p"}, 5}) end,
           "row 2 is a number")
    raises(function() s:bulk_insert_mappings(Item, {{id = 5, name = {}}}) end, "cannot bind")
    s:commit()
    eq(rows(e), "1:x:plain:7:srv")
    raises(function() s:bulk_insert_mappings({}, {}) end, "mapped class expected")
    md:drop_all(e)
end)

for_each_db("bulk_save_objects: inserts and updates without the session's bookkeeping",
            function(url)
    local e, Item, _, md = model(url)
    local s = Session(e)
    local objs = {}
    for i = 1, 5 do objs[i] = Item({name = "o" .. i}) end
    objs[3].kind = "special"
    s:bulk_save_objects(objs)
    eq(object_state(objs[1]).transient, true, "left transient")
    eq(objs[1].id, nil)
    eq(#s.new, 0)
    s:commit()
    eq(rows(e), "1:o1:plain:7:srv 2:o2:plain:7:srv 3:o3:special:7:srv 4:o4:plain:7:srv " ..
                "5:o5:plain:7:srv")
    -- persistent objects: UPDATE of what changed, by primary key
    local a = s:get(Item, 2)
    local b = s:get(Item, 4)
    local c = s:get(Item, 5)
    a.name = "two"
    b.qty = 40
    b.label = "lbl"
    s:bulk_save_objects({a, b, c, Item({id = 9, name = "nine"})})
    s:commit()
    eq(rows(e), "1:o1:plain:7:srv 2:two:plain:7:srv 3:o3:special:7:srv 4:o4:plain:40:lbl " ..
                "5:o5:plain:7:srv 9:nine:plain:7:srv")
    md:drop_all(e)
end)

for_each_db("bulk_save_objects: return_defaults gives keys and identity", function(url)
    local e, Item, _, md = model(url)
    local s = Session(e)
    local x, y = Item({name = "x"}), Item({name = "y", qty = 3})
    s:bulk_save_objects({x, y}, {return_defaults = true})
    eq(x.id, 1)
    eq(y.id, 2)
    eq(x.qty, 7)
    eq(x.kind, "plain")
    eq(object_state(x).detached, true)
    s:commit()
    s:add(x)
    x.name = "xx"
    s:commit()
    eq(rows(e), "1:xx:plain:7:srv 2:y:plain:3:srv")
    raises(function() s:bulk_save_objects({x}, {return_pks = true}) end, "return_pks")
    raises(function() s:bulk_save_objects({5}) end, "item 1 is not a mapped instance")
    md:drop_all(e)
end)

for_each_db("bulk_save_objects: all or nothing; a stale row fails", function(url)
    local e, Item, _, md = model(url)
    local s = Session(e)
    s:add(Item({id = 1, name = "a"}))
    s:commit()
    raises(function()
        s:bulk_save_objects({Item({id = 2, name = "b"}), Item({id = 3, name = "a"})})
    end, "bulk_items")
    s:commit()
    eq(rows(e), "1:a:plain:7:srv")
    local a = s:get(Item, 1)
    s:expunge(a)
    s:commit()
    e:execute("DELETE FROM bulk_items")
    a.name = "gone"
    raises(function() s:bulk_save_objects({a}) end, "expected to update 1 row(s); 0 were matched")
    local other = Session(e)
    local z = Item({name = "z"})
    other:add(z)
    raises(function() s:bulk_save_objects({z}) end, "attached to another session")
    other:close()
    s:close()
    md:drop_all(e)
end)
