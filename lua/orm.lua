-- orm.lua: the Lua half of the ORM binding, embedded in the module.  What is
-- configuration rather than work per row lives here: class(), mapper(),
-- declarative_base() and Base:class(), clear_mappers(), Session and
-- sessionmaker(), aliased(), and Query, which builds Core statements from
-- entities and criteria and hands them to the C loader (l_orm_query.c);
-- a query with loader options or eager relationships goes through
-- orm_load.lua.  Instances, the session and the unit of work are C
-- (core/orm, l_orm_*.c).
-- Called with the module table and the C half; returns select()'s hook.
local sa, orm = ...

local core_select = sa.select
local pack, unpack = table.pack, table.unpack
-- Lua's select (the shell later puts retort's select(), which hands "#" on
-- to this one, in the globals)
local select = select

local ClassMeta = {__name = "retort.Class"}
ClassMeta.__tostring = function(cls) return "<class '" .. rawget(cls, "__name") .. "'>" end

local mapped = {}            -- every class mapped, for clear_mappers()
local by_table = setmetatable({}, {__mode = "k"})   -- Table -> its mapped class
local by_name = {}           -- class name -> class, for relationship("Name")
local pending = {}           -- relationships not yet configured, in order

local function is_class(v)
    return type(v) == "table" and rawget(v, "__rt_class") == true
end

local function is_relationship(v)
    return type(v) == "table" and rawget(v, "__rt_relationship") == true
end

local rel = assert(load(orm.rel_source, "=orm_rel.lua"))(sa, orm, {
    is_class = is_class, is_relationship = is_relationship, pending = function() return pending end,
    by_name = by_name, mapped = function() return mapped end})
ClassMeta.__call = function(cls, ...)
    if pending[1] then rel.configure() end
    return orm.construct(cls, ...)
end
ClassMeta.__index = function(cls, k)
    if type(k) == "string" and k:sub(1, 2) == "__" then return nil end
    if pending[1] then rel.configure() end
    return rawget(cls, k)
end
ClassMeta.__newindex = function(cls, k, v)
    if is_relationship(v) and orm.is_mapped(cls) then
        pending[#pending + 1] = {cls = cls, key = k, rel = v}
        return
    end
    rawset(cls, k, v)
end

function sa.class(name)
    if type(name) ~= "string" then error("bad argument #1 to 'class' (a class name expected)", 2) end
    return setmetatable({__name = name, __rt_class = true}, ClassMeta)
end

function sa.mapper(cls, tbl, opts)
    if not is_class(cls) then
        error("bad argument #1 to 'mapper' (a class made by class() expected)", 2)
    end
    local props = {}
    if opts ~= nil then
        if type(opts) ~= "table" then error("bad argument #3 to 'mapper' (an option table expected)", 2) end
        for k in pairs(opts) do
            if k ~= "properties" then error(("mapper: unknown option '%s'"):format(tostring(k)), 2) end
        end
        for k, v in pairs(opts.properties or {}) do props[k] = v end
    end
    local rels = {}
    for k, v in pairs(props) do
        if is_relationship(v) then rels[#rels + 1] = {cls = cls, key = k, rel = v}; props[k] = nil end
    end
    table.sort(rels, function(a, b) return a.rel.order < b.rel.order end)
    local m = orm.mapper(cls, tbl, props)
    mapped[#mapped + 1] = cls
    by_table[tbl] = by_table[tbl] or cls
    by_name[rawget(cls, "__name")] = cls
    for _, r in ipairs(rels) do pending[#pending + 1] = r end
    return m
end

function sa.clear_mappers()
    for _, cls in ipairs(mapped) do rel.unmap(cls); orm.unmap(cls) end
    mapped = {}
    pending = {}
    for k in pairs(by_name) do by_name[k] = nil end
    by_table = setmetatable({}, {__mode = "k"})
end

function sa.object_state(obj) return orm.state(obj) end
sa.object_session = orm.object_session
function sa.attribute_history(obj, key) return orm.history(obj, key) end

-- declarative ---------------------------------------------------------------

local class_options = {__tablename = true, __table = true, __table_args = true,
                       __mapper_args = true, __tostring = true, __init = true}

local function declare(base, name, body)
    if type(name) ~= "string" then error("bad argument #1 to 'class' (a class name expected)", 3) end
    if type(body) ~= "table" then error("bad argument #2 to 'class' (a table expected)", 3) end
    local cls = sa.class(name)
    local cols = {}
    for k, v in pairs(body) do
        if type(k) ~= "string" then
            error(("%s: class attribute names must be strings"):format(name), 3)
        elseif k:sub(1, 2) == "__" then
            if not class_options[k] then
                error(("%s: unknown class option '%s'"):format(name, k), 3)
            end
            if k == "__tostring" or k == "__init" then rawset(cls, k, v) end
        elseif orm.column_order(v) then
            cols[#cols + 1] = {key = k, col = v, order = orm.column_order(v)}
        elseif is_relationship(v) then
            v.registry = base.registry
        else
            rawset(cls, k, v)      -- methods and plain class attributes
        end
    end
    table.sort(cols, function(a, b) return a.order < b.order end)
    local tbl = body.__table
    if not tbl then
        local tn = body.__tablename
        if type(tn) ~= "string" then
            error(("Class %s does not have a __table or __tablename specified"):format(name), 3)
        end
        local args = {}
        for _, c in ipairs(cols) do
            orm.column_name(c.col, c.key)
            args[#args + 1] = c.col
        end
        local targs, options = body.__table_args, nil
        if targs ~= nil then
            for i, a in ipairs(targs) do args[#args + 1] = a end
            for k, v in pairs(targs) do
                if type(k) ~= "number" then options = options or {}; options[k] = v end
            end
        end
        if options then args[#args + 1] = options end
        tbl = sa.Table(tn, base.metadata, unpack(args))
    elseif #cols > 0 then
        error(("%s: give either __table or columns, not both"):format(name), 3)
    end
    local props = {}
    for _, c in ipairs(cols) do props[c.key] = c.col end
    for k, v in pairs(body) do
        if is_relationship(v) then props[k] = v end
    end
    sa.mapper(cls, tbl, {properties = props})
    base.registry[name] = cls
    return cls
end

function sa.declarative_base(opts)
    local md = opts and opts.metadata or sa.MetaData()
    local Base = {metadata = md, registry = {}}
    Base.class = declare
    return setmetatable(Base, {__name = "retort.DeclarativeBase",
                               __tostring = function() return "<declarative base>" end})
end

-- aliased() -------------------------------------------------------------------

-- aliased(Address [, selectable] [, {name = "a"}]): the class over an alias
-- of its table (addresses AS addresses_1) or over a subquery of its columns;
-- its attributes are the alias's columns.
local AliasMeta = {__name = "retort.AliasedClass"}
local alias_cols = setmetatable({}, {__mode = "k"})   -- columns of aliased classes
local function is_aliased(v) return getmetatable(v) == AliasMeta end

AliasMeta.__index = function(a, k)
    local i = rawget(a, "__index_of")[k]
    if i then return rawget(a, "__cols")[i] end
    if type(k) == "string" and k:sub(1, 2) == "__" then return nil end
    orm.raise("InvalidRequestError", ("%s has no attribute '%s'"):format(tostring(a), tostring(k)))
end
AliasMeta.__tostring = function(a)
    return ("<AliasedClass %s(%s)>"):format(rawget(a.__cls, "__name"), tostring(a.__alias))
end

function sa.aliased(cls, selectable, opts)
    if not is_class(cls) or not orm.is_mapped(cls) then
        orm.raise("ArgumentError", ("aliased(): %s is not a mapped class")
                  :format(is_class(cls) and ("class '" .. rawget(cls, "__name") .. "'") or type(cls)))
    end
    if pending[1] then rel.configure() end
    if type(selectable) == "table" and getmetatable(selectable) == nil then
        selectable, opts = nil, selectable
    end
    local name = opts and opts.name
    local tbl = rawget(cls, "__table")
    local alias = selectable or tbl:alias(name)
    local cols, keys = orm.columns(cls)
    local acols, index = {}, {}
    for i, c in ipairs(cols) do
        local ok, ac = pcall(function() return alias.c[c.key] end)
        if not ok or ac == nil then
            orm.raise("ArgumentError", ("aliased(): the selectable has no column '%s' for %s.%s")
                      :format(c.key, rawget(cls, "__name"), keys[i]))
        end
        acols[i] = ac
        alias_cols[ac] = true
        index[keys[i]] = i
    end
    return setmetatable({__cls = cls, __alias = alias, __cols = acols, __keys = keys,
                         __index_of = index, __name = name, __table = tbl}, AliasMeta)
end
sa.is_aliased = is_aliased

-- Query ------------------------------------------------------------------------

local Query = {}
local QueryMeta = {__name = "retort.Query"}

-- The Table of a plain table column (User.name), else nil.
local function column_table(v)
    if v == nil then return nil end
    local ok, t = pcall(function() return v.table end)
    if ok and t ~= nil and by_table[t] ~= nil then return t end
    if ok and t ~= nil and pcall(function() return t.c end) then return t end
    return nil
end

local function expr_name(v)
    local ok, k = pcall(function() return v.key end)
    if ok and type(k) == "string" then return k end
    ok, k = pcall(function() return v.name end)
    if ok and type(k) == "string" then return k end
    return nil
end

-- Per Mapper (a class mapped again gets a new one): its column objects,
-- attribute names and name -> position, shared by the queries' entities
-- (read-only).
local class_columns = setmetatable({}, {__mode = "k"})

local function entity_of(v, i, level)
    if is_aliased(v) then
        local index = {}
        for j, k in ipairs(v.__keys) do index[k] = j end
        return {cls = v.__cls, cols = v.__cols, keys = v.__keys, index = index,
                name = v.__name, table = v.__alias, aliased = v, exact = true}
    end
    if is_class(v) then
        if not orm.is_mapped(v) then
            orm.raise("InvalidRequestError", ("Class '%s' is not mapped"):format(rawget(v, "__name")))
        end
        local mp = rawget(v, "__mapper")
        local c = class_columns[mp]
        if not c then
            local cols, keys = orm.columns(v)
            local index = {}
            for j, k in ipairs(keys) do index[k] = j end
            c = {cols = cols, keys = keys, index = index}
            c.entity = {cls = v, cols = cols, keys = keys, index = index,
                        name = rawget(v, "__name"), table = rawget(v, "__table")}
            class_columns[mp] = c
        end
        return c.entity
    end
    local t = type(v)
    if t ~= "userdata" or orm.is_instance(v) then
        error(("bad argument #%d to 'query' (a mapped class or a column expression expected, got %s)")
            :format(i, orm.is_instance(v) and "an instance" or t), level)
    end
    return {expr = v, name = expr_name(v)}
end

-- A query of one mapped class (query(User)) shares, per entity, a read-only
-- entity list and what running it needs: its columns and the positions,
-- names and flags orm.load takes, and its SELECT before criteria, labelled
-- or not (built once; a query adds its WHERE, ORDER BY, ... to it).
local class_shapes = setmetatable({}, {__mode = "k"})   -- entity -> shape
local shape_of = setmetatable({}, {__mode = "k"})       -- entity list -> shape
local empty = setmetatable({}, {__newindex = function() error("read-only list", 2) end})
-- The _having of a query as query(User) made it, with its four fields only
-- (filter() then makes the next one without a clone loop); clone() puts
-- `empty` in its place.
local plain = setmetatable({}, getmetatable(empty))
-- The _having of the query filter(cond) made from such a query: its four
-- fields are all it has (one() runs it without looking for the others).
local filtered = setmetatable({}, getmetatable(empty))

local shape_by_class = setmetatable({}, {__mode = "k"})  -- class -> its current shape

local function new_query(session, ...)
    if pending[1] then rel.configure() end
    local n, v = select("#", ...), ...
    if n == 1 then     -- query(User): the class's shared list
        local sh = shape_by_class[v]
        -- v is a class: its __mapper is raw, or nil through ClassMeta.__index
        if sh and sh.mapper == v.__mapper then
            return setmetatable({_session = session, _entities = sh.entities, _where = empty,
                                 _having = plain}, QueryMeta)
        end
        if is_class(v) then
            local e = entity_of(v, 1, 4)
            sh = class_shapes[e]
            if not sh then
                sh = {entities = {e}, mapper = rawget(v, "__mapper")}
                class_shapes[e] = sh
                shape_of[sh.entities] = sh
            end
            shape_by_class[v] = sh
            return setmetatable({_session = session, _entities = sh.entities, _where = empty,
                                 _having = plain}, QueryMeta)
        end
    end
    local args = pack(...)
    if args.n == 0 then error("query: give at least one entity or column", 3) end
    local q = setmetatable({_session = session, _entities = {}, _where = empty, _having = empty},
                           QueryMeta)
    for i = 1, args.n do q._entities[i] = entity_of(args[i], i, 4) end
    return q
end

local function clone(q)
    -- sized for the usual fields at once (no rehash per field)
    local c = {_session = false, _entities = false, _where = false, _having = false}
    for k, v in next, q do c[k] = v end
    if rawget(q, "_session") == nil then c._session = nil end
    if c._having == plain or c._having == filtered then c._having = empty end
    return setmetatable(c, QueryMeta)
end

local function appended(list, args)
    local c = {}
    for i, v in ipairs(list or {}) do c[i] = v end
    for i = 1, args.n do
        if args[i] ~= nil then c[#c + 1] = args[i] end
    end
    return c
end

local function primary(q)
    if q._join_entity then return q._join_entity end
    for _, e in ipairs(q._entities) do
        if e.cls then return e end
    end
    -- query(User.name): the class the first mapped column belongs to
    for _, e in ipairs(q._entities) do
        local t = column_table(e.expr)
        local cls = t and by_table[t]
        if cls and orm.is_mapped(cls) then return entity_of(cls, 1, 4) end
    end
    return nil
end

local function primary_from(q)
    if q._from then return q._from end
    if q._select_from then return q._select_from end
    for _, e in ipairs(q._entities) do
        if e.cls then return e.table end
    end
    for _, e in ipairs(q._entities) do    -- query(User.name): its table
        local t = column_table(e.expr)
        if t then return t end
    end
    error("query: no entity to join from; use select_from()", 3)
end

-- The statement; labelled (users.id AS users_id) for execution and
-- printing, as SQLAlchemy 1.x; unlabelled for .statement and subquery().
-- The columns of the statement and where each entity starts (0-based); a
-- mapped column asked for twice is selected once, as SQLAlchemy does.
-- A mapped table's column by its text (users.name); any other (an alias's:
-- addresses_1.id prints as addresses.id) by identity.
local function col_key(c)
    if alias_cols[c] then return c end
    return tostring(c)
end

-- The 0-based position of expr among the selected cols: the one already
-- selected under key (seen: key -> 1-based position), or a new one.
local function place_column(cols, seen, expr, key)
    if key and seen[key] then return seen[key] - 1 end
    cols[#cols + 1] = expr
    if key then seen[key] = #cols end
    return #cols - 1
end

local function layout(q)
    local ents = q._entities
    if #ents == 1 and ents[1].cls then      -- one class: its columns, none shared
        local cols = {}
        for i, c in ipairs(ents[1].cols) do cols[i] = c end
        return cols, {0}
    end
    local cols, pos, seen = {}, {}, {}
    for i, e in ipairs(ents) do
        if e.cls then
            pos[i] = #cols
            for _, c in ipairs(e.cols) do
                cols[#cols + 1] = c
                local k = col_key(c)
                seen[k] = seen[k] or #cols
            end
        else
            pos[i] = place_column(cols, seen, e.expr, column_table(e.expr) and col_key(e.expr))
        end
    end
    return cols, pos
end

-- The rest of build(): what the query adds to its SELECT of columns.
local function add_clauses(q, s)
    if q._from then s = s:select_from(q._from)
    elseif q._select_from then s = s:select_from(q._select_from) end
    for _, w in ipairs(q._where) do s = s:where(w) end
    if q._group then s = s:group_by(unpack(q._group)) end
    for _, h in ipairs(q._having) do s = s:having(h) end
    if q._order then s = s:order_by(unpack(q._order)) end
    if q._distinct then s = s:distinct() end
    if q._limit then s = s:limit(q._limit) end
    if q._offset then s = s:offset(q._offset) end
    return s
end

local function build(q, nolabels, cols)
    if q._statement then return q._statement end
    local sh = shape_of[q._entities]
    if sh then     -- labels name the columns only: the labelled SELECT is kept
        local base = nolabels and sh.plain or sh.labelled
        if not base then
            base = core_select(unpack(sh.entities[1].cols))
            if nolabels then sh.plain = base
            else base = base:apply_labels(); sh.labelled = base end
        end
        return add_clauses(q, base)
    end
    cols = cols or layout(q)
    local s = add_clauses(q, core_select(unpack(cols)))
    if nolabels then return s end
    return s:apply_labels()
end

QueryMeta.__index = function(q, k)
    if k == "statement" then return build(q, true) end
    if k == "session" then return rawget(q, "_session") end
    return Query[k]
end
QueryMeta.__tostring = function(q) return tostring(Query._loading_statement(q)) end

local function filter(self, name, ...)
    if select("#", ...) == 1 then     -- filter(cond): one more criterion
        local w = ...
        if w ~= nil then
            local c, old = clone(self), self._where
            if old[1] == nil then
                c._where = {w}
            else
                local list = {}
                for i, x in ipairs(old) do list[i] = x end
                list[#list + 1] = w
                c._where = list
            end
            return c
        end
    end
    local args = pack(...)
    for i = 1, args.n do             -- filter(nil) would drop the criterion: never silently
        if args[i] == nil then
            error(("bad argument #%d to '%s' (an SQL expression expected as a condition, got nil)")
                  :format(i, name), 3)
        end
    end
    local c = clone(self)
    c._where = appended(self._where, args)
    return c
end
-- Query.filter and Query.where: filter(cond) on query(User), the usual one
-- criterion, is made at once (its four fields: no clone loop), the rest by
-- filter().
local function filter_method(name)
    return function(self, ...)
        local w = ...
        if self._having == plain and w ~= nil and select("#", ...) == 1 then
            return setmetatable({_session = self._session, _entities = self._entities,
                                 _where = {w}, _having = filtered}, QueryMeta)
        end
        return filter(self, name, ...)
    end
end
Query.filter = filter_method("filter")
Query.where = filter_method("where")

function Query:filter_by(kw)
    if type(kw) ~= "table" then error("bad argument #1 to 'filter_by' (a table of attribute values expected)", 2) end
    local e = primary(self)
    if not e then error("filter_by: the query has no entity", 2) end
    for k in pairs(kw) do
        if type(k) ~= "string" or not e.index[k] then
            orm.raise("InvalidRequestError", ("Entity '%s' has no property '%s'"):format(e.name, tostring(k)))
        end
    end
    local conds = {n = 0}
    for i, key in ipairs(e.keys) do
        local v = kw[key]
        if v ~= nil then
            conds.n = conds.n + 1
            conds[conds.n] = e.cols[i]:eq(v)
        end
    end
    local c = clone(self)
    c._where = appended(self._where, conds)
    return c
end

function Query:order_by(...) local c = clone(self); c._order = appended(self._order, pack(...)); return c end
function Query:group_by(...) local c = clone(self); c._group = appended(self._group, pack(...)); return c end
function Query:having(...) local c = clone(self); c._having = appended(self._having, pack(...)); return c end
function Query:limit(n) local c = clone(self); c._limit = n; return c end
function Query:offset(n) local c = clone(self); c._offset = n; return c end
function Query:distinct() local c = clone(self); c._distinct = true; return c end
function Query:params(p)
    if type(p) ~= "table" then error("bad argument #1 to 'params' (a table of parameters expected)", 2) end
    local c = clone(self)
    local merged = {}
    for k, v in pairs(self._params or {}) do merged[k] = v end
    for k, v in pairs(p) do merged[k] = v end
    c._params = merged
    return c
end
function Query:from_statement(stmt) local c = clone(self); c._statement = stmt; return c end

-- with_parent(user, "addresses"): the objects related to user through that
-- relationship (a name or attribute; nil: the one leading to the query's class).
function Query:with_parent(obj, prop)
    if not orm.is_instance(obj) then
        error(("bad argument #1 to 'with_parent' (a mapped instance expected, got %s)"):format(type(obj)), 2)
    end
    local e = primary(self)
    if not e or not e.cls then error("with_parent: the query has no entity", 2) end
    local a = rel.parent_attr(orm.class_of(obj), prop, e.cls)
    return self:filter(rel.parent_criterion(obj, a))
end

local function as_from(v)
    if is_aliased(v) then return v.__alias, entity_of(v, 1, 4) end
    if is_class(v) then
        if not orm.is_mapped(v) then
            orm.raise("InvalidRequestError", ("Class '%s' is not mapped"):format(rawget(v, "__name")))
        end
        return rawget(v, "__table"), entity_of(v, 1, 4)
    end
    return v, nil
end

function Query:select_from(x)
    local c = clone(self)
    c._select_from = as_from(x)
    return c
end

local join
function join(self, target, on, isouter)
    if type(target) == "string" then      -- join("addresses")
        local e = primary(self)
        local a = e and e.cls and rawget(e.cls, target)
        if not rel.is_attr(a) then
            orm.raise("InvalidRequestError", ("Entity '%s' has no relationship '%s'")
                      :format(e and e.name or "?", target))
        end
        target = a
    end
    if rel.is_attr(target) then          -- join(User.addresses)
        target, on = target.target, target
    end
    if rel.is_attr(on) and orm.rel_info(on.cls, on.key).secondary then
        local near, far, secondary = rel.secondary_conditions(on)
        self = join(self, secondary, near, isouter)
        on = far
    elseif rel.is_attr(on) then
        on = rel.join_condition(on, is_aliased(target) and target or nil)
    end
    local right, ent = as_from(target)
    local c = clone(self)
    c._from = sa.join(primary_from(self), right, on, {isouter = isouter})
    if ent then c._join_entity = ent end
    return c
end
function Query:join(target, on) return join(self, target, on, false) end
function Query:outerjoin(target, on) return join(self, target, on, true) end

function Query:subquery(name) return build(self, true):subquery(name) end
function Query:slice(start, stop) return self:offset(start):limit(stop - start) end

local function session_of(q)
    local s = rawget(q, "_session")
    if not s then orm.raise("InvalidRequestError", "This query is not bound to a Session") end
    return s
end

-- The statement of a query of one class (shape sh) and the comparison it
-- takes its value from.  A query whose only clause is one comparison of a
-- column with a value (filter(User.id:eq(k)), and a LIMIT of a number) runs
-- the statement of the first such query (per LIMIT) when its comparison
-- differs from that one's only in the value; the slots take the new value
-- (orm.load's values_from).  Any other query: its own statement.
local function shaped_statement(q, sh)
    local w, lim = q._where, q._limit
    local crit = w[1]
    if crit == nil or w[2] ~= nil or q._statement or q._from or q._select_from or q._group
       or q._having[1] ~= nil or q._order or q._distinct or q._offset
       or (lim ~= nil and math.type(lim) ~= "integer") then
        return build(q, false), nil
    end
    local tmpls = sh.tmpls
    if not tmpls then tmpls = {}; sh.tmpls = tmpls end
    local key = lim or false
    local t = tmpls[key]
    if t and orm.same_comparison(t.crit, crit) then return t.stmt, crit end
    local stmt = build(q, false)
    if orm.same_comparison(crit, crit) and orm.binds_only(stmt, crit) then
        tmpls[key] = {crit = crit, stmt = stmt}
    end
    return stmt, nil
end

local function load_args(sh)
    if not sh.ents then
        local e = sh.entities[1]
        sh.ents, sh.names, sh.exact, sh.pos = {e.cls}, {e.name}, {true}, {0}
    end
end

-- The rows of a query whose _having is `filtered` (query(User):filter(cond)),
-- with a LIMIT of lim when given, or nil when its class has relationships
-- (eager loads: Query.all).
local function filtered_rows(q, lim)
    local sh = shape_of[q._entities]
    if rel.relationships(sh.entities[1].cls)[1] ~= nil then return nil end
    load_args(sh)
    local session, stmt, src = q._session, nil, nil
    if not session then session = session_of(q) end
    local crit, t = q._where[1], sh.tmpls and sh.tmpls[lim or false]
    if t and orm.same_comparison(t.crit, crit) then stmt, src = t.stmt, crit
    else stmt, src = shaped_statement(lim and q:limit(lim) or q, sh) end
    return orm.load(session, stmt, nil, sh.ents, sh.names, true, nil, false, sh.pos, sh.exact,
                    src)
end

local function run(q, stmt, single)
    local sh = shape_of[q._entities]
    if sh then     -- one class: its columns from 0, in attribute order
        load_args(sh)
        if single == nil then single = true end
        local session, src = session_of(q), nil
        if not stmt then stmt, src = shaped_statement(q, sh) end
        return orm.load(session, stmt, q._params, sh.ents, sh.names,
                        single, nil, q._statement ~= nil, sh.pos, sh.exact, src)
    end
    local ents, names, exact = {}, {}, {}
    for i, e in ipairs(q._entities) do
        ents[i] = e.cls or false
        names[i] = e.name or false
        exact[i] = e.exact or false
    end
    if single == nil then single = #q._entities == 1 and q._entities[1].cls ~= nil end
    local cols, pos = layout(q)
    return orm.load(session_of(q), stmt or build(q, false, cols), q._params, ents, names,
                    single, nil, q._statement ~= nil, pos, exact)
end

local loader = assert(load(orm.load_source, "=orm_load.lua"))(sa, orm, rel, {
    clone = clone, build = build, layout = layout, run = run, entity_of = entity_of,
    primary_from = primary_from, appended = appended, place_column = place_column})

-- :options(joinedload(User.addresses), selectinload(User.orders):joinedload(Order.items))
-- (orm_load.lua): loader options, applied to a query of one mapped class.
function Query:options(...)
    local args, c = pack(...), clone(self)
    local list = {}
    for _, o in ipairs(self._options or {}) do list[#list + 1] = o end
    for i = 1, args.n do
        if not loader.is_option(args[i]) then
            error(("bad argument #%d to 'options' (a loader option expected)"):format(i), 2)
        end
        list[#list + 1] = args[i]
    end
    c._options = list
    return c
end

-- Eager loads fill relationships already loaded too (when they have not
-- changed since the last flush).
function Query:populate_existing() local c = clone(self); c._populate_existing = true; return c end

-- The entity a loader plan applies to: the query's one mapped class; nil
-- when there is nothing to load besides the rows.
local function plan_entity(q)
    local e = q._entities[1]
    local one = #q._entities == 1 and e.cls
    if q._options and q._options[1] and not one then
        orm.raise("InvalidRequestError", "loader options need a query of one mapped class")
    end
    if one and not q._statement and loader.needed(q, e.cls) then return e end
    return nil
end

function Query:all()
    if self._having == filtered then
        local rows = filtered_rows(self)
        if rows then return rows end
    end
    if plan_entity(self) then return loader.all(self, session_of(self)) end
    return run(self)
end

-- The statement the query runs first: with its joined eager loads.
function Query:_loading_statement()
    if plan_entity(self) then return loader.statement(self) end
    return build(self)
end

function Query:first()
    if self._having == filtered then
        local rows = filtered_rows(self, 1)
        if rows then return rows[1] end
    end
    local q = self._statement and self or self:limit(1)
    return q:all()[1]
end

local function exactly_one(q, allow_none)
    local rows = q._having == filtered and filtered_rows(q) or q:all()
    if #rows > 1 then orm.raise("MultipleResultsFound", "Multiple rows were found for one()") end
    if #rows == 0 and not allow_none then orm.raise("NoResultFound", "No row was found for one()") end
    return rows[1]
end
function Query:one() return exactly_one(self, false) end
function Query:one_or_none() return exactly_one(self, true) end

function Query:scalar()
    local r = exactly_one(self, true)
    if r == nil then return nil end
    if #self._entities == 1 and self._entities[1].cls then return r end
    return r[1]
end

function Query:count()
    local inner = build(self):alias()
    local stmt = core_select(sa.func.count(sa.literal_column("*")):label("count_1")):select_from(inner)
    return orm.load(session_of(self), stmt, self._params, {false}, {"count_1"}, true)[1]
end

function Query:get(id)
    local e = primary(self)
    return session_of(self):get(e.cls, id)
end

local function bulk(q, stmt)
    local s = session_of(q)
    for _, w in ipairs(q._where) do stmt = stmt:where(w) end
    local r = orm.execute(s, stmt, q._params)
    s:expire_all()
    return r.rowcount
end

function Query:update(values)
    local e = primary(self)
    if type(values) ~= "table" then error("bad argument #1 to 'update' (a table of values expected)", 2) end
    local vals = {}
    for k, v in pairs(values) do
        local i = type(k) == "string" and e.index[k]
        if not i then
            orm.raise("InvalidRequestError", ("Entity '%s' has no property '%s'"):format(e.name, tostring(k)))
        end
        vals[e.cols[i].key] = v
    end
    return bulk(self, sa.update(e.table):values(vals))
end

function Query:delete()
    local e = primary(self)
    return bulk(self, sa.delete(e.table))
end

-- for u in session:query(User) do ... end: the generic for calls the query
-- itself; the first call (control value nil) runs it.
QueryMeta.__call = function(q, _, last)
    local it = rawget(q, "_iter")
    if last == nil or not it then
        it = {rows = q:all(), i = 0}
        rawset(q, "_iter", it)
    end
    it.i = it.i + 1
    local v = it.rows[it.i]
    if v == nil then rawset(q, "_iter", nil) end
    return v
end

sa.Query = Query

local dynamic = assert(load(orm.dynamic_source, "=orm_dynamic.lua"))
orm.on_dynamic(dynamic(sa, orm, rel, Query, QueryMeta.__call))

-- Session ----------------------------------------------------------------------

local methods = orm.session_methods

methods.query = new_query   -- (session, ...): no wrapper, one call less per query

-- get() and merge() make instances without a query: configure first.  (Both
-- take two arguments after the session: get(cls, id), merge(obj); a fixed
-- list is cheaper to pass on than a vararg one.)
for _, name in ipairs({"get", "merge"}) do
    local f = methods[name]
    methods[name] = function(session, a, b)
        if pending[1] then rel.configure() end
        return f(session, a, b)
    end
end

local ResultMeta = {__name = "retort.ORMResult"}
local Result = {}
ResultMeta.__index = Result
function Result:all() return self._rows end
function Result:fetchall() return self._rows end
function Result:first() return self._rows[1] end
function Result:one()
    if #self._rows ~= 1 then
        orm.raise(#self._rows == 0 and "NoResultFound" or "MultipleResultsFound",
                  #self._rows == 0 and "No row was found when one was required"
                                   or "Multiple rows were found when exactly one was required")
    end
    return self._rows[1]
end
function Result:scalar() local r = self._rows[1]; return r and r[1] end
function Result:scalars()
    local vals = {}
    for i, r in ipairs(self._rows) do vals[i] = r[1] end
    return setmetatable({_rows = vals, scalars = false}, ResultMeta)
end
ResultMeta.__call = function(r, _, last)
    r._i = (last == nil) and 1 or (r._i or 0) + 1
    return r._rows[r._i]
end
ResultMeta.__len = function(r) return #r._rows end

function methods.execute(session, stmt, params)
    if getmetatable(stmt) == QueryMeta then
        local q = clone(stmt)
        q._session = session
        if params then q = q:params(params) end
        if plan_entity(q) then
            local rows = {}
            for i, obj in ipairs(loader.all(q, session)) do rows[i] = {obj} end
            return setmetatable({_rows = orm.rows(rows, {q._entities[1].name})}, ResultMeta)
        end
        return setmetatable({_rows = run(q, nil, false)}, ResultMeta)
    end
    return orm.execute(session, stmt, params)
end

function methods.scalars(session, stmt, params)
    return methods.execute(session, stmt, params):scalars()
end

function methods.scalar(session, stmt, params)
    local r = methods.execute(session, stmt, params)
    return r:scalar()
end

local function new_session(bind, opts)
    if bind == nil then
        orm.raise("InvalidRequestError", "This session is not bound to an engine: give Session(engine) or sessionmaker({bind = engine})")
    end
    if pending[1] then rel.configure() end
    local s = orm.session(bind)
    if opts and opts.autoflush == false then s.autoflush = false end
    if opts and opts.expire_on_commit == false then s.expire_on_commit = false end
    return s
end

local session_options = {bind = true, autoflush = true, expire_on_commit = true}
local function check_session_options(opts, fn)
    for k in pairs(opts) do
        if not session_options[k] then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 3) end
    end
end

-- Session(engine) or Session({bind = engine, autoflush = false})
function sa.Session(a)
    if type(a) == "table" then
        check_session_options(a, "Session")
        return new_session(a.bind, a)
    end
    return new_session(a)
end

function sa.sessionmaker(opts)
    opts = opts or {}
    check_session_options(opts, "sessionmaker")
    local config = {}
    for k, v in pairs(opts) do config[k] = v end
    local maker = {}
    function maker.configure(o)
        check_session_options(o, "configure")
        for k, v in pairs(o) do config[k] = v end
    end
    return setmetatable(maker, {
        __name = "retort.sessionmaker",
        __call = function(_, o)
            local merged = {}
            for k, v in pairs(config) do merged[k] = v end
            for k, v in pairs(o or {}) do merged[k] = v end
            return new_session(merged.bind, merged)
        end,
        __tostring = function() return "<sessionmaker>" end})
end

-- select(User, ...): a Query bound to no session, run by session:execute().
return function(...) return new_query(nil, ...) end
