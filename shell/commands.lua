-- commands.lua: the shell's dot commands and SQL lines (DESIGN §8), embedded
-- into the binary and run after shell.lua with the shell table as argument.
-- It adds classify(text), which tells repl.c what an input is, dot(text), which
-- runs a dot command, and sql(text), which sends an SQL line to the `engine`
-- global and prints its result as shell.lua's print_result does (per `.mode`).
-- Reading a file for `.read` is C (shell.read_file, repl.c), so that a file's
-- inputs go through exactly the prompt's loop.

local M = ...

local sa = require "retort"    -- not the globals, which the user may reassign
local stdout = io.stdout
local concat = table.concat

-- ---- what an input is -------------------------------------------------------

local sql_keywords = {}
for w in ([[alter analyze attach begin commit copy create delete detach drop end
            explain grant insert lock pragma reindex release replace revoke
            rollback savepoint select show start table truncate update vacuum
            values with]]):gmatch("%a+") do
  sql_keywords[w] = true
end

-- Scans SQL text, skipping quoted strings and identifiers and comments.
-- Calls on_char(i, c) for every character outside them; returns whether the
-- text ends (white space aside) with a `;` outside them.
local function scan_sql(s, on_char)
  local i, n, last = 1, #s, nil
  while i <= n do
    local c = s:sub(i, i)
    if c == "'" or c == '"' or c == "`" then
      local j, closed = i + 1, false
      while true do
        local k = s:find(c, j, true)
        if not k then j = n + 1 break end
        if s:sub(k + 1, k + 1) ~= c then j, closed = k + 1, true break end
        j = k + 2                      -- a doubled quote stays inside
      end
      last = closed and c or "open"
      if on_char then on_char(i, c, s:sub(i, j - 1)) end
      i = j
    elseif c == "-" and s:sub(i + 1, i + 1) == "-" then
      local k = s:find("\n", i, true)
      if on_char then on_char(i, c, s:sub(i, (k or n + 1) - 1)) end
      i = k or n + 1
    elseif c == "/" and s:sub(i + 1, i + 1) == "*" then
      local k = s:find("*/", i + 2, true)
      if not k then last = "open" end
      if on_char then on_char(i, c, s:sub(i, k and k + 1 or n)) end
      i = k and k + 2 or n + 1
    else
      if on_char then on_char(i, c) end
      if not c:match("%s") then last = c end
      i = i + 1
    end
  end
  return last == ";"
end

-- Whether an input is complete SQL: it ends with `;`, outside any quote or
-- comment.
local function sql_complete(s)
  return scan_sql(s)
end

-- "lua", "dot", "sql" or "sql_more" (an SQL line still waiting for its `;`).
-- A dot command is a `.` and a letter at the start of the input.  SQL starts
-- with an SQL keyword followed by white space or `;` and is never valid Lua:
-- text that compiles as a Lua statement is Lua (`delete = 1`,
-- `select(users):where(x);`), and so is text that Lua sees as unfinished (it
-- gets continuation lines as Lua, then is classified again) and an assignment
-- (`begin = ...` or `begin, x = ...`) that fails to compile.  One exception:
-- text that compiles only as an expression whose first name is an unset global
-- and that ends with `;` (`COMMIT;`, `VALUES (1), (2);`) is SQL, since as Lua
-- it could only print nil or fail.
function M.classify(text)
  if text:match("^%s*%.%a") then return "dot" end
  local word, after = text:match("^%s*(%a+)()")
  if not word or not sql_keywords[word:lower()] then return "lua" end
  local nextc = text:sub(after, after)
  if not (nextc == ";" or nextc:match("^%s$")) then return "lua" end
  -- `update = function() ...`: an assignment, even with a syntax error later
  if text:match("^%s*[=,]", after) and not text:match("^%s*==", after) then return "lua" end
  local stmt, serr = load(text, "=stdin", "t")
  if stmt then return "lua" end
  local complete = sql_complete(text)
  local expr, err = load("return " .. text, "=stdin", "t")
  if expr then
    return (complete and rawget(_G, word) == nil) and "sql" or "lua"
  end
  if err:sub(-5) == "<eof>" or serr:sub(-5) == "<eof>" then return "lua" end
  return complete and "sql" or "sql_more"
end

-- ---- SQL lines ----------------------------------------------------------------

-- The statements of an SQL line (split at `;` outside quotes and comments),
-- with each `:name` outside quotes escaped as `\:name` for text(): what the
-- user typed reaches the database as typed, with no bind parameters.  (Only a
-- `\:` inside quotes loses its backslash there, as text() reads it.)
local function split_sql(src)
  local stmts, cur, content = {}, {}, false
  scan_sql(src, function(i, c, quoted)
    if quoted then
      cur[#cur + 1] = quoted
      content = content or not (c == "-" or c == "/")   -- a comment alone is no statement
    elseif c == ";" then
      if content then stmts[#stmts + 1] = concat(cur):match("^%s*(.-)%s*$") end
      cur, content = {}, false
    elseif c == ":" and src:sub(i + 1, i + 1):match("[%w_]") and
           not src:sub(i - 1, i - 1):match("[%w_:]") then
      cur[#cur + 1] = "\\:"
      content = true
    else
      cur[#cur + 1] = c
      content = content or not c:match("%s")
    end
  end)
  if content then stmts[#stmts + 1] = concat(cur):match("^%s*(.-)%s*$") end
  return stmts
end

local function words(sql)
  local w = {}
  for x in sql:gmatch("%a+") do
    w[#w + 1] = x:lower()
    if #w == 3 then break end
  end
  return w
end

-- Transaction control in SQL lines goes through a connection of the engine, so
-- that retort knows the transaction (and echoes BEGIN, COMMIT, ROLLBACK): BEGIN
-- [TRANSACTION], START TRANSACTION, COMMIT / END [TRANSACTION], ROLLBACK
-- [TRANSACTION] (not ROLLBACK TO).  Between them, SQL lines run on that
-- connection.
local txn_words = { transaction = true, work = true }
local function txn_action(sql)
  local w = words(sql)
  local rest = w[2] == nil or (txn_words[w[2]] and w[3] == nil)
  if (w[1] == "begin" and rest) or (w[1] == "start" and w[2] == "transaction" and w[3] == nil) then
    return "begin"
  end
  if (w[1] == "commit" or w[1] == "end") and rest then return "commit" end
  if w[1] == "rollback" and rest then return "rollback" end
end

local open_txn      -- {conn =, trans =} while an SQL-line transaction is open

local function close_txn(how)
  local t = open_txn
  open_txn = nil
  local ok, err = pcall(t.trans[how], t.trans)
  pcall(t.conn.close, t.conn)
  if not ok then error(err, 0) end
end

local dml = { insert = true, update = true, delete = true, replace = true }

local function run_statement(engine, sql)
  local action = txn_action(sql)
  if action == "begin" then
    if open_txn then error("a transaction is already open (COMMIT or ROLLBACK it first)", 0) end
    local conn = engine:connect()
    local ok, trans = pcall(conn.begin, conn)
    if not ok then pcall(conn.close, conn) error(trans, 0) end
    open_txn = { conn = conn, trans = trans }
    return
  elseif action and open_txn then
    return close_txn(action)
  end
  local r = (open_txn and open_txn.conn or engine):execute(sql)
  if r.returns_rows then return M.print_result(r) end
  local n = r.rowcount
  if dml[words(sql)[1]] and n and n >= 0 then
    stdout:write(("(%d %s affected)\n"):format(n, n == 1 and "row" or "rows"))
  end
end

-- Runs an SQL line on the `engine` global: each statement in turn, stopping at
-- the first error.
function M.sql(src)
  local engine = rawget(_G, "engine")
  if engine == nil then
    error("no engine to run SQL on: set the global 'engine' (engine = create_engine(url))", 0)
  end
  for _, sql in ipairs(split_sql(src)) do run_statement(engine, sql) end
end

-- ---- dot commands ----------------------------------------------------------------

local commands, order = {}, {}

local function command(name, args, help, fn)
  commands[name] = { args = args, help = help, fn = fn }
  order[#order + 1] = name
end

local function need_engine(name)
  local engine = rawget(_G, "engine")
  if engine == nil then error(name .. ": no engine (set the global 'engine')", 0) end
  return engine
end

-- Runs fn(engine) with the engine's echo off: the queries that look at the
-- database are the shell's, not the user's.
local function quietly(engine, fn, ...)
  local was = engine.echo
  engine.echo = false
  local ok, a = pcall(fn, ...)
  engine.echo = was
  if not ok then error(a, 0) end
  return a
end

local switches = { on = true, yes = true, ["true"] = true, ["1"] = true,
                   off = false, no = false, ["false"] = false, ["0"] = false }

local function switch(name, arg)
  local v = arg and switches[arg:lower()]
  if v == nil then
    error(("%s: expected on or off, got %s"):format(name, arg and ("'" .. arg .. "'") or "nothing"), 0)
  end
  return v
end

command(".help", "", "list the dot commands", function()
  local w = 0
  for _, name in ipairs(order) do
    local c = commands[name]
    local head = name .. (c.args ~= "" and " " .. c.args or "")
    if #head > w then w = #head end
  end
  for _, name in ipairs(order) do
    local c = commands[name]
    local head = name .. (c.args ~= "" and " " .. c.args or "")
    stdout:write(head, (" "):rep(w - #head + 2), c.help, "\n")
  end
  stdout:write("An input starting with an SQL keyword and ending with ';' is run as SQL on 'engine'.\n")
end)

command(".tables", "", "list the tables of engine's database", function()
  local engine = need_engine(".tables")
  local names = quietly(engine, function() return sa.inspect(engine):get_table_names() end)
  for _, name in ipairs(names) do stdout:write(name, "\n") end
end)

command(".schema", "[TABLE]", "show CREATE TABLE statements (of all tables, or one)",
        function(name)
  local engine = need_engine(".schema")
  local ddl = quietly(engine, function()
    local md, names = sa.MetaData(), nil
    if name then
      if not sa.inspect(engine):has_table(name) then
        error((".schema: no such table: %s"):format(name), 0)
      end
      names = { name }
    else
      names = sa.inspect(engine):get_table_names()
    end
    local out = {}
    for i, n in ipairs(names) do
      local t = sa.Table(n, md, { autoload_with = engine })
      out[i] = tostring(sa.CreateTable(t):compile(engine)) .. ";"
    end
    return out
  end)
  for _, s in ipairs(ddl) do stdout:write(s, "\n") end
end)

command(".echo", "on|off", "print every statement sent to the database (engine.echo)",
        function(arg)
  need_engine(".echo").echo = switch(".echo", arg)
end)

command(".timer", "on|off", "print the time each input took", function(arg)
  M.timer = switch(".timer", arg)
end)

command(".mode", "table|csv|json|lines", "how results print", function(arg)
  if arg == nil then
    stdout:write("current output mode: ", M.mode, "\n")
    return
  end
  for _, m in ipairs(M.modes) do
    if m == arg:lower() then M.mode = m return end
  end
  error((".mode: unknown mode '%s' (%s)"):format(arg, concat(M.modes, ", ")), 0)
end)

command(".read", "FILE", "run the inputs of FILE as if typed", function(path)
  if path == nil then error(".read: expected a file name", 0) end
  M.read_file(path)
end)

command(".quit", "", "leave the shell (in a file or transcript: end the input)", function()
  M.quit = true
end)

-- The arguments of a dot command: words, or 'quoted' / "quoted" text.
local function split_args(s)
  local args, i = {}, 1
  while true do
    i = s:find("%S", i)
    if not i then break end
    local q = s:sub(i, i)
    if q == "'" or q == '"' then
      local j = s:find(q, i + 1, true)
      if not j then error("unterminated quote in " .. s, 0) end
      args[#args + 1] = s:sub(i + 1, j - 1)
      i = j + 1
    else
      local j = s:find("%s", i) or #s + 1
      args[#args + 1] = s:sub(i, j - 1)
      i = j
    end
  end
  return args
end

function M.dot(text)
  local args = split_args(text:match("^%s*(.-)%s*$"))
  local name = table.remove(args, 1)
  local c = commands[name:lower()]
  if c == nil then
    error(("unknown command %s (.help lists the commands)"):format(name), 0)
  end
  local _, max = c.args:gsub("%S+", "")
  if #args > max then
    error(("%s: too many arguments (usage: %s %s)"):format(name, name, c.args), 0)
  end
  c.fn(table.unpack(args))
end
