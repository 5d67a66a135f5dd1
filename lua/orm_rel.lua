-- orm_rel.lua: relationships, the Lua half (embedded; loaded by orm.lua).
-- relationship() records its options; configure() runs once the classes
-- are mapped (on the first instance, query or class attribute read after a
-- mapping): it resolves class names ("Address", "Address.id"), hands each
-- relationship to the C mapper (core/orm/relationship.c derives the join
-- from the foreign keys), makes backrefs and links back_populates pairs,
-- and puts on the class the attribute (User.addresses) whose methods build
-- criteria: any(), has(), eq(), ne(), contains(), and join conditions.
-- Loader options and strategies are orm_load.lua's.  Instances'
-- relationship values and the flush are C (l_orm_rel.c).
local sa, orm, env = ...
local unpack = table.unpack

local M = {}
local seq = 0
local links = {}             -- back_populates pairs waiting for their partner

-- lazy = : how a relationship loads when no loader option says otherwise;
-- true and false are SQLAlchemy's old spellings of "select" and "joined".
M.lazy_modes = {select = "select", joined = "joined", selectin = "selectin",
                subquery = "subquery", noload = "noload", raise = "raise",
                dynamic = "dynamic", [true] = "select", [false] = "joined"}

local rel_options = {backref = true, back_populates = true, order_by = true, uselist = true,
                     cascade = true, lazy = true, secondary = true, remote_side = true,
                     primaryjoin = true, secondaryjoin = true, foreign_keys = true,
                     post_update = true, join_depth = true}

function sa.relationship(target, opts)
    if type(target) ~= "string" and not env.is_class(target) then
        error("bad argument #1 to 'relationship' (a mapped class or a class name expected)", 2)
    end
    opts = opts or {}
    if type(opts) ~= "table" then
        error("bad argument #2 to 'relationship' (an option table expected)", 2)
    end
    for k in pairs(opts) do
        if not rel_options[k] then
            error(("relationship: unknown option '%s'"):format(tostring(k)), 2)
        end
    end
    if opts.lazy ~= nil and not M.lazy_modes[opts.lazy] then
        error(("relationship: unknown lazy = %s (give \"select\", \"joined\", \"selectin\", "
               .. "\"subquery\", \"noload\", \"raise\" or \"dynamic\")"):format(tostring(opts.lazy)), 2)
    end
    if opts.join_depth ~= nil and (math.type(opts.join_depth) ~= "integer" or opts.join_depth < 0) then
        error("relationship: join_depth must be a non-negative integer", 2)
    end
    seq = seq + 1
    return {__rt_relationship = true, target = target, opts = opts, order = seq}
end

local AttrMeta = {__name = "retort.RelationshipAttribute"}
local Attr = {}
AttrMeta.__index = Attr
AttrMeta.__tostring = function(a) return rawget(a.cls, "__name") .. "." .. a.key end

function M.is_attr(v) return getmetatable(v) == AttrMeta end

local function resolve_class(name, r, owner)
    if env.is_class(name) then return name end
    local cls = (r.registry and r.registry[name]) or env.by_name[name]
    if not cls then
        orm.raise("InvalidRequestError",
                  ("When initializing mapper %s, expression '%s' failed to locate a name ('%s')")
                  :format(rawget(owner, "__name"), name, name))
    end
    return cls
end

-- order_by / remote_side = Address.id | "Address.id" | "id" | {...}
local function resolve_expr(v, target, r, owner)
    if type(v) ~= "string" then return v end
    local cname, attr = v:match("^([%w_]+)%.([%w_]+)$")
    local cls = cname and resolve_class(cname, r, owner) or target
    local e = rawget(cls, attr or v)
    if e == nil then
        orm.raise("InvalidRequestError", ("relationship %s: order_by '%s' names no attribute")
                  :format(rawget(owner, "__name"), v))
    end
    return e
end

local function order_list(order, target, r, owner)
    if order == nil then return nil end
    local list = {}
    if type(order) == "table" and getmetatable(order) == nil then
        for i, v in ipairs(order) do list[i] = resolve_expr(v, target, r, owner) end
    else
        list[1] = resolve_expr(order, target, r, owner)
    end
    return list
end

-- primaryjoin / secondaryjoin / foreign_keys = an expression (or columns), a
-- function returning it (called once the classes exist), or a string of
-- Lua evaluated with the mapped classes and retort's names in scope:
-- primaryjoin = "and_(User.id:eq(Address.user_id), Address.email:like('%@x.org'))".
local function resolve_late(v, what, r, owner, key)
    if type(v) == "function" then return v() end
    if type(v) == "table" and getmetatable(v) == nil then     -- foreign_keys = {...}
        local out = {}
        for i, x in ipairs(v) do out[i] = resolve_late(x, what, r, owner, key) end
        return out
    end
    if type(v) ~= "string" then return v end
    local envt = setmetatable({}, {__index = function(_, k)
        local cls = (r.registry and r.registry[k]) or env.by_name[k]
        if cls ~= nil then return cls end
        return sa[k]
    end})
    local chunk, err = load("return " .. v, "=" .. what, "t", envt)
    if not chunk then
        orm.raise("ArgumentError", ("relationship %s.%s: %s '%s' does not parse: %s")
                  :format(rawget(owner, "__name"), key, what, v, err))
    end
    local ok, res = pcall(chunk)
    if not ok then
        orm.raise("ArgumentError", ("relationship %s.%s: %s '%s' failed: %s")
                  :format(rawget(owner, "__name"), key, what, v, tostring(res)))
    end
    return res
end

-- foreign_keys as a list of columns.
local function column_list(v)
    if v == nil then return nil end
    if type(v) == "table" and getmetatable(v) == nil then return v end
    return {v}
end

local order_of = setmetatable({}, {__mode = "k"})   -- cls -> key -> order_by list
local lazy_of = setmetatable({}, {__mode = "k"})    -- cls -> key -> lazy mode
local rels_of = setmetatable({}, {__mode = "k"})    -- cls -> attributes, in configuration order
local depth_of = setmetatable({}, {__mode = "k"})   -- cls -> key -> join_depth

local function add(cls, key, target, opts, r, secondary)
    local order = order_list(opts.order_by, target, r, cls)
    order_of[cls] = order_of[cls] or {}
    order_of[cls][key] = order
    lazy_of[cls] = lazy_of[cls] or {}
    lazy_of[cls][key] = M.lazy_modes[opts.lazy == nil and "select" or opts.lazy]
    depth_of[cls] = depth_of[cls] or {}
    depth_of[cls][key] = opts.join_depth
    orm.relationship(cls, key, target, {
        uselist = opts.uselist, cascade = opts.cascade, order_by = order,
        remote_side = order_list(opts.remote_side, target, r, cls), secondary = secondary,
        primaryjoin = resolve_late(opts.primaryjoin, "primaryjoin", r, cls, key),
        secondaryjoin = resolve_late(opts.secondaryjoin, "secondaryjoin", r, cls, key),
        foreign_keys = column_list(resolve_late(opts.foreign_keys, "foreign_keys", r, cls, key)),
        post_update = opts.post_update, lazy = opts.lazy})
    local attr = setmetatable({cls = cls, key = key, target = target}, AttrMeta)
    rawset(cls, key, attr)
    rels_of[cls] = rels_of[cls] or {}
    table.insert(rels_of[cls], attr)
end

-- The relationship attributes of cls in the order they were configured, and
-- the lazy = mode of one.
local no_rels = setmetatable({}, {__newindex = function() error("read-only list", 2) end})
function M.relationships(cls) return rels_of[cls] or no_rels end
function M.lazy(a) return lazy_of[a.cls] and lazy_of[a.cls][a.key] or "select" end
function M.join_depth(a) return depth_of[a.cls] and depth_of[a.cls][a.key] end

local function configure_one(item)
    local cls, key, r = item.cls, item.key, item.rel
    local target = resolve_class(r.target, r, cls)
    if not orm.is_mapped(target) then
        orm.raise("InvalidRequestError", ("relationship %s.%s: class %s is not mapped")
                  :format(rawget(cls, "__name"), key, rawget(target, "__name")))
    end
    local o = r.opts
    local secondary = o.secondary
    if type(secondary) == "string" then
        local md = rawget(cls, "__table").metadata
        secondary = md.tables[secondary]
        if not secondary then
            orm.raise("InvalidRequestError", ("relationship %s.%s: no table '%s'")
                      :format(rawget(cls, "__name"), key, o.secondary))
        end
    end
    add(cls, key, target, o, r, secondary)
    if o.backref then
        local name, bopts = o.backref, {}
        if type(name) == "table" then name, bopts = name[1], name[2] or {} end
        -- the backref joins the same way (a many-to-many's two joins swapped)
        local b = {}
        for k, v in pairs(bopts) do b[k] = v end
        if secondary then
            b.primaryjoin = b.primaryjoin or o.secondaryjoin
            b.secondaryjoin = b.secondaryjoin or o.primaryjoin
        else
            b.primaryjoin = b.primaryjoin or o.primaryjoin
        end
        b.foreign_keys = b.foreign_keys or o.foreign_keys
        add(target, name, cls, b, r, secondary)
        orm.link_backref(cls, key, name)
    end
    if o.back_populates then links[#links + 1] = {cls, key, o.back_populates} end
end

function M.configure()
    local pending = env.pending()
    while pending[1] do
        local item = table.remove(pending, 1)
        local ok, err = pcall(configure_one, item)
        if not ok then
            table.insert(pending, 1, item)
            error(err, 0)
        end
    end
    local waiting = {}
    for _, l in ipairs(links) do
        local partner = rawget(l[1], l[2]).target
        if M.is_attr(rawget(partner, l[3])) then
            orm.link_backref(l[1], l[2], l[3])
        else
            waiting[#waiting + 1] = l
        end
    end
    links = waiting
end
sa.configure_mappers = M.configure

function M.unmap(cls)
    for k, v in pairs(cls) do
        if M.is_attr(v) then rawset(cls, k, nil) end
    end
    rels_of[cls], lazy_of[cls], depth_of[cls] = nil, nil, nil
    links = {}
end

-- criteria -------------------------------------------------------------------

local function info(a) return orm.rel_info(a.cls, a.key) end

local function all_of(conds)
    if #conds == 1 then return conds[1] end
    return sa.and_(unpack(conds))
end

-- parent column = child column, per pair, and the primaryjoin's other
-- terms; with an aliased target (aliased(Address)), the target's columns
-- are the alias's.
function M.join_condition(a, alias)
    local conds = {}
    local inf = info(a)
    for i, p in ipairs(inf.pairs) do
        local l, r = p[1], p[2]
        if alias then
            if inf.direction == "MANYTOONE" then l = M.adapt(alias, a.target, l)
            else r = M.adapt(alias, a.target, r) end
        end
        conds[i] = l:eq(r)
    end
    for _, k in ipairs({"extra", "secondary_extra"}) do
        local extra = inf[k]
        if extra and alias then
            extra = orm.adapt(extra, rawget(a.target, "__table"), rawget(alias, "__alias"))
        end
        conds[#conds + 1] = extra
    end
    return all_of(conds)
end

-- The column of alias (an aliased class of cls) standing for cls's column col.
function M.adapt(alias, cls, col)
    local cols = orm.columns(cls)
    for i, c in ipairs(cols) do
        if rawequal(c, col) or tostring(c) == tostring(col) then return rawget(alias, "__cols")[i] end
    end
    return col
end

-- Many-to-many: the conditions to the secondary, and from it to the target.
function M.secondary_conditions(a)
    local inf = info(a)
    local near, far = {}, {}
    for k, p in ipairs(inf.pairs) do
        local cond = p[1]:eq(p[2])
        if k <= inf.nnear then near[#near + 1] = cond
        else far[#far + 1] = cond end
    end
    near[#near + 1] = inf.extra
    far[#far + 1] = inf.secondary_extra
    return all_of(near), all_of(far), inf.pairs[1][2].table
end

-- The value of column col on instance obj of cls.
local function value_of(obj, cls, col)
    local cols, keys = orm.columns(cls)
    for i, c in ipairs(cols) do
        if rawequal(c, col) or tostring(c) == tostring(col) then return obj[keys[i]] end
    end
    error("no attribute for column " .. tostring(col), 3)
end

-- Appends a's primaryjoin extra criteria with the target's columns bound
-- to obj's values (Address.user:eq(u), User.addresses:contains(a)).
local function add_target_extra(conds, a, obj)
    for _, extra in ipairs({orm.target_extra(a.cls, a.key, obj)}) do conds[#conds + 1] = extra end
end

local function exists(a, crit, want_list, name)
    local inf = info(a)
    if inf.uselist ~= want_list then
        orm.raise("InvalidRequestError", want_list
                  and ("'%s()' not implemented for scalar attributes. Use has()."):format(name)
                  or ("'%s()' not implemented for collections. Use any()."):format(name))
    end
    local conds = {M.join_condition(a)}
    if type(crit) == "table" and getmetatable(crit) == nil then   -- any({email = "x"})
        local keys = {}
        for k in pairs(crit) do keys[#keys + 1] = k end
        table.sort(keys)
        for _, k in ipairs(keys) do
            local c = rawget(a.target, k)
            if c == nil or M.is_attr(c) then
                orm.raise("InvalidRequestError", ("Entity '%s' has no property '%s'")
                          :format(rawget(a.target, "__name"), tostring(k)))
            end
            conds[#conds + 1] = c:eq(crit[k])
        end
    elseif crit ~= nil then
        conds[2] = crit
    end
    return sa.exists(sa.select(sa.literal_column("1")):where(all_of(conds)))
end

function Attr:any(crit) return exists(self, crit, true, "any") end
function Attr:has(crit) return exists(self, crit, false, "has") end

-- Address.user:eq(u): ? = addresses.user_id (IS NULL for nil)
function Attr:eq(obj)
    local inf = info(self)
    if inf.direction ~= "MANYTOONE" then
        orm.raise("InvalidRequestError", "Can't compare a collection to an object or collection; use contains() to test for membership.")
    end
    local conds = {}
    for i, p in ipairs(inf.pairs) do
        if obj == nil then
            conds[i] = p[2]:is_(nil)
        else
            conds[i] = sa.literal(value_of(obj, self.target, p[1])):eq(p[2])
        end
    end
    if obj ~= nil then add_target_extra(conds, self, obj) end
    return all_of(conds)
end

-- Address.user:ne(u): addresses.user_id != ? OR addresses.user_id IS NULL
-- (a row without a user is not u's either); ne(nil): IS NOT NULL.
function Attr:ne(obj)
    local inf = info(self)
    if inf.direction ~= "MANYTOONE" then
        orm.raise("InvalidRequestError", "Can't compare a collection to an object or collection; use contains() to test for membership.")
    end
    if obj == nil then return sa.not_(self:eq(nil)) end
    local conds = {}
    for i, p in ipairs(inf.pairs) do
        conds[i] = p[2]:ne(value_of(obj, self.target, p[1])) | p[2]:is_(nil)
    end
    return all_of(conds)
end

-- User.addresses:contains(a): users.id = ? (a's foreign key)
function Attr:contains(obj)
    local inf = info(self)
    if inf.direction ~= "ONETOMANY" then
        orm.raise("InvalidRequestError", "contains() is for collections; use eq()")
    end
    local conds = {}
    for i, p in ipairs(inf.pairs) do
        conds[i] = p[1]:eq(value_of(obj, self.target, p[2]))
    end
    add_target_extra(conds, self, obj)
    return all_of(conds)
end

-- Whether a lazy load of a from obj has nothing to look for: a value of
-- obj's that parent_criterion compares with is nil (a many-to-one without
-- its foreign key).
function M.parent_value_missing(obj, a)
    local inf = info(a)
    for k, p in ipairs(inf.pairs) do
        if not inf.secondary or k <= inf.nnear then
            local col = (inf.direction == "MANYTOONE" and not inf.secondary) and p[2] or p[1]
            if value_of(obj, a.cls, col) == nil then return true end
        end
    end
    return false
end

-- The criterion selecting the objects related to instance obj through a
-- (a relationship attribute of obj's class), with obj's values bound, as
-- the lazy loader's: ? = addresses.user_id; users.id = ? from an address;
-- ? = post_keywords.post_id AND keywords.id = post_keywords.keyword_id.
function M.parent_criterion(obj, a)
    local inf = info(a)
    local conds = {}
    if inf.secondary then
        for k, p in ipairs(inf.pairs) do
            if k <= inf.nnear then
                conds[k] = sa.literal(value_of(obj, a.cls, p[1])):eq(p[2])
            else
                conds[k] = p[1]:eq(p[2])
            end
        end
    elseif inf.direction == "MANYTOONE" then
        for i, p in ipairs(inf.pairs) do conds[i] = p[1]:eq(sa.literal(value_of(obj, a.cls, p[2]))) end
    else
        for i, p in ipairs(inf.pairs) do conds[i] = sa.literal(value_of(obj, a.cls, p[1])):eq(p[2]) end
    end
    for _, extra in ipairs({orm.parent_extra(obj, a.key)}) do conds[#conds + 1] = extra end
    return all_of(conds)
end

-- The relationship attribute of obj's class cls named by prop (a name, an
-- attribute, or nil: the one relationship leading to target).
function M.parent_attr(cls, prop, target)
    if M.is_attr(prop) then
        if not rawequal(prop.cls, cls) then
            orm.raise("InvalidRequestError", ("%s is not a relationship of %s")
                      :format(tostring(prop), rawget(cls, "__name")))
        end
    elseif type(prop) == "string" then
        local a = rawget(cls, prop)
        if not M.is_attr(a) then
            orm.raise("InvalidRequestError", ("Entity '%s' has no relationship '%s'")
                      :format(rawget(cls, "__name"), prop))
        end
        prop = a
    elseif prop == nil then
        local keys = {}
        for k, v in pairs(cls) do
            if M.is_attr(v) and rawequal(v.target, target) then keys[#keys + 1] = k end
        end
        table.sort(keys)
        if not keys[1] then
            orm.raise("InvalidRequestError", ("Could not locate a property which relates instances of class '%s' to instances of class '%s'")
                      :format(rawget(target, "__name"), rawget(cls, "__name")))
        end
        prop = rawget(cls, keys[1])
    else
        error("bad argument #2 to 'with_parent' (a relationship name or attribute expected)", 3)
    end
    if target and not rawequal(prop.target, target) then
        orm.raise("InvalidRequestError", ("%s is not a relationship to %s")
                  :format(tostring(prop), rawget(target, "__name")))
    end
    return prop
end

function M.order_by(a) return order_of[a.cls] and order_of[a.cls][a.key] end

return M
