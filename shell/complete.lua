-- complete.lua: the candidates of tab completion (DESIGN §8), embedded into
-- the binary and run after shell.lua with the shell table as argument; repl.c
-- only glues complete(text) to readline.  `text` is the word left of the
-- cursor, dotted names included: `meta` completes globals, `users.c.` the
-- fields of users.c, `session:` the methods of session.  The value left of the
-- last `.` or `:` is found by walking names only (globals, then fields): raw
-- table fields, metatables' __index tables (following chains), and for
-- retort's own C objects their __index function, which reads C state and runs
-- no user code (never a Lua __index: that could be anyone's function, or an
-- ORM attribute that loads from the database).  Every step is protected.

local M = ...

local getmetatable, rawget, next, type, pcall = debug.getmetatable, rawget, next, type, pcall
local sort = table.sort

local lua_keywords = {}
for w in ([[and break do else elseif end false for function goto if in local
            nil not or repeat return then true until while]]):gmatch("%a+") do
  lua_keywords[#lua_keywords + 1] = w
end

-- Attributes that retort's C objects compute in their __index (so no table
-- lists them); each is offered only when the object has it.
local column_attrs = { "name", "key", "type", "table", "nullable", "primary_key", "unique",
                       "index", "autoincrement", "default", "onupdate", "server_default",
                       "doc", "comment" }
local attributes = {
  ["retort.Table"] = { "c", "columns", "name", "fullname", "key", "schema", "metadata",
                       "primary_key", "foreign_keys", "constraints", "indexes", "comment" },
  ["retort.MetaData"] = { "tables", "sorted_tables" },
  ["retort.Engine"] = { "driver", "echo", "name", "url" },
  ["retort.Connection"] = { "closed", "engine", "invalidated" },
  ["retort.Result"] = { "closed", "inserted_primary_key", "lastrowid", "returns_rows",
                        "rowcount" },
  ["retort.Session"] = { "autoflush", "bind", "deleted", "dirty", "expire_on_commit",
                         "in_transaction", "new" },
  ["retort.Select"] = { "c", "columns", "selected_columns" },
  ["retort.FromClause"] = { "c", "columns" },
  ["retort.ColumnElement"] = column_attrs,
  ["retort.Column"] = column_attrs,
  ["retort.ColumnCollection"] = {},
}

-- Whether v's __index function may be called: v is one of retort's C objects.
local function trusted(mt)
  local idx = rawget(mt, "__index")
  return attributes[rawget(mt, "__name")] ~= nil and type(idx) == "function" and
         debug.getinfo(idx, "S").what == "C"
end

-- v[k] as far as names can be walked without running user code; nil otherwise.
local function field(v, k)
  if type(v) == "table" then
    local x = rawget(v, k)
    if x ~= nil then return x end
  end
  for _ = 1, 32 do       -- an __index chain, bounded against cycles
    local mt = getmetatable(v)
    if type(mt) ~= "table" then return nil end
    local idx = rawget(mt, "__index")
    if type(idx) == "table" then
      local x = rawget(idx, k)
      if x ~= nil then return x end
      v = idx
    elseif trusted(mt) then
      local ok, x = pcall(idx, v, k)
      return ok and x or nil
    else
      return nil
    end
  end
end

local function is_name(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil and k:sub(1, 2) ~= "__"
end

-- The names v offers: name -> value (or true when the value is unknown).
local function names_of(v)
  local found = {}
  local function add(k, x)
    if is_name(k) and found[k] == nil then found[k] = x == nil and true or x end
  end
  if type(v) == "table" then
    for k, x in next, v do add(k, x) end
  end
  local seen = {}
  local t = v
  for _ = 1, 32 do
    local mt = getmetatable(t)
    if type(mt) ~= "table" or seen[mt] then break end
    seen[mt] = true
    local methods = rawget(mt, "__methods")       -- l_new_class with a custom __index
    if type(methods) == "table" then
      for k, x in next, methods do add(k, x) end
    end
    local attrs = attributes[rawget(mt, "__name")]
    if attrs and trusted(mt) then
      for _, k in ipairs(attrs) do add(k, field(t, k)) end
      if rawget(mt, "__name") == "retort.ColumnCollection" then
        local ok, n = pcall(function() return #t end)
        for i = 1, ok and n or 0 do
          local c = field(t, i)
          add(c ~= nil and field(c, "key"), c)
        end
      end
    end
    local idx = rawget(mt, "__index")
    if type(idx) ~= "table" then break end
    for k, x in next, idx do add(k, x) end
    t = idx
  end
  for k, x in next, found do
    if x == true then found[k] = field(v, k) end   -- an attribute the object lacks
  end
  return found
end

local function is_callable(x)
  if type(x) == "function" then return true end
  local mt = getmetatable(x)
  return type(mt) == "table" and rawget(mt, "__call") ~= nil
end

-- The completions of `text` (full words, sorted): globals and Lua keywords
-- for a plain name; fields after `.`; methods (callable fields) after `:`.
function M.complete(text)
  local prefix, sep, partial = text:match("^(.*)([.:])([%w_]*)$")
  local names, out = nil, {}
  if prefix == nil then
    if not text:match("^[%w_]*$") then return out end
    partial, prefix, sep = text, "", ""
    names = names_of(_G)
    for _, w in ipairs(lua_keywords) do names[w] = names[w] or true end
  else
    local v, i = nil, 0
    for part in (prefix .. "."):gmatch("(.-)%.") do
      i = i + 1
      if not is_name(part) then return out end
      if i == 1 then v = rawget(_G, part) else v = field(v, part) end
      if v == nil then return out end
    end
    names = names_of(v)
  end
  for k, x in next, names do
    if k:sub(1, #partial) == partial and (sep ~= ":" or is_callable(x))
       and (k:sub(1, 1) ~= "_" or partial:sub(1, 1) == "_") then   -- _private on request
      out[#out + 1] = prefix .. sep .. k
    end
  end
  sort(out)
  return out
end
