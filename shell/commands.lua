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

-- The tokens of SQL text, as {kind, text}: "quote" ('...', "...", `...`,
-- doubled quotes inside), "dollar" (PostgreSQL's $$...$$ or $tag$...$tag$),
-- "comment" (-- to the end of the line, /* ... */), "word", "end" (a `;` that
-- ends a statement) and "char" (any other character).  In CREATE TRIGGER ...
-- BEGIN ... END, a `;` ends the statement only after END, as sqlite3 reads it.
-- Also returns whether a quote or comment is left open.
local function sql_tokens(s)
  local out, i, n, open = {}, 1, #s, false
  local words, seen_begin, prev = {}, false, nil     -- of the current statement
  local function add(kind, j)
    out[#out + 1] = { kind = kind, text = s:sub(i, j) }
    i = j + 1
  end
  while i <= n do
    local c, two = s:sub(i, i), s:sub(i, i + 1)
    local tag = c == "$" and (s:match("^%$[%a_][%w_]*%$", i) or s:match("^%$%$", i))
    if c == "'" or c == '"' or c == "`" then
      local k, j = i + 1, nil
      while true do
        local q = s:find(c, k, true)
        if not q then j, open = n, true break end
        if s:sub(q + 1, q + 1) ~= c then j = q break end
        k = q + 2                              -- a doubled quote stays inside
      end
      add("quote", j)
    elseif tag then
      local q = s:find(tag, i + #tag, true)
      if not q then open = true end
      add("dollar", q and q + #tag - 1 or n)
    elseif two == "--" then
      add("comment", (s:find("\n", i, true) or n + 1) - 1)
    elseif two == "/*" then
      local q = s:find("*/", i + 2, true)
      if not q then open = true end
      add("comment", q and q + 1 or n)
    elseif c:match("[%w_]") then
      local j = (s:find("[^%w_]", i) or n + 1) - 1
      prev = s:sub(i, j):lower()
      if #words < 3 then words[#words + 1] = prev end
      seen_begin = seen_begin or prev == "begin"
      add("word", j)
    elseif c == ";" then
      local trigger = words[1] == "create" and (words[2] == "trigger" or
        (words[3] == "trigger" and (words[2] == "temp" or words[2] == "temporary")))
      if trigger and seen_begin and prev ~= "end" then
        add("char", i)
      else
        words, seen_begin, prev = {}, false, nil
        add("end", i)
      end
    else
      if not c:match("%s") then prev = nil end
      add("char", i)
    end
  end
  return out, open
end

-- Whether an input is complete SQL: its last token (white space and comments
-- aside) is a `;` that ends a statement, and no quote or comment is open.
local function sql_complete(s)
  local tokens, open = sql_tokens(s)
  for k = #tokens, 1, -1 do
    local t = tokens[k]
    if t.kind == "end" then return not open end
    if t.kind ~= "comment" and not (t.kind == "char" and t.text:match("%s")) then
      return false
    end
  end
  return false
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

-- `:name` escaped as `\:name` for text(), wherever it stands.
local function escape_colons(t)
  local out, from = {}, 1
  for pos in t:gmatch("():[%w_]") do
    if not t:sub(pos - 1, pos - 1):match("[%w_:]") then   -- not a::b
      out[#out + 1] = t:sub(from, pos - 1) .. "\\"
      from = pos
    end
  end
  out[#out + 1] = t:sub(from)
  return concat(out)
end

-- The statements of an SQL line (split at the `;` that end statements), with
-- each `:name` outside quotes escaped for text(): what the user typed reaches
-- the database as typed, with no bind parameters.  (A `\:` inside quotes loses
-- its backslash, as text() reads it.)
local function split_sql(src)
  local stmts, cur, run, content = {}, {}, {}, false
  local function flush_run()           -- words and characters between quotes
    if #run > 0 then cur[#cur + 1] = escape_colons(concat(run)) end
    run = {}
  end
  local function finish()
    flush_run()
    if content then stmts[#stmts + 1] = concat(cur):match("^%s*(.-)%s*$") end
    cur, content = {}, false
  end
  for _, t in ipairs((sql_tokens(src))) do
    if t.kind == "end" then
      finish()
    elseif t.kind == "word" or t.kind == "char" then
      run[#run + 1] = t.text
      content = content or not t.text:match("^%s$")
    else
      flush_run()
      cur[#cur + 1] = t.kind == "dollar" and escape_colons(t.text) or t.text
      content = content or t.kind ~= "comment"    -- a comment alone is no statement
    end
  end
  finish()
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
  stdout:write("An input starting with an SQL keyword and ending with ';' is run as SQL on 'engine'.\n",
               "Tab completes globals, fields and methods: users.c.<Tab>, session:<Tab>.\n")
end)

command(".tables", "", "list the tables of engine's database", function()
  local engine = need_engine(".tables")
  local names = quietly(engine, function() return sa.inspect(engine):get_table_names() end)
  for _, name in ipairs(names) do stdout:write(name, "\n") end
end)

command(".schema", "[TABLE]", "show the CREATE statements of the tables (or one) and indexes",
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
    for _, n in ipairs(names) do
      local t = sa.Table(n, md, { autoload_with = engine })
      out[#out + 1] = tostring(sa.CreateTable(t):compile(engine)) .. ";"
      for _, ix in ipairs(t.indexes) do
        out[#out + 1] = tostring(sa.CreateIndex(ix):compile(engine)) .. ";"
      end
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
