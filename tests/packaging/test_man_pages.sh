# Man pages: rollmat(1) has a section for every subcommand and rollmatd(8)
# exists; each lists every option its program's --help lists (as a reader
# sees the page, rendered by man); groff finds nothing to warn about. Also
# every command takes -h (the same text as --help) and --version.
#   test_man_pages.sh MANDIR
set -uo pipefail
man_dir=$1
rollmat=$ROLLMAT
rollmatd=$ROLLMAT_BIN_DIR/rollmatd
fail() { echo "FAIL: $*"; exit 1; }

for page in "$man_dir/rollmat.1" "$man_dir/rollmatd.8"; do
    [[ -s $page ]] || fail "$page missing"
    warnings=$(groff -man -ww -z "$page" 2>&1)
    [[ -z $warnings ]] || fail "groff warns about $page: $warnings"
done
render() { MANWIDTH=2000 man -l "$1" 2>/dev/null | col -b; }
rollmat_text=$(render "$man_dir/rollmat.1")
rollmatd_text=$(render "$man_dir/rollmatd.8")

# The options a --help text names: -x and --long-name tokens.
options_of() { grep -oE -- '(^|[ ,[])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[ ,[]//' | sort -u; }

# The section of rollmat(1) for one command: from its heading to the next.
section() {
    awk -v head="   rollmat $1" '$0 == head { on = 1; next } /^   rollmat / { on = 0 } /^[A-Z]/ { on = 0 } on' \
        <<< "$rollmat_text"
}

commands=$("$rollmat" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
[[ $(wc -w <<< "$commands") -ge 12 ]] || fail "only these commands: $commands"
checked=0
for cmd in $commands; do
    text=$(section "$cmd")
    [[ -n $text ]] || fail "rollmat(1) has no section for $cmd"
    help=$("$rollmat" "$cmd" --help) || fail "rollmat $cmd --help failed"
    for opt in $(options_of <<< "$help"); do
        grep -qF -- "$opt" <<< "$text" || fail "rollmat(1), $cmd: $opt of --help is missing"
        checked=$((checked + 1))
    done
    [[ $("$rollmat" "$cmd" -h) == "$help" ]] || fail "rollmat $cmd -h differs from --help"
    [[ $("$rollmat" "$cmd" --version) == "rollmat "* ]] || fail "rollmat $cmd --version"
done
# calib's steps have their own options, all in calib's section.
for step in zero equilibrate fit check; do
    for opt in $("$rollmat" calib "$step" --help | options_of); do
        grep -qF -- "$opt" <<< "$(section calib)" || fail "rollmat(1), calib $step: $opt missing"
    done
done
for opt in $("$rollmat" --help | options_of); do
    grep -qF -- "$opt" <<< "$rollmat_text" || fail "rollmat(1): $opt of rollmat --help missing"
done
for opt in $("$rollmatd" --help | options_of); do
    grep -qF -- "$opt" <<< "$rollmatd_text" || fail "rollmatd(8): $opt of --help is missing"
    checked=$((checked + 1))
done
[[ $("$rollmatd" -h) == "$("$rollmatd" --help)" ]] || fail "rollmatd -h differs from --help"
[[ $("$rollmatd" --version) == "rollmatd "* ]] || fail "rollmatd --version"
# A page made from a help text that lost its options would pass the loop
# above vacuously: there are dozens.
((checked > 60)) || fail "only $checked options checked"
echo "ok: $checked options in the man pages"
