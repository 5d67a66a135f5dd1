-- orm_load.lua: loader options and loader strategies (embedded; loaded by
-- orm.lua), as SQLAlchemy's strategy_options.py and strategies.py.  An
-- option names a path of relationships from the query's entity, each link
-- with a strategy:
--
--   joinedload(User.orders)                     one link
--   joinedload(User.orders):selectinload(Order.items)   a chain, one strategy per link
--   joinedload(User.orders, Order.items)        every link of the path joined
--   joinedload("orders.items")                  the same, by names
--   defaultload(User.orders):joinedload(Order.items)    orders as configured
--   contains_eager(User.addresses, {alias = adalias})   from the query's own join
--
-- A query's plan is a tree of the relationships to load, from its options
-- and from relationship(lazy = ...): joined loads add an anonymous alias
-- LEFT OUTER JOINed to the statement (the parent query wrapped in a
-- subquery when it has LIMIT/OFFSET/DISTINCT and a joined collection);
-- selectin loads run SELECT ... WHERE key IN (...) for the loaded parents,
-- 500 keys per statement; subquery loads re-run the query's keys as a
-- subquery joined to the target; noload leaves relationships empty; raise
-- and lazyload mark the loaded instances for the lazy-load hook, as does a
-- lazy relationship with options below it (its lazy load runs them).  Results
-- fill relationships without events (nothing becomes dirty), never over an
-- already loaded one unless Query:populate_existing().
--
-- Also the lazy-load hook C calls before a lazy load (lazy = "raise",
-- noload, the N+1 guard) and the warning channel (set_warning_handler).
local sa, orm, rel, Q = ...
local unpack = table.unpack

local M = {}
local BATCH = 500        -- parent keys per selectin statement
local NPLUS1 = 10        -- lazy loads of one relationship from one result that warn

local function cname(cls) return rawget(cls, "__name") end

-- warnings ---------------------------------------------------------------------

local function default_warning(msg)
    io.stdout:flush()
    io.stderr:write("Warning: ", msg, "\n")
end
local warning_handler = default_warning

-- set_warning_handler(fn | nil): every warning retort gives goes to
-- fn(message); nil restores the default (a line on standard error).
-- Returns the handler it replaces.
function sa.set_warning_handler(fn)
    if fn ~= nil and type(fn) ~= "function" then
        error("bad argument #1 to 'set_warning_handler' (a function or nil expected)", 2)
    end
    local old = warning_handler
    warning_handler = fn or default_warning
    return old
end

function M.warn(msg) warning_handler(msg) end

-- options ------------------------------------------------------------------------

local OptMeta = {__name = "retort.LoaderOption"}
local Opt = {}
OptMeta.__index = Opt

-- option function -> strategy (false: the relationship's own)
local strategy_of = {joinedload = "joined", selectinload = "selectin", subqueryload = "subquery",
                     lazyload = "select", noload = "noload", raiseload = "raise",
                     defaultload = false, contains_eager = "contains_eager"}

OptMeta.__tostring = function(o)
    local parts = {}
    for i, l in ipairs(o.links) do
        parts[i] = ("%s(%s)"):format(l.fn, type(l.attr) == "string" and ("%q"):format(l.attr)
                                            or tostring(l.attr))
    end
    return table.concat(parts, ":")
end

function M.is_option(v) return getmetatable(v) == OptMeta end

local function make(fn, prev, ...)
    local links = {}
    for i, l in ipairs(prev and prev.links or {}) do links[i] = l end
    local args = table.pack(...)
    local alias
    local last = args[args.n]
    if fn == "contains_eager" and args.n > 1 and type(last) == "table"
       and getmetatable(last) == nil then
        alias = last.alias
        if not sa.is_aliased(alias) then
            error("contains_eager: the option table's alias must be an aliased() class", 3)
        end
        args.n = args.n - 1
    end
    local n0 = #links
    for i = 1, args.n do
        local a = args[i]
        if type(a) == "string" then
            for name in a:gmatch("[^%.]+") do
                links[#links + 1] = {fn = fn, attr = name, strategy = strategy_of[fn]}
            end
        elseif rel.is_attr(a) then
            links[#links + 1] = {fn = fn, attr = a, strategy = strategy_of[fn]}
        elseif type(a) == "userdata" then
            orm.raise("ArgumentError", ("%s(): %s is not a relationship; loader options "
                                        .. "name relationships"):format(fn, tostring(a)))
        else
            error(("bad argument #%d to '%s' (a relationship attribute or name expected)")
                  :format(i, fn), 3)
        end
    end
    if #links == n0 then
        error(("bad argument #1 to '%s' (a relationship attribute or name expected)"):format(fn), 3)
    end
    if alias then
        links[#links] = {fn = fn, attr = links[#links].attr, strategy = "contains_eager",
                         alias = alias}
    end
    return setmetatable({links = links}, OptMeta)
end

for fn in pairs(strategy_of) do
    sa[fn] = function(...) return make(fn, nil, ...) end
    Opt[fn] = function(self, ...) return make(fn, self, ...) end
end

-- The relationship a link names on cls (where the path has arrived).
local function resolve(link, cls, o)
    local a = link.attr
    if type(a) == "string" then
        local v = rawget(cls, a)
        if rel.is_attr(v) then return v end
        if v ~= nil then
            orm.raise("ArgumentError", ("%s: '%s.%s' is not a relationship")
                      :format(tostring(o), cname(cls), a))
        end
        orm.raise("ArgumentError", ("Can't find property named '%s' on mapped class %s in this Query.")
                  :format(a, cname(cls)))
    end
    if not rawequal(a.cls, cls) then
        orm.raise("ArgumentError", ("%s: '%s' does not apply here: the path is at class %s")
                  :format(tostring(o), tostring(a), cname(cls)))
    end
    return a
end

-- plans --------------------------------------------------------------------------

local eager = {joined = true, selectin = true, subquery = true, contains_eager = true}

local function new_node(cls, parent, attr)
    return {cls = cls, parent = parent, attr = attr, kids = {}}
end

local function on_path(n, cls)
    while n do
        if rawequal(n.cls, cls) then return true end
        n = n.parent
    end
    return false
end

local function hops(n)
    local k = 0
    while n.parent do k = k + 1; n = n.parent end
    return k
end

-- The relationships' own eager strategies below n: not into a class already
-- on the path (a self-referential or two-way eager load stops there),
-- unless the relationship's join_depth allows that many relationships
-- from the query's class.
local function add_defaults(n)
    for _, a in ipairs(rel.relationships(n.cls)) do
        local kid = n.kids[a.key]
        local mode = rel.lazy(a)
        local depth = rel.join_depth(a)
        if kid then
            if not kid.strategy then kid.strategy = mode end
        elseif (mode == "joined" or mode == "selectin" or mode == "subquery")
               and (depth and hops(n) < depth or not depth and not on_path(n, a.target)) then
            kid = new_node(a.target, n, a)
            kid.strategy = mode
            n.kids[a.key] = kid
        end
        if kid and eager[kid.strategy] then add_defaults(kid) end
    end
end

-- Whether a query of cls has anything to load besides its rows.
function M.needed(q, cls)
    if q._options and q._options[1] then return true end
    for _, a in ipairs(rel.relationships(cls)) do
        local mode = rel.lazy(a)
        if mode == "joined" or mode == "selectin" or mode == "subquery" then return true end
    end
    return false
end

function M.plan(q, cls)
    local root = new_node(cls)
    for _, o in ipairs(q._options or {}) do
        local n = root
        for _, link in ipairs(o.links) do
            local a = resolve(link, n.cls, o)
            if rel.lazy(a) == "dynamic" then
                orm.raise("InvalidRequestError", ("'%s.%s' is a dynamic relationship: loader "
                                                  .. "options do not apply to it")
                          :format(cname(n.cls), a.key))
            end
            local kid = n.kids[a.key]
            if not kid then
                kid = new_node(a.target, n, a)
                n.kids[a.key] = kid
            end
            if link.strategy then kid.strategy = link.strategy; kid.explicit = true end
            if link.alias then kid.alias = link.alias end
            if kid.strategy == "contains_eager" and n.strategy ~= nil
               and n.strategy ~= "contains_eager" then
                orm.raise("InvalidRequestError", ("%s: contains_eager() continues only a path "
                                                  .. "of contains_eager()"):format(tostring(o)))
            end
            n = kid
        end
    end
    add_defaults(root)
    return root
end

-- The kids of n in the order of the class's relationships.
local function kids(n)
    local list = {}
    for _, a in ipairs(rel.relationships(n.cls)) do
        if n.kids[a.key] then list[#list + 1] = n.kids[a.key] end
    end
    return list
end

-- frames and join conditions -----------------------------------------------------

-- A frame: where the columns of a class are in a statement (its table, an
-- alias, a subquery).  by maps a table column's text to the frame's column.
local function frame(cls, cols)
    local base = orm.columns(cls)
    local by, map = {}, {}
    for i, c in ipairs(base) do
        by[tostring(c)] = cols and cols[i] or c
        map[c] = cols and cols[i] or nil
    end
    return {cls = cls, cols = cols or base, by = by, map = map, plain = cols == nil}
end

local function adapt(f, col)
    local c = f.by[tostring(col)]
    if c == nil then error("orm_load: no column for " .. tostring(col) .. " in this frame", 2) end
    return c
end

-- An ORDER BY expression of the class's table moved onto frame f: a column
-- or column ASC/DESC; nil when it is something else.
local function adapt_order(f, e)
    if f.plain then return e end
    local s = tostring(e)
    if f.by[s] then return f.by[s] end
    local inner, dir = s:match("^(.-) (DESC)$")
    if not inner then inner, dir = s:match("^(.-) (ASC)$") end
    local c = inner and f.by[inner]
    if c then return dir == "DESC" and c:desc() or c:asc() end
    return nil
end

local info_cache = setmetatable({}, {__mode = "k"})

-- What loading along a relationship needs: the pairs of its join, the
-- parent's columns in it (locals, with their attribute keys) and the
-- columns they equal (remotes: the target's, or the secondary's).
local function join_info(a)
    local ji = info_cache[a]
    if ji then return ji end
    local inf = orm.rel_info(a.cls, a.key)
    ji = {dir = inf.direction, uselist = inf.uselist, pairs = {}, near = {}, far = {},
          locals = {}, remotes = {}, local_keys = {}}
    ji.extra, ji.sec_extra = inf.extra, inf.secondary_extra
    if inf.secondary then
        for k, p in ipairs(inf.pairs) do
            if k <= inf.nnear then
                ji.near[#ji.near + 1] = p
                ji.locals[#ji.locals + 1] = p[1]
                ji.remotes[#ji.remotes + 1] = p[2]
            else
                ji.far[#ji.far + 1] = p
            end
        end
        ji.secondary = inf.pairs[1][2].table
    else
        ji.pairs = inf.pairs
        for i, p in ipairs(inf.pairs) do
            local mine, theirs = p[1], p[2]
            if ji.dir == "MANYTOONE" then mine, theirs = p[2], p[1] end
            ji.locals[i], ji.remotes[i] = mine, theirs
        end
    end
    local cols, keys = orm.columns(a.cls)
    for i, c in ipairs(ji.locals) do
        for j, mc in ipairs(cols) do
            if tostring(mc) == tostring(c) then ji.local_keys[i] = keys[j] end
        end
    end
    info_cache[a] = ji
    return ji
end

local function all_of(list)
    if #list == 1 then return list[1] end
    return sa.and_(unpack(list))
end

-- A primaryjoin's or secondaryjoin's extra criteria (about the target's
-- rows, or the secondary's) moved onto frame T and secondary alias S.
local function extra_on(extra, T, S, secondary)
    if extra == nil then return nil end
    local map = {}
    for c, to in pairs(T and T.map or {}) do map[c] = to end
    if S then
        for _, c in ipairs(secondary.c) do map[c] = S.c[c.key] end
    end
    return next(map) and orm.adapt(extra, map) or extra
end

-- parent = target, as the relationship's join reads, on frames P and T.
local function on_clause(ji, P, T)
    local c = {}
    for i, p in ipairs(ji.pairs) do
        if ji.dir == "MANYTOONE" then c[i] = adapt(T, p[1]):eq(adapt(P, p[2]))
        else c[i] = adapt(P, p[1]):eq(adapt(T, p[2])) end
    end
    c[#c + 1] = extra_on(ji.extra, T)
    return all_of(c)
end

-- Many-to-many: parent to the secondary S, and target to S.
local function near_clause(ji, P, S)
    local c = {}
    for i, p in ipairs(ji.near) do c[i] = adapt(P, p[1]):eq(S.c[p[2].key]) end
    c[#c + 1] = extra_on(ji.extra, nil, S, ji.secondary)
    return all_of(c)
end

local function far_clause(ji, S, T)
    local c = {}
    for i, p in ipairs(ji.far) do c[i] = adapt(T, p[1]):eq(S.c[p[2].key]) end
    c[#c + 1] = extra_on(ji.sec_extra, T, S, ji.secondary)
    return all_of(c)
end

-- cols IN (keys): keys are arrays of values, one per column.
local function in_clause(cols, keys)
    if #cols == 1 then
        local vals = {}
        for i, k in ipairs(keys) do vals[i] = k[1] end
        return cols[1]:in_(vals)
    end
    local alts = {}
    for i, k in ipairs(keys) do
        local c = {}
        for j, col in ipairs(cols) do c[j] = col:eq(k[j]) end
        alts[i] = sa.and_(unpack(c))
    end
    return #alts == 1 and alts[1] or sa.or_(unpack(alts))
end

-- The text of a key (values of the join's columns); nil when one is nil.
local function key_text(vals)
    if #vals == 1 then
        local v = vals[1]
        if v == nil or v == sa.null then return nil end
        return tostring(v)
    end
    local parts = {}
    for i, v in ipairs(vals) do
        if v == nil or v == sa.null then return nil end
        parts[i] = tostring(v)
    end
    return table.concat(parts, "\0")
end

local function key_of(obj, ji)
    local vals = {}
    for i, k in ipairs(ji.local_keys) do vals[i] = obj[k] end
    return key_text(vals), vals
end

-- statements ---------------------------------------------------------------------

-- The joined eager loads below n (its class in frame f, entity idx of the
-- rows): each target aliased and LEFT OUTER JOINed to from (a many-to-many
-- as a nested join through an alias of the secondary), its columns added
-- as an entity to b.ents, its ORDER BY to b.order; recursively.
local function add_joined(n, f, idx, from, b)
    for _, kid in ipairs(kids(n)) do
        if kid.strategy == "joined" then
            local ji = join_info(kid.attr)
            local alias = sa.aliased(kid.cls)
            local kf = frame(kid.cls, rawget(alias, "__cols"))
            local right = rawget(alias, "__alias")
            if ji.secondary then
                local s = ji.secondary:alias()
                from = sa.join(from, sa.join(s, right, far_clause(ji, s, kf)),
                               near_clause(ji, f, s), {isouter = true})
            else
                from = sa.join(from, right, on_clause(ji, f, kf), {isouter = true})
            end
            b.ents[#b.ents + 1] = {cls = kid.cls, frame = kf, exact = true, alias = alias}
            local kidx = #b.ents
            b.inrow[#b.inrow + 1] = {node = kid, idx = kidx, pidx = idx}
            for _, o in ipairs(rel.order_by(kid.attr) or {}) do
                b.order[#b.order + 1] = adapt_order(kf, o) or o
            end
            from = add_joined(kid, kf, kidx, from, b)
        end
    end
    return from
end

local function joined_collection(n)
    for _, kid in ipairs(kids(n)) do
        if kid.strategy == "joined" or kid.strategy == "contains_eager" then
            if kid.strategy == "joined" and join_info(kid.attr).uselist then return true end
            if joined_collection(kid) then return true end
        end
    end
    return false
end

-- The SELECT of ents (entities: {cls, frame, exact}; key columns: {expr,
-- plain}) finished by finish(select); a plain table's column already
-- selected is not selected again (entities not exact find theirs by label).
-- Returns the statement and the arguments of orm.load.
local function select_of(ents, finish)
    local cols, pos, classes, names, exact, seen = {}, {}, {}, {}, {}, {}
    for i, e in ipairs(ents) do
        classes[i], names[i], exact[i] = e.cls or false, false, e.exact or false
        if e.cls then
            pos[i] = e.exact and #cols or 0
            for _, c in ipairs(e.frame.cols) do
                local k = not e.exact and tostring(c)
                if not (k and seen[k]) then
                    cols[#cols + 1] = c
                    if k then seen[k] = #cols end
                end
            end
        else
            pos[i] = Q.place_column(cols, seen, e.expr, e.plain and tostring(e.expr))
        end
    end
    return finish(sa.select(unpack(cols))):apply_labels(), {classes, names, pos, exact}
end

local function fetch(session, params, ents, finish)
    local stmt, a = select_of(ents, finish)
    return orm.load(session, stmt, params, a[1], a[2], false, nil, false, a[3], a[4])
end

-- filling --------------------------------------------------------------------------

local function unique_add(list, seen, v)
    if v ~= nil and not seen[v] then seen[v] = true; list[#list + 1] = v end
end

-- The relationships loaded in the rows (joined, contains_eager): each
-- parent's children, in row order, once; node.objs collects the children.
local function fill(rows, inrow, pe)
    for _, r in ipairs(inrow) do
        local key = r.node.attr.key
        local lists, parents = {}, {}
        r.node.objs = r.node.objs or {}
        r.node.seen = r.node.seen or {}
        for _, row in ipairs(rows) do
            local p, c = row[r.pidx], row[r.idx]
            if p ~= nil then
                local l = lists[p]
                if not l then
                    l = {list = {}, seen = {}}
                    lists[p] = l
                    parents[#parents + 1] = p
                end
                unique_add(l.list, l.seen, c)
            end
            unique_add(r.node.objs, r.node.seen, c)
        end
        for _, p in ipairs(parents) do orm.populate(p, key, lists[p].list, pe) end
    end
end

-- instance -> key -> "raise" | "select" | the options its lazy load runs
local marks = setmetatable({}, {__mode = "k"})

local after, options_below

-- Rows' children (at tidx) grouped by their key (the nkeys columns from
-- kpos) into acc: lists (key text -> {list, seen}) and all of them (objs).
local function group(rows, kpos, nkeys, tidx, acc)
    for _, row in ipairs(rows) do
        local vals = {}
        for i = 1, nkeys do vals[i] = row[kpos + i - 1] end
        local k, c = key_text(vals), row[tidx]
        if k and c ~= nil then
            local l = acc.lists[k]
            if not l then l = {list = {}, seen = {}}; acc.lists[k] = l end
            unique_add(l.list, l.seen, c)
            unique_add(acc.objs, acc.seen, c)
        end
    end
end

-- The statement of a selectin load but its WHERE: the key columns, the
-- entities (b.ents: the target, its key columns; joined loads below), the
-- FROM and ORDER BY; a many-to-many joins from an alias of the parent.
local function selectin_statement(kid, ji)
    local a, tf = kid.attr, frame(kid.cls)
    local st = {b = {ents = {}, inrow = {}, order = {}}, keycols = ji.remotes,
                from = rawget(kid.cls, "__table")}
    if ji.secondary then
        local pa = sa.aliased(a.cls)
        local pf = frame(a.cls, rawget(pa, "__cols"))
        local s = ji.secondary:alias()
        st.keycols = {}
        for i, c in ipairs(ji.locals) do st.keycols[i] = adapt(pf, c) end
        st.from = sa.join(sa.join(rawget(pa, "__alias"), s, near_clause(ji, pf, s)),
                          st.from, far_clause(ji, s, tf))
    end
    local ents, m2o = st.b.ents, ji.dir == "MANYTOONE"
    if m2o then ents[1] = {cls = kid.cls, frame = tf} end
    for _, c in ipairs(st.keycols) do ents[#ents + 1] = {expr = c, plain = not ji.secondary} end
    if not m2o then ents[#ents + 1] = {cls = kid.cls, frame = tf} end
    st.tidx, st.kpos = m2o and 1 or #ents, m2o and 2 or 1
    st.from = add_joined(kid, tf, st.tidx, st.from, st.b)
    st.order = {}
    for _, o in ipairs(rel.order_by(a) or {}) do st.order[#st.order + 1] = o end
    for _, o in ipairs(st.b.order) do st.order[#st.order + 1] = o end
    return st
end

local function compare_keys(keyvals)
    return function(x, y)
        local a, b = keyvals[x], keyvals[y]
        for i = 1, #a do
            if a[i] ~= b[i] then return a[i] < b[i] end
        end
        return false
    end
end

-- selectin: the targets of kid.attr for parents (those not loaded yet),
-- SELECTed by their keys, BATCH keys per statement: the target's foreign
-- key IN (...), a many-to-one's target primary key, a many-to-many's
-- parent key through the secondary.
local function selectin(kid, parents, ctx)
    local a, pe = kid.attr, ctx.pe
    local ji = join_info(a)
    local need, keys, keyvals = {}, {}, {}
    for _, p in ipairs(parents) do
        if pe or not orm.rel_loaded(p, a.key) then
            local k, vals = key_of(p, ji)
            if k == nil then
                orm.populate(p, a.key, {}, pe)
            else
                if not need[k] then need[k] = {}; keys[#keys + 1] = k; keyvals[k] = vals end
                table.insert(need[k], p)
            end
        end
    end
    if ji.dir == "MANYTOONE" then      -- the targets' keys in order, as SQLAlchemy
        pcall(table.sort, keys, compare_keys(keyvals))
    end
    local acc = {lists = {}, objs = {}, seen = {}}
    local st = keys[1] and selectin_statement(kid, ji)
    for first = 1, #keys, BATCH do
        local batch = {}
        for i = first, math.min(first + BATCH - 1, #keys) do batch[#batch + 1] = keyvals[keys[i]] end
        local where = in_clause(st.keycols, batch)
        if not ji.secondary and ji.extra then where = sa.and_(where, ji.extra) end
        local rows = fetch(ctx.session, nil, st.b.ents, function(s)
            s = s:select_from(st.from):where(where)
            if st.order[1] then s = s:order_by(unpack(st.order)) end
            return s
        end)
        group(rows, st.kpos, #st.keycols, st.tidx, acc)
        fill(rows, st.b.inrow, pe)
    end
    for _, k in ipairs(keys) do
        local l = acc.lists[k] and acc.lists[k].list or {}
        for _, p in ipairs(need[k]) do orm.populate(p, a.key, l, pe) end
    end
    kid.ctx = nil              -- a subquery load below runs as selectin
    return acc.objs
end

-- subquery: the query that loaded the path's first parent (ctx) re-run as a
-- subquery of the keys of the path's first relationship, joined along the
-- path to the target (middle classes aliased), ordered by the parent keys.
local function subquery(kid, parents, ctx)
    local path, n = {}, kid
    while n ~= ctx.base do table.insert(path, 1, n.attr); n = n.parent end
    local ji1 = join_info(path[1])
    local lcols = {}
    for i, c in ipairs(ji1.locals) do lcols[i] = adapt(ctx.frame, c) end
    local anon = ctx.inner(lcols, ji1):alias()
    local pf = {by = {}}
    for i, c in ipairs(ji1.locals) do pf.by[tostring(c)] = anon.c[i] end
    local from = anon
    for i, a in ipairs(path) do
        local ji = join_info(a)
        local tf, right
        if i == #path then
            tf, right = frame(a.target), rawget(a.target, "__table")
        else
            local al = sa.aliased(a.target)
            tf, right = frame(a.target, rawget(al, "__cols")), rawget(al, "__alias")
        end
        if ji.secondary then
            local s = ji.secondary:alias()
            from = sa.join(sa.join(from, s, near_clause(ji, pf, s)), right, far_clause(ji, s, tf))
        else
            from = sa.join(from, right, on_clause(ji, pf, tf))
        end
        if i < #path then pf = tf end
    end
    local ji = join_info(kid.attr)
    local tf = frame(kid.cls)
    local b = {ents = {{cls = kid.cls, frame = tf}}, inrow = {}, order = {}}
    local order = {}
    for _, c in ipairs(ji.locals) do
        local kc = adapt(pf, c)
        b.ents[#b.ents + 1] = {expr = kc}
        order[#order + 1] = kc
    end
    from = add_joined(kid, tf, 1, from, b)
    for _, o in ipairs(rel.order_by(kid.attr) or {}) do order[#order + 1] = o end
    for _, o in ipairs(b.order) do order[#order + 1] = o end
    local rows = fetch(ctx.session, ctx.params, b.ents, function(s)
        return s:select_from(from):order_by(unpack(order))
    end)
    local acc = {lists = {}, objs = {}, seen = {}}
    group(rows, 2, #ji.locals, 1, acc)
    fill(rows, b.inrow, ctx.pe)
    for _, p in ipairs(parents) do
        local k = key_of(p, ji)
        local l = k and acc.lists[k]
        orm.populate(p, kid.attr.key, l and l.list or {}, ctx.pe)
    end
    return acc.objs
end

-- option function of each strategy, for options made from a plan
local fn_of = {}
for fn, strategy in pairs(strategy_of) do
    if strategy then fn_of[strategy] = fn end
end

-- The loader options below the lazy node n as options of a query of n's
-- class: each path to a leaf, a link per node (defaultload where the
-- strategy is the relationship's own); contains_eager has no join to
-- follow there and is left out.
function options_below(n)
    local list = {}
    local function walk(node, links)
        local leaf = true
        for _, kid in ipairs(kids(node)) do
            if kid.strategy ~= "contains_eager" then
                leaf = false
                local l = {unpack(links)}
                l[#l + 1] = {fn = kid.explicit and fn_of[kid.strategy] or "defaultload",
                             attr = kid.attr, strategy = kid.explicit and kid.strategy or false}
                walk(kid, l)
            end
        end
        if leaf and links[1] then list[#list + 1] = setmetatable({links = links}, OptMeta) end
    end
    walk(n, {})
    return list
end

-- After the rows: the loads below n for its instances objs.  ctx: the query
-- that loaded n's path (for subquery loads), or nil below a selectin load.
function after(n, objs, ctx, opts)
    for _, kid in ipairs(kids(n)) do
        local s, key, got = kid.strategy, kid.attr.key, nil
        if s == "joined" or s == "contains_eager" then
            got = kid.objs or {}
            kid.ctx = ctx
        elseif s == "selectin" or (s == "subquery" and not ctx) then
            got = selectin(kid, objs, opts)
        elseif s == "subquery" then
            got = subquery(kid, objs, ctx)
            kid.ctx = ctx
        elseif s == "noload" then
            for _, o in ipairs(objs) do orm.populate(o, key, {}, opts.pe) end
        elseif kid.explicit or (s == "select" and next(kid.kids)) then
            -- raiseload, lazyload: the lazy-load hook reads the mark; a lazy
            -- load with options below it runs them (the mark is the options)
            local mark = s
            if s == "select" and next(kid.kids) then mark = options_below(kid) end
            for _, o in ipairs(objs) do
                local m = marks[o]
                if not m then m = {}; marks[o] = m end
                m[key] = mark
            end
        end
        if got and got[1] then after(kid, got, kid.ctx, opts) end
    end
end

-- the query's own statement ---------------------------------------------------------

-- The contains_eager loads from the root, depth first: their entities come
-- before the query's entity, as SQLAlchemy 1.x renders them.
local function own_entities(root, e)
    local list = {}
    local function walk(n)
        for _, kid in ipairs(kids(n)) do
            if kid.strategy == "contains_eager" then
                list[#list + 1] = {node = kid, parent = n}
                walk(kid)
            end
        end
    end
    walk(root)
    list[#list + 1] = {node = root, ent = e}
    return list
end

local function own_entity(o) return o.ent or Q.entity_of(o.node.alias or o.node.cls, 1, 4) end

local function link_own(own, idx, b)
    for i, o in ipairs(own) do
        if o.parent then b.inrow[#b.inrow + 1] = {node = o.node, idx = i, pidx = idx[o.parent]} end
    end
end

-- The query itself with its joined loads added: a Query to run.
local function joined_query(q, own, b, idx)
    local qents = {}
    for i, o in ipairs(own) do
        local ent = own_entity(o)
        qents[i] = ent
        b.ents[i] = {cls = ent.cls}
        idx[o.node] = i
        o.frame = ent.aliased and frame(ent.cls, ent.cols) or frame(ent.cls)
    end
    link_own(own, idx, b)
    local from = Q.primary_from(q)
    for _, o in ipairs(own) do from = add_joined(o.node, o.frame, idx[o.node], from, b) end
    for i = #own + 1, #b.ents do qents[i] = Q.entity_of(b.ents[i].alias, i, 4) end
    local c = Q.clone(q)
    c._options, c._entities, c._from = nil, qents, from
    if b.order[1] then c._order = Q.appended(q._order, table.pack(unpack(b.order))) end
    return c
end

-- LIMIT/OFFSET/DISTINCT with a joined collection: the query without its
-- eager joins becomes anon_1, the joins go outside it, its ORDER BY is
-- moved onto anon_1's columns.  Returns the statement and orm.load's
-- arguments.
local function wrapped_statement(q, own, b, idx)
    local inner = Q.clone(q)
    inner._options, inner._entities = nil, {}
    for i, o in ipairs(own) do inner._entities[i] = own_entity(o) end
    local icols, ipos = Q.layout(inner)
    local anon = Q.build(inner):alias()
    local by = {}
    for j, c in ipairs(icols) do by[tostring(c)] = anon.c[j] end
    for i, o in ipairs(own) do
        local ent, cols = inner._entities[i], {}
        for j = 1, #ent.cols do cols[j] = anon.c[ipos[i] + j] end
        o.frame = frame(ent.cls, cols)
        b.ents[i] = {cls = ent.cls, frame = o.frame, exact = true}
        idx[o.node] = i
    end
    link_own(own, idx, b)
    local from = anon
    for _, o in ipairs(own) do from = add_joined(o.node, o.frame, idx[o.node], from, b) end
    local order = {}
    for _, x in ipairs(q._order or {}) do
        local c = adapt_order({by = by}, x)
        if c == nil then
            orm.raise("NotImplementedError", ("joinedload with LIMIT/OFFSET: ORDER BY %s can't "
                      .. "be moved out of the subquery; order by mapped columns"):format(tostring(x)))
        end
        order[#order + 1] = c
    end
    for _, x in ipairs(b.order) do order[#order + 1] = x end
    return select_of(b.ents, function(s)
        s = s:select_from(from)
        if order[1] then s = s:order_by(unpack(order)) end
        return s
    end)
end

-- The first statement of q with the plan root: {query = a Query to run} or
-- {stmt =, args =} (wrapped); with the loads filled from its rows (inrow)
-- and the entity index of the query's class (root).
local function build(q, root)
    if q._statement then
        orm.raise("InvalidRequestError", "loader options do not apply to from_statement()")
    end
    local own = own_entities(root, q._entities[1])
    local b, idx = {ents = {}, inrow = {}, order = {}}, {}
    local r = {inrow = b.inrow}
    if (q._limit or q._offset or q._distinct) and joined_collection(root) then
        r.stmt, r.args = wrapped_statement(q, own, b, idx)
    else
        r.query = joined_query(q, own, b, idx)
    end
    r.root = idx[root]
    return r
end

-- The statement a query with loader options runs first (for tostring()).
function M.statement(q)
    local e = q._entities[1]
    local r = build(q, M.plan(q, e.cls))
    return r.query and Q.build(r.query) or r.stmt
end

-- The query context subquery loads start from: the root query's keys.
local function root_ctx(q, root, e, session, pe)
    local f = e.aliased and frame(e.cls, e.cols) or frame(e.cls)
    return {base = root, frame = f, session = session, params = q._params, pe = pe,
        inner = function(cols, ji)
            local c = Q.clone(q)
            c._options, c._entities = nil, {}
            for i, col in ipairs(cols) do c._entities[i] = Q.entity_of(col, i, 4) end
            if not (q._limit or q._offset) then c._order = nil end
            -- keys that are not the whole primary key repeat: DISTINCT
            local pk, n = {}, 0
            for _, col in ipairs(orm.columns(e.cls)) do
                if col.primary_key then pk[tostring(col)] = true; n = n + 1 end
            end
            local hit = 0
            for _, col in ipairs(ji.locals) do if pk[tostring(col)] then hit = hit + 1 end end
            if hit < n then c._distinct = true end
            return Q.build(c)
        end}
end

-- Query:all() with a plan: the instances of the query's entity, each once,
-- their relationships loaded.
function M.all(q, session)
    local e = q._entities[1]
    local root = M.plan(q, e.cls)
    local r = build(q, root)
    local rows
    if r.query then
        rows = Q.run(r.query, nil, false)
    else
        local a = r.args
        rows = orm.load(session, r.stmt, q._params, a[1], a[2], false, nil, false, a[3], a[4])
    end
    local pe = q._populate_existing or false
    fill(rows, r.inrow, pe)
    local objs, seen = {}, {}
    for _, row in ipairs(rows) do unique_add(objs, seen, row[r.root]) end
    local ctx = root_ctx(q, root, e, session, pe)
    if objs[1] then after(root, objs, ctx, ctx) end
    return objs
end

-- the lazy-load hook ------------------------------------------------------------------

local counts, tags = {}, {}    -- load tag -> relationship -> lazy loads; tags in order

orm.set_lazy_hook(function(obj, key, tag, cls, cached)
    local m = marks[obj]
    local a = rawget(cls, key)
    if not rel.is_attr(a) then return end
    local mode = m and m[key] or rel.lazy(a)
    if mode == "raise" then
        orm.raise("InvalidRequestError", ("'%s' is not available due to lazy='raise'")
                  :format(tostring(a)))
    elseif mode == "noload" then
        orm.populate(obj, key, {})
        return
    end
    if tag == 0 or cached then return end
    local c = counts[tag]
    if not c then
        c = {}
        counts[tag] = c
        tags[#tags + 1] = tag
        if #tags > 16 then counts[table.remove(tags, 1)] = nil end
    end
    local name = tostring(a)
    local n = (c[name] or 0) + 1
    c[name] = n
    if n == NPLUS1 then
        M.warn(("N+1 queries: %s was lazy loaded %d times for the results of one query; "
                .. "load it with the query: options(selectinload(%s))"):format(name, n, name))
    end
    -- options below a lazy relationship (defaultload(User.orders):
    -- joinedload(Order.items)): the lazy load is a query with them
    local session = type(mode) == "table" and orm.object_session(obj)
    if session then
        if rel.parent_value_missing(obj, a) then
            orm.populate(obj, key, {})
            return
        end
        local q = session:query(a.target):filter(rel.parent_criterion(obj, a))
        local order = rel.order_by(a)
        if order then q = q:order_by(unpack(order)) end
        orm.populate(obj, key, q:options(unpack(mode)):all())
    end
end)

return M
