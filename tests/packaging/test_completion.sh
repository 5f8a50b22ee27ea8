# bash completion (packaging/completion/rollmat.bash): it loads into bash
# with the bash-completion helpers, registers rollmat and rollmatd, and
# completes subcommands, options, profile names, device specs and .h5 files.
# Each case calls the completion function as bash would, with COMP_WORDS.
set -uo pipefail
src=$ROLLMAT_SOURCE_DIR/packaging/completion/rollmat.bash
helpers=/usr/share/bash-completion/bash_completion
if [[ ! -r $helpers ]]; then
    echo "SKIP: $helpers missing (Debian package bash-completion)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/a.h5" "$tmp/b.txt" "$tmp/c.rmw"
mkdir "$tmp/sub"

cat > "$tmp/run.bash" <<EOF
source "$helpers"
source "$src"
PATH="$ROLLMAT_BIN_DIR:\$PATH"
cd "$tmp"
complete -p rollmat && complete -p rollmatd || exit 1
# comp LINE WORD... : the completions of the last word as bash splits LINE
# (at ':' too), one line, sorted.
comp() {
    COMP_LINE=\$1
    shift
    COMP_WORDS=("\$@")
    COMP_CWORD=\$((\$# - 1))
    COMP_POINT=\${#COMP_LINE}
    COMPREPLY=()
    local fn
    fn=\$(complete -p "\$1" | sed 's/.*-F \([^ ]*\) .*/\1/')
    "\$fn" "\$1" "\${@: -1}" "\${@: -2:1}"
    printf '%s\n' "\${COMPREPLY[@]}" | sort | tr '\n' ' '
    echo
}
echo "1 \$(comp 'rollmat ana' rollmat ana)"
echo "2 \$(comp 'rollmat ' rollmat '')"
echo "3 \$(comp 'rollmat analyze --pro' rollmat analyze --pro)"
echo "4 \$(comp 'rollmat analyze --profile ' rollmat analyze --profile '')"
echo "5 \$(comp 'rollmat info ' rollmat info '')"
echo "6 \$(comp 'rollmat record --device ' rollmat record --device '')"
echo "7 \$(comp 'rollmat record --device sim:g' rollmat record --device sim : g)"
echo "8 \$(comp 'rollmat calib ' rollmat calib '')"
echo "9 \$(comp 'rollmatd --au' rollmatd --au)"
echo "10 \$(comp 'rollmat sim -o ' rollmat sim -o '')"
echo "11 \$(comp 'rollmat muscle calf-' rollmat muscle calf-)"
EOF
out=$(bash "$tmp/run.bash" 2>&1) || { echo "FAIL: the completion does not load: $out"; exit 1; }
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }
want() { grep -qxF -- "$1 $2" <<< "$out" || fail "case $1: want '$2'"; }
want 1 "analyze "
# Every command `rollmat --help` lists, and nothing else, sorted as bash
# shows them.
commands=$("$ROLLMAT_BIN_DIR/rollmat" --help | awk '/^commands:/{on=1; next} /^$/{on=0} on{print $1}' | sort | tr '\n' ' ')
[[ -n $commands ]] || fail "no command in rollmat --help"
want 2 "$commands"
want 3 "--profile "
want 4 "default long short sub "
want 5 "a.h5 sub "
want 6 "file: serial: sim sim: usb usb: "
want 7 "good "
want 8 "check equilibrate fit zero "
want 9 "--auto --auto-idle "
want 10 "a.h5 c.rmw sub "
want 11 "calf-left calf-right "
echo "$out"
echo ok
