# packaging/: the systemd user unit is valid for systemd (with ExecStart
# pointing at the built daemon, whose options it uses must exist), and the
# udev rule gives 1209:0001 to the seat user and to plugdev, mode 0660.
set -euo pipefail
src="$ROLLMAT_SOURCE_DIR/packaging"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The unit is configured at install time (packaging/CMakeLists.txt); here it
# is configured as an install into the build tree would.
exec_line=$(grep '^ExecStart=' "$src/rollmatd.service.in")
[[ "$exec_line" == "ExecStart=@CMAKE_INSTALL_FULL_BINDIR@/rollmatd "* ]] || {
    echo "FAIL: unexpected $exec_line"; exit 1; }
sed "s|@CMAKE_INSTALL_FULL_BINDIR@|$ROLLMAT_BIN_DIR|; s|@ROLLMAT_SYSTEMD_USER_UNIT_DIR@|$tmp|" \
    "$src/rollmatd.service.in" > "$tmp/rollmatd.service"
grep -q @ "$tmp/rollmatd.service" && { echo "FAIL: unconfigured @VAR@ left"; exit 1; }
if command -v systemd-analyze >/dev/null; then
    # verify prints problems and fails on a bad unit.
    out=$(systemd-analyze verify --man=no "$tmp/rollmatd.service" 2>&1) || {
        echo "FAIL: systemd-analyze: $out"; exit 1; }
    [[ -z "$out" ]] || { echo "FAIL: systemd-analyze: $out"; exit 1; }
fi
# The options of ExecStart are rollmatd's: parse them (with --help, which
# exits before doing anything).
read -r -a argv <<< "${exec_line#ExecStart=@CMAKE_INSTALL_FULL_BINDIR@/rollmatd }"
"$ROLLMAT_BIN_DIR/rollmatd" "${argv[@]}" --help > /dev/null

rules=$(grep -v '^#' "$src/70-rollmat.rules" | grep -v '^$')
[[ $(wc -l <<< "$rules") -eq 1 ]] || { echo "FAIL: expected one rule"; exit 1; }
for want in 'SUBSYSTEM=="usb"' 'ATTR{idVendor}=="1209"' 'ATTR{idProduct}=="0001"' \
            'MODE="0660"' 'GROUP="plugdev"' 'TAG+="uaccess"'; do
    grep -qF "$want" <<< "$rules" || { echo "FAIL: rule lacks $want"; exit 1; }
done
echo ok
