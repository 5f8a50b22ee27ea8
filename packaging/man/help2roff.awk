# Turns one `--help` text of rollmat or rollmatd into man(7) markup, so that
# the man pages are made from the help itself and cannot disagree with it.
# The help texts share one layout (common/rm_cli.h's commands):
#
#   usage: rollmat CMD ...        the synopsis, with indented continuation
#          ...                    lines, up to a blank line
#   Text at column 0.             prose
#     -x, --opt ARG   what it does      an entry: two spaces, the tag, two or
#         --long      more of it        more spaces, the text; deeper lines go on
#
# Output: the synopsis as a no-fill block, prose as paragraphs, entries as
# .TP items.

function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    if (s ~ /^[.']/)
        s = "\\&" s
    return s
}

function flush_entry() {
    if (tag != "") {
        print ".TP"
        print ".B " esc(tag)
        print esc(desc)
    }
    tag = ""
    desc = ""
}

BEGIN { state = "start" }

# The synopsis: "usage: " and the lines that go on from it.
state == "start" && /^usage: / {
    sub(/^usage: /, "")
    print ".nf"
    print esc($0)
    state = "usage"
    next
}
state == "usage" && /^ / {
    # Aligned under what followed "usage: ".
    sub(/^       /, "")
    print esc($0)
    next
}
state == "usage" {
    print ".fi"
    state = "body"
}

/^$/ {
    flush_entry()
    para = 1
    next
}

# An entry: two spaces (up to six before a long option without a short
# one), a tag, then a gap of two spaces or more.
(/^  [^ ]/ || (/^ +-/ && match($0, /[^ ]/) <= 7)) && match($0, /[^ ]  +[^ ]/) {
    flush_entry()
    if (para) {
        print ".PP"
        para = 0
    }
    indent = match($0, /[^ ]/) - 1
    match($0, /[^ ]  +[^ ]/)
    tag = substr($0, indent + 1, RSTART - indent)
    desc = substr($0, RSTART + 1)
    sub(/^ +/, "", desc)
    next
}

# A deeper line goes on with the entry above it.
/^   / && tag != "" {
    line = $0
    sub(/^ +/, "", line)
    desc = desc " " line
    next
}

{
    flush_entry()
    if (para) {
        print ".PP"
        para = 0
    }
    line = $0
    sub(/^ +/, "", line)
    print esc(line)
}

END {
    flush_entry()
    if (state == "usage")
        print ".fi"
}
