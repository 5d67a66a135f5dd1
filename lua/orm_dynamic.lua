-- orm_dynamic.lua: relationships with lazy = "dynamic" (embedded; loaded by
-- orm.lua).  Reading such an attribute (user.posts) gives an AppenderQuery,
-- as SQLAlchemy's: a Query of the target filtered by the parent (the lazy
-- loader's criterion and the relationship's order_by), built when it runs
-- so that the parent's key is read then, plus append(), remove() and
-- extend(), which change the collection without loading it (the flush
-- writes the foreign keys or association rows; core/orm/collection.c).  A
-- parent in a session is flushed first (autoflush); a parent not in the
-- database yet answers from the members appended to it, without SQL.
-- Returns the function the binding calls to make an attribute's value.
local sa, orm, rel, Query, query_call = ...
local unpack = table.unpack

local AQ = {}
local AQMeta = {__name = "retort.AppenderQuery"}

local function attr_of(aq)
    local cls, key = rawget(aq, "_cls"), rawget(aq, "_key")
    local a = rawget(cls, key)
    if not rel.is_attr(a) then
        orm.raise("InvalidRequestError", ("relationship %s.%s is no longer mapped")
                  :format(rawget(cls, "__name"), key))
    end
    return a
end

-- The session to query in, or nil for a parent not in the database.
local function session(aq)
    local inst = rawget(aq, "_inst")
    local s = orm.object_session(inst)
    if s and s.autoflush then s:flush() end
    local st = orm.state(inst)
    if st.identity == nil then return nil end
    if not s or st.detached then
        orm.raise("InvalidRequestError",
                  ("Parent instance of %s is not bound to a Session; lazy load operation of attribute '%s' cannot proceed")
                  :format(rawget(rawget(aq, "_cls"), "__name"), rawget(aq, "_key")))
    end
    return s
end

local function query(aq, s)
    local a = attr_of(aq)
    local q = s and s:query(a.target) or sa.select(a.target)
    q = q:filter(rel.parent_criterion(rawget(aq, "_inst"), a))
    local order = rel.order_by(a)
    if order then q = q:order_by(unpack(order)) end
    return q
end

-- The query to run, or nil and the members of a new parent.
local function source(aq)
    local s = session(aq)
    if s then return query(aq, s) end
    return nil, orm.rel_items(rawget(aq, "_inst"), rawget(aq, "_key"))
end

function AQ:all()
    local q, items = source(self)
    if q then return q:all() end
    return items
end

function AQ:count()
    local q, items = source(self)
    if q then return q:count() end
    return #items
end

function AQ:first()
    local q, items = source(self)
    if q then return q:first() end
    return items[1]
end

local function exactly_one(aq, allow_none)
    local q, items = source(aq)
    if q then return allow_none and q:one_or_none() or q:one() end
    if #items > 1 then orm.raise("MultipleResultsFound", "Multiple rows were found for one()") end
    if #items == 0 and not allow_none then orm.raise("NoResultFound", "No row was found for one()") end
    return items[1]
end
function AQ:one() return exactly_one(self, false) end
function AQ:one_or_none() return exactly_one(self, true) end

local function member_arg(aq, x, i, name)
    if not orm.is_instance(x) then
        error(("bad argument #%d to '%s' (an instance of %s expected, got %s)")
              :format(i, name, rawget(attr_of(aq).target, "__name"), type(x)), 3)
    end
    return x
end

function AQ:append(x)
    orm.rel_append(rawget(self, "_inst"), rawget(self, "_key"), member_arg(self, x, 1, "append"))
end

function AQ:remove(x)
    orm.rel_remove(rawget(self, "_inst"), rawget(self, "_key"), member_arg(self, x, 1, "remove"))
end

function AQ:extend(list)
    if type(list) ~= "table" then
        error(("bad argument #1 to 'extend' (an array of instances expected, got %s)"):format(type(list)), 2)
    end
    for _, x in ipairs(list) do self:append(x) end
end

AQMeta.__index = function(aq, k)
    if type(k) == "number" then        -- aq[i]: LIMIT 1 OFFSET i - 1
        local q, items = source(aq)
        if not q then return items[k] end
        if k < 1 or math.type(k) ~= "integer" then return nil end
        return q:offset(k - 1):limit(1):all()[1]
    end
    if AQ[k] then return AQ[k] end
    if k == "statement" then return query(aq, nil).statement end
    if type(Query[k]) == "function" then   -- filter(), order_by() ...: a Query
        return function(self, ...)
            local q = source(self) or query(self, nil)
            return q[k](q, ...)
        end
    end
    return nil
end

AQMeta.__newindex = function(aq, k)
    error(("%s.%s is a dynamic relationship's query; it has no field '%s' to set")
          :format(rawget(rawget(aq, "_cls"), "__name"), rawget(aq, "_key"), tostring(k)), 2)
end

AQMeta.__len = function(aq)
    orm.raise("InvalidRequestError", ("%s.%s is a dynamic relationship: use count()")
              :format(rawget(rawget(aq, "_cls"), "__name"), rawget(aq, "_key")))
end

AQMeta.__tostring = function(aq) return tostring(query(aq, nil)) end

-- for x in user.posts do ... end: the first call runs the query (as a
-- Query's iteration).
AQMeta.__call = query_call

return function(inst, cls, key)
    return setmetatable({_inst = inst, _cls = cls, _key = key}, AQMeta)
end
