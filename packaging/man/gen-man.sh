#!/bin/sh
# Writes rollmat.1 and rollmatd.8 from the programs' own --help texts
# (help2roff.awk), so that a man page can never list an option the program
# does not take, or miss one it does. Run by the build after linking:
#
#   gen-man.sh ROLLMAT ROLLMATD VERSION OUTDIR
set -eu
rollmat=$1
rollmatd=$2
version=$3
out=$4
here=$(dirname "$0")
# Sanitizer builds run these too: a --help must not fail on a leak report.
export ASAN_OPTIONS=detect_leaks=0
roff() { awk -f "$here/help2roff.awk"; }

{
    cat <<EOF
.TH ROLLMAT 1 "" "rollmat $version" "User Commands"
.nh
.ad l
.SH NAME
rollmat \\- record, calibrate and judge foam rolling on a pressure mat
.SH SYNOPSIS
.B rollmat
.I COMMAND
[\\fIOPTIONS\\fR] ...
.br
.B rollmat
\\-\\-help | \\-\\-version
.SH DESCRIPTION
rollmat records a pressure mat lying under a foam roller, turns its raw
counts into kPa, and tells a runner how they rolled: roll speed, pauses,
holds on tender spots, pressure, and a score against the guidance, with
per\\-muscle pictures and an HTML report. The acquisition daemon is
.BR rollmatd (8);
the commands start, stop, muscle, mark and status talk to it.
EOF
    # The command list, without its usage line.
    echo ".PP"
    "$rollmat" --help | sed '1,/^$/d' | roff
    echo ".SH COMMANDS"
    for cmd in $("$rollmat" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'); do
        echo ".SS \"rollmat $cmd\""
        "$rollmat" "$cmd" --help | roff
    done
    cat <<'EOF'
.SH ENVIRONMENT
.TP
.B ROLLMAT_SOCKET
rollmatd's control socket, when \-\-socket is not given (rollmatd honours it too).
.TP
.B XDG_RUNTIME_DIR
the default socket is \fB$XDG_RUNTIME_DIR/rollmat/rollmat.sock\fR; without it,
\fB${TMPDIR:\-/tmp}/rollmat\-\fIUID\fB/rollmat.sock\fR. Both directories are
created mode 0700 by rollmatd and refused by rollmat and rollmatd when they
belong to someone else or others may write into them.
.TP
.B XDG_DATA_HOME
rollmatd's sessions go to \fB${XDG_DATA_HOME:\-~/.local/share}/rollmat/sessions\fR.
.TP
.B ROLLMAT_LOG
err, warn (default), info or debug: how much is logged on stderr.
.TP
.B ROLLMAT_SCRIPTS_DIR
gnuplot scripts to use instead of the built\-in ones (the installed copies in
\fBshare/rollmat/gnuplot\fR are a starting point).
.SH EXIT STATUS
0 success, 1 failure at run time, 2 usage error, 3 bad input (a file that is
not what it claims, corrupt or inconsistent). Errors are one line on stderr:
\fBrollmat: \fIfile\fB:\fIwhere\fB: \fIwhat\fR.
.SH SEE ALSO
.BR rollmatd (8),
.BR gnuplot (1);
the guides in \fBshare/doc/rollmat\fR (calibration, scoring, report, formats).
EOF
} > "$out/rollmat.1"

{
    cat <<EOF
.TH ROLLMATD 8 "" "rollmat $version" "System Manager's Manual"
.nh
.ad l
.SH NAME
rollmatd \\- rollmat's acquisition daemon: records a pressure mat into one file per session
.SH SYNOPSIS
EOF
    "$rollmatd" --help | roff | sed '/^\.fi$/q'
    echo ".SH DESCRIPTION"
    "$rollmatd" --help | roff | sed '1,/^\.fi$/d'
    cat <<'EOF'
.SH SIGNALS
SIGTERM, SIGINT and SIGHUP end the open segment, write every buffered frame,
the counters and the complete mark, close the file and exit 0. After SIGKILL
or a crash the file holds every frame up to its last flush (half a second).
.SH FILES
.TP
.B $XDG_RUNTIME_DIR/rollmat/rollmat.sock
the control socket (without XDG_RUNTIME_DIR: \fB${TMPDIR:\-/tmp}/rollmat\-\fIUID\fB/rollmat.sock\fR;
\fB\-\-socket\fR or \fBROLLMAT_SOCKET\fR elsewhere).
.TP
.B share/systemd/user/rollmatd.service
the systemd user unit: \fBsystemctl \-\-user enable \-\-now rollmatd\fR.
.TP
.B lib/udev/rules.d/70\-rollmat.rules
gives the mat (USB 1209:0001) to the user at the seat and to group plugdev.
.SH SEE ALSO
.BR rollmat (1),
.BR systemctl (1),
.BR udev (7)
EOF
} > "$out/rollmatd.8"
