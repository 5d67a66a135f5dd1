-- shell.lua: the Lua half of the retort shell, embedded into the binary and run
-- once per Lua state after the retort module's names have been copied into the
-- globals.  It holds how values are shown at the prompt (repr, and the aligned
-- table printed for a result object, or its csv, json or lines form as `.mode`
-- chooses), the printing of an input's values, and the binding of the `engine`
-- global from the command line.  commands.lua (dot commands, SQL lines) and
-- complete.lua (tab completion) add to the same table.  It returns its
-- table, which the C side keeps in the registry under "retort.shell"; `repr`
-- is also made a global.  Everything here goes to standard output through
-- io.stdout, so the transcript runner sees it.

local M = {}

local stdout = io.stdout
local getmetatable = debug.getmetatable
local type, tostring, next, select, rawget = type, tostring, next, select, rawget
local concat, sort = table.concat, table.sort
local mtype = math.type

local keywords = {}
for w in ([[and break do else elseif end false for function goto if in local
            nil not or repeat return then true until while]]):gmatch("%a+") do
  keywords[w] = true
end

local escapes = { ["\\"] = "\\\\", ["'"] = "\\'", ["\n"] = "\\n",
                  ["\r"] = "\\r", ["\t"] = "\\t" }

local function escape(c)
  return escapes[c] or ("\\x%02x"):format(c:byte())
end

-- Single-quoted, as Python's repr: control characters escaped, and bytes
-- above 127 too unless the string is valid UTF-8.
local function quote(s)
  local special = utf8.len(s) and "[%c\\']" or "[%c\\'\128-\255]"
  return "'" .. s:gsub(special, escape) .. "'"
end

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil and not keywords[k]
end

-- Key order for printing a table: numbers, then strings, then the rest.
local rank = { number = 1, string = 2, boolean = 3 }
local function key_before(a, b)
  local ra, rb = rank[type(a)] or 4, rank[type(b)] or 4
  if ra ~= rb then return ra < rb end
  if ra == 1 or ra == 2 then return a < b end
  if ra == 3 then return (not a) and b end
  return tostring(a) < tostring(b)
end

local repr

-- A plain table: its array part 1..n positionally, then the other keys sorted.
-- `open` holds the tables being printed, so a cycle prints as {...}.
local function table_repr(t, open)
  if open[t] then return "{...}" end
  open[t] = true
  local parts, n = {}, 0
  while rawget(t, n + 1) ~= nil do
    n = n + 1
    parts[n] = repr(rawget(t, n), open)
  end
  local keys = {}
  for k in next, t do
    if not (mtype(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  sort(keys, key_before)
  for _, k in ipairs(keys) do
    local v = repr(rawget(t, k), open)
    if is_identifier(k) then
      parts[#parts + 1] = k .. " = " .. v
    else
      parts[#parts + 1] = "[" .. repr(k, open) .. "] = " .. v
    end
  end
  open[t] = nil
  return "{" .. concat(parts, ", ") .. "}"
end

-- The representation of any value, as the prompt shows it.
function repr(v, open)
  local tv = type(v)
  if tv == "string" then return quote(v) end
  if tv == "number" or tv == "boolean" or tv == "nil" then return tostring(v) end
  local mt = getmetatable(v)
  if type(mt) == "table" then
    local r = rawget(mt, "__repr")
    if r ~= nil then
      local s = r(v)
      return type(s) == "string" and s or tostring(s)
    end
    if rawget(mt, "__tostring") ~= nil then return tostring(v) end
  end
  if tv == "table" then return table_repr(v, open or {}) end
  return tostring(v)
end

function M.repr(v)
  return repr(v, {})
end

-- A cell of a result table: like repr, but strings unquoted (as psql shows
-- them), with control characters escaped so that columns stay aligned.
local function cell(v)
  if type(v) == "string" then
    return (v:gsub(utf8.len(v) and "%c" or "[%c\128-\255]", escape))
  end
  return repr(v, {})
end

local function width(s)
  return utf8.len(s) or #s
end

local function pad(s, w)
  return s .. (" "):rep(w - width(s))
end

-- The column names and rows (arrays of values, `n` their width) of a result
-- (metatable __name "retort.Result"): names from r:keys(), rows from
-- `for row in r` (row[i], #row).
local function fetch(r)
  local header = {}
  for i, k in ipairs(r:keys()) do header[i] = tostring(k) end
  local rows, ncol = {}, #header
  for row in r do
    local n = #row
    if n < #header then n = #header end   -- a trailing NULL in a plain table
    local values = { n = n }
    for i = 1, n do values[i] = row[i] end
    if n > ncol then ncol = n end
    rows[#rows + 1] = values
  end
  for i = #header + 1, ncol do header[i] = "" end
  return header, rows, ncol
end

local printers = {}

-- `.mode table`: an aligned table, then (N rows).
function printers.table(header, rows, ncol)
  local cells = {}
  for r, values in ipairs(rows) do
    local c = {}
    for i = 1, values.n do c[i] = cell(values[i]) end
    cells[r] = c
  end
  local widths = {}
  for i = 1, ncol do
    local w = width(header[i])
    for _, c in ipairs(cells) do
      local cw = width(c[i] or "")
      if cw > w then w = cw end
    end
    widths[i] = w
  end
  local function line(c)
    local out = {}
    for i = 1, ncol do
      out[i] = i < ncol and pad(c[i] or "", widths[i]) or (c[i] or "")
    end
    stdout:write((concat(out, " | "):gsub("%s+$", "")), "\n")
  end
  if ncol > 0 then
    line(header)
    local dashes = {}
    for i = 1, ncol do dashes[i] = ("-"):rep(widths[i]) end
    stdout:write(concat(dashes, "-+-"), "\n")
    for _, c in ipairs(cells) do line(c) end
  end
  stdout:write(("(%d %s)\n"):format(#rows, #rows == 1 and "row" or "rows"))
end

-- A value as plain text (csv): strings as they are, NULL as nothing.
local function plain(v)
  if v == nil then return "" end
  if type(v) == "string" then return v end
  return repr(v, {})
end

-- `.mode csv`: a header line, then one line per row; a field holding a comma,
-- a double quote or a line break is quoted, its quotes doubled (RFC 4180).
function printers.csv(header, rows, ncol)
  local function field(s)
    if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
    return s
  end
  local function line(values, n)
    local out = {}
    for i = 1, n do out[i] = field(plain(values[i])) end
    stdout:write(concat(out, ","), "\r\n")
  end
  if ncol > 0 then line(header, ncol) end
  for _, values in ipairs(rows) do line(values, ncol) end
end

local json_escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n",
                       ["\r"] = "\\r", ["\t"] = "\\t", ["\b"] = "\\b", ["\f"] = "\\f" }

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return json_escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function json_value(v)
  local tv = type(v)
  if v == nil then return "null" end
  if tv == "boolean" then return tostring(v) end
  if tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if mtype(v) == "integer" then return ("%d"):format(v) end
    for digits = 15, 16 do     -- the shortest text that reads back the same
      local t = ("%." .. digits .. "g"):format(v)
      if tonumber(t) == v then return t end
    end
    return ("%.17g"):format(v)
  end
  if tv == "string" then return json_string(v) end
  return json_string(repr(v, {}))
end

-- `.mode json`: an array of objects, one per row, keys in column order.
function printers.json(header, rows, ncol)
  if #rows == 0 then stdout:write("[]\n") return end
  stdout:write("[\n")
  for r, values in ipairs(rows) do
    local out = {}
    for i = 1, ncol do out[i] = json_string(header[i]) .. ": " .. json_value(values[i]) end
    stdout:write("  {", concat(out, ", "), r < #rows and "},\n" or "}\n")
  end
  stdout:write("]\n")
end

-- `.mode lines`: one `name = value` line per column (names right-aligned),
-- a blank line between rows.
function printers.lines(header, rows, ncol)
  local w = 0
  for i = 1, ncol do if width(header[i]) > w then w = width(header[i]) end end
  for r, values in ipairs(rows) do
    if r > 1 then stdout:write("\n") end
    for i = 1, ncol do
      stdout:write((" "):rep(w - width(header[i])), header[i], " = ", cell(values[i]), "\n")
    end
  end
end

-- How results print: "table", "csv", "json" or "lines" (`.mode`).
M.mode = "table"
M.modes = { "table", "csv", "json", "lines" }

-- Prints a result that returns rows in the current mode.
function M.print_result(r)
  local printer = printers[M.mode] or printers.table
  printer(fetch(r))
end

-- Whether v is a result that returns rows (a DML or DDL result does not, and
-- prints through its tostring).
local function is_row_result(v)
  local mt = getmetatable(v)
  if type(mt) ~= "table" or rawget(mt, "__name") ~= "retort.Result" then return false end
  local ok, returns_rows = pcall(function() return v.returns_rows end)
  return not ok or returns_rows ~= false
end

-- Prints the values of an expression typed at the prompt: a result that
-- returns rows, alone, as a table; otherwise the representations separated
-- by ", ".
function M.print_values(...)
  local n = select("#", ...)
  if n == 0 then return end
  if n == 1 and is_row_result((...)) then return M.print_result((...)) end
  local parts = {}
  for i = 1, n do parts[i] = repr((select(i, ...)), {}) end
  stdout:write(concat(parts, ", "), "\n")
end

-- Binds `engine` (and, for a URL given on the command line, `metadata`
-- reflected from it, `session` and `tables`) when the module provides them.
function M.connect(url, echo)
  if create_engine == nil then return end
  -- Called through pcall, a C function's error names no position in this file.
  local ok, e = pcall(create_engine, url or "sqlite://")
  if not ok then error(e, 0) end
  engine = e
  if url ~= nil and MetaData ~= nil then
    -- reflected before echo is switched on, so that it stays quiet
    local ok, err = pcall(function()
      metadata = MetaData()
      metadata:reflect(engine)
      tables = metadata.tables
    end)
    if not ok then
      io.stderr:write("retort: could not reflect the database: ", tostring(err), "\n")
    end
  end
  if url ~= nil and Session ~= nil then session = Session(engine) end
  engine.echo = echo and true or false
end

_G.repr = M.repr

return M
