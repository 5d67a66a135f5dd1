-- read by shell_modes.txt through .read: Lua, dot commands and SQL lines,
-- with continuation lines, as if typed
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);
INSERT INTO items (name, price)
  VALUES ('plain', 1.5), ('with, comma', 2), ('say "hi"', NULL);
.mode table
function cheap(limit)
  return engine:execute("SELECT name FROM items WHERE price < " .. limit)
end
print("setup done")
