#!/bin/sh
# run_fail_transcripts.sh RETORT: tests of the retort program itself.
# Every transcript in tests/transcripts/fail/ MUST fail: `retort --test` has to
# exit 1 and print each line that the file lists after "check: " in its prose
# (the file and line of the failing input, diff lines, the "N passed, N failed"
# summary).  Then --update on a temporary copy must make a failing transcript
# pass, keeping its prose; and the command line (-e, a script with arguments, a
# failing script, a script on standard input, -i, --version, --help, unknown
# options, .read and .quit on piped input) must behave as DESIGN §8 says.  Prints one line per check and a
# final "N passed, N failed"; exits 1 when any check failed.

retort=${1:?usage: run_fail_transcripts.sh path/to/retort}
case $retort in /*) ;; *) retort=$(pwd)/$retort ;; esac
tests=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/retort-shell-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() {
    echo "ok      $1"
    passed=$((passed + 1))
}

not_ok() {
    echo "FAILED  $1"
    failed=$((failed + 1))
    if [ -n "$2" ]; then
        sed 's/^/        | /' "$2"
    fi
}

# check NAME STATUS EXPECTED_STATUS [OUTPUT_FILE]
check_status() {
    if [ "$2" -eq "$3" ]; then ok "$1"; else not_ok "$1 (exit status $2, expected $3)" "$4"; fi
}

# check_line NAME FILE LINE: FILE has LINE as one of its lines.
check_line() {
    if grep -Fxq -e "$3" "$2"; then ok "$1"; else not_ok "$1: no line '$3'" "$2"; fi
}

# check_grep NAME FILE REGEX
check_grep() {
    if grep -Eq -e "$3" "$2"; then ok "$1"; else not_ok "$1: nothing matches /$3/" "$2"; fi
}

# ---- transcripts that must fail -------------------------------------------

for path in "$tests"/transcripts/fail/*.txt "$tests"/transcripts/fail/*.md; do
    [ -f "$path" ] || continue
    name=$(basename "$path")
    (cd "$tests/transcripts/fail" && "$retort" --test "$name") >"$tmp/out" 2>&1
    check_status "$name fails" $? 1 "$tmp/out"
    sed -n 's/^check: //p' "$path" >"$tmp/checks"
    if [ ! -s "$tmp/checks" ]; then
        not_ok "$name lists what to check (check: lines)"
        continue
    fi
    while IFS= read -r line; do
        check_line "$name prints '$line'" "$tmp/out" "$line"
    done <"$tmp/checks"
done

# ---- --update ----------------------------------------------------------------

for name in wrong_value.txt extra_output.txt wrong_in_fence.md; do
    cp "$tests/transcripts/fail/$name" "$tmp/$name"
    (cd "$tmp" && "$retort" --test --update "$name") >"$tmp/out" 2>&1
    check_status "--update $name" $? 0 "$tmp/out"
    check_grep "--update $name reports the update" "$tmp/out" "^updated $name \\([0-9]+ examples?\\)$"
    (cd "$tmp" && "$retort" --test "$name") >"$tmp/out" 2>&1
    check_status "$name passes after --update" $? 0 "$tmp/out"
    check_grep "$name after --update: nothing failed" "$tmp/out" "^[0-9]+ passed, 0 failed$"
    # Prose ("check:" lines here), inputs and fences must come through unchanged.
    keep='^(check: |> |>> |```)'
    grep -E "$keep" "$tests/transcripts/fail/$name" >"$tmp/before"
    grep -E "$keep" "$tmp/$name" >"$tmp/after"
    if cmp -s "$tmp/before" "$tmp/after"; then
        ok "$name keeps its prose, inputs and fences after --update"
    else
        diff "$tmp/before" "$tmp/after" >"$tmp/out"
        not_ok "$name keeps its prose, inputs and fences after --update" "$tmp/out"
    fi
done

# ---- transcripts that must pass -------------------------------------------

for path in "$tests"/transcripts/shell_*.txt "$tests"/transcripts/shell_*.md; do
    [ -f "$path" ] || continue
    "$retort" --test "$path" >"$tmp/out" 2>&1
    check_status "$(basename "$path") passes" $? 0 "$tmp/out"
done

"$retort" --test "$tmp/no-such-file.txt" >"$tmp/out" 2>&1
check_status "--test on a missing file exits 1" $? 1 "$tmp/out"
check_grep "--test on a missing file says so" "$tmp/out" "cannot read .*no-such-file.txt"

# ---- the command line --------------------------------------------------------

"$retort" -e 'print(1+1)' >"$tmp/out" 2>&1
check_status "-e exits 0" $? 0 "$tmp/out"
check_line "-e 'print(1+1)' prints 2" "$tmp/out" "2"

"$retort" -e 'x = 20' -e 'print(x + 1)' >"$tmp/out" 2>&1
check_line "-e twice runs both in order" "$tmp/out" "21"

"$retort" -e 'error("bad code")' >"$tmp/out" 2>"$tmp/err"
check_status "-e raising an error exits 1" $? 1 "$tmp/err"
check_grep "-e error message on stderr" "$tmp/err" "bad code"

# The program's Lua state (shell/alloc.c: its own allocator) keeps what
# luaL_newstate gives: warn() is off until "@on", as in lua.
"$retort" -e 'warn("hidden") warn("@on") warn("shown ", "once") warn("@off") warn("hidden")' \
    >"$tmp/out" 2>&1
check_status "warn() exits 0" $? 0 "$tmp/out"
check_line "warn() after @on prints one warning" "$tmp/out" "Lua warning: shown once"
check_status "warn() before @on and after @off prints nothing" "$(wc -l <"$tmp/out")" 1 "$tmp/out"

# Blocks that grow and shrink across the allocator's size classes keep their
# contents.
cat >"$tmp/grow.lua" <<'EOF'
local t, s = {}, ""
for i = 1, 3000 do t[i] = i; s = s .. string.char(65 + i % 26) end
for i = 3000, 1, -1 do t[i] = nil end
local parts = {}
for i = 1, 200 do parts[i] = s:sub(1, i * 7) end
local sum = 0
for i = 1, 200 do sum = sum + #parts[i] + parts[i]:byte(-1) end
collectgarbage()
print(#s, next(t), sum)
EOF
"$retort" "$tmp/grow.lua" >"$tmp/out" 2>&1
check_line "growing tables and strings keep their contents" "$tmp/out" \
    "$(lua5.4 "$tmp/grow.lua")"

cat >"$tmp/args.lua" <<'EOF'
print(arg[0], arg[1], arg[2], #arg, select("#", ...))
EOF
"$retort" "$tmp/args.lua" one two >"$tmp/out" 2>&1
check_status "script with arguments exits 0" $? 0 "$tmp/out"
check_line "script sees arg[0], arg[1], arg[2] and ..." "$tmp/out" \
    "$(printf '%s\tone\ttwo\t2\t2' "$tmp/args.lua")"

cat >"$tmp/fails.lua" <<'EOF'
local function inner() error("script went wrong") end
inner()
EOF
"$retort" "$tmp/fails.lua" >"$tmp/out" 2>"$tmp/err"
check_status "failing script exits 1" $? 1 "$tmp/err"
check_grep "failing script: message on stderr" "$tmp/err" "fails.lua:1: script went wrong"
check_grep "failing script: traceback on stderr" "$tmp/err" "^stack traceback:"
if [ -s "$tmp/out" ]; then not_ok "failing script: nothing on stdout" "$tmp/out"
else ok "failing script: nothing on stdout"; fi

cat >"$tmp/table_error.lua" <<'EOF'
error(setmetatable({}, {__tostring = function() return "custom error object" end}))
EOF
"$retort" "$tmp/table_error.lua" >"$tmp/out" 2>"$tmp/err"
check_status "script raising an error object exits 1" $? 1 "$tmp/err"
check_grep "error object printed through __tostring" "$tmp/err" "custom error object"

echo 'print("x")' | "$retort" >"$tmp/out" 2>&1
check_status "script on stdin exits 0" $? 0 "$tmp/out"
check_line "script on stdin prints x" "$tmp/out" "x"

echo 'error("from stdin")' | "$retort" >"$tmp/out" 2>"$tmp/err"
check_status "failing script on stdin exits 1" $? 1 "$tmp/err"

printf 'y = 6 *\n7\ny\n' | "$retort" -i >"$tmp/out" 2>&1
check_status "-i on piped input exits 0" $? 0 "$tmp/out"
check_grep "-i: continuation prompt, then the value" "$tmp/out" '^> >> > 42$'

# dot commands at the prompt on piped input (-i): .read runs a file as typed,
# .quit ends the input
cat >"$tmp/inputs.sql" <<'EOF'
CREATE TABLE t (n INTEGER);
INSERT INTO t VALUES (6),
  (7);
m = 6 *
  7
EOF
printf '.read %s\nSELECT sum(n) AS s FROM t;\nprint(m)\n.quit\nprint("after quit")\n' "$tmp/inputs.sql" |
    "$retort" -i >"$tmp/out" 2>&1
check_status "-i with .read and .quit exits 0" $? 0 "$tmp/out"
check_line ".read: SQL lines with continuation lines run" "$tmp/out" "13"
check_grep ".read: Lua with continuation lines runs" "$tmp/out" "(^|> )42$"
if grep -q "after quit" "$tmp/out"; then not_ok ".quit ends the input" "$tmp/out"
else ok ".quit ends the input"; fi

printf 'print("before")\n.quit\nprint("after")\n' >"$tmp/quits.sql"
printf '.read %s\nprint("after read")\n' "$tmp/quits.sql" | "$retort" -i >"$tmp/out" 2>&1
check_status ".quit inside .read exits 0" $? 0 "$tmp/out"
check_grep ".quit inside .read: the file ran up to it" "$tmp/out" "before$"
if grep -q "after" "$tmp/out"; then not_ok ".quit inside .read ends all input" "$tmp/out"
else ok ".quit inside .read ends all input"; fi

printf '.read %s/missing.sql\n.nosuch\nprint("still here")\n' "$tmp" | "$retort" -i >"$tmp/out" 2>&1
check_status "-i with failing dot commands exits 0" $? 0 "$tmp/out"
check_grep ".read of a missing file says so" "$tmp/out" "\.read: cannot open .*missing.sql"
check_grep "unknown dot command says so" "$tmp/out" "unknown command \.nosuch"
check_grep "the prompt continues after a bad dot command" "$tmp/out" "still here$"

"$retort" --version >"$tmp/out" 2>&1
check_status "--version exits 0" $? 0 "$tmp/out"
check_grep "--version prints 'retort X.Y.Z'" "$tmp/out" '^retort [0-9]+\.[0-9]+\.[0-9]+$'

"$retort" --help >"$tmp/out" 2>&1
check_status "--help exits 0" $? 0 "$tmp/out"
for opt in -e -i --echo --test --update --version --help; do
    check_grep "--help lists $opt" "$tmp/out" "^ +$opt( |$)"
done

"$retort" --no-such-option >"$tmp/out" 2>"$tmp/err"
check_status "unknown option exits 2" $? 2 "$tmp/err"
check_grep "unknown option: message on stderr" "$tmp/err" "unrecognized option '--no-such-option'"
check_grep "unknown option: usage on stderr" "$tmp/err" "^usage: retort"

"$retort" -e >"$tmp/out" 2>&1
check_status "-e without code exits 2" $? 2 "$tmp/out"

# retort URL: engine, a metadata reflected from the database, its tables
"$retort" "sqlite:///$tmp/url.db" -e 'engine:execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")' \
    >"$tmp/out" 2>&1
"$retort" --echo "sqlite:///$tmp/url.db" -e 'print(tables.things.c.id, engine.echo)' \
    >"$tmp/out" 2>&1
check_status "retort URL exits 0" $? 0 "$tmp/out"
check_line "retort URL reflects the tables, quietly, then echoes" "$tmp/out" "things.id	true"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
