# The Debian package: `cpack -G DEB` from the build tree makes a .deb whose
# files are where Debian wants them (/usr/bin, man pages, completion, the
# systemd user unit starting /usr/bin/rollmatd, the udev rule in
# /usr/lib/udev/rules.d) with its library dependencies declared; dpkg
# installs it, `rollmat --version` and `rollmatd --version` run from it, and
# dpkg removes it again leaving nothing behind. dpkg works on a throwaway
# root (--root): the machine's own package database is never touched, so
# parallel runs cannot collide and no root is needed.
#   test_deb.sh BUILD_DIR
set -uo pipefail
build=$1
fail() { echo "FAIL: $*"; exit 1; }
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps; do
    if ! command -v "$tool" > /dev/null; then
        echo "SKIP: $tool missing (Debian packages cmake, dpkg, dpkg-dev)"
        exit 77
    fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg") > "$tmp/cpack.log" 2>&1 ||
    fail "cpack: $(tail -20 "$tmp/cpack.log")"
debs=("$tmp"/pkg/rollmat_*.deb)
[[ ${#debs[@]} == 1 && -s ${debs[0]} ]] || fail "no .deb: $(ls "$tmp/pkg")"
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
[[ -n $version ]] || fail "no Version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libhdf5 libusb-1.0 libjansson libfftw3; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
for f in ./usr/bin/rollmat ./usr/bin/rollmatd ./usr/share/man/man1/rollmat.1 \
         ./usr/share/man/man8/rollmatd.8 ./usr/share/bash-completion/completions/rollmat \
         ./usr/share/systemd/user/rollmatd.service ./usr/lib/udev/rules.d/70-rollmat.rules; do
    grep -qxF "$f" <<< "$contents" || fail "$f not in the package"
done
dpkg-deb -x "$deb" "$tmp/x"
grep -qx "ExecStart=/usr/bin/rollmatd --foreground" "$tmp/x/usr/share/systemd/user/rollmatd.service" ||
    fail "unit: $(grep ExecStart "$tmp/x/usr/share/systemd/user/rollmatd.service")"

# A throwaway root with an empty package database.
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg=(dpkg --root="$root" --log=/dev/null --force-not-root --force-depends)
"${dpkg[@]}" -i "$deb" > "$tmp/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$tmp/dpkg.log")"
"${dpkg[@]}" -s rollmat 2>/dev/null | grep -qx "Status: install ok installed" || fail "not installed"
got=$("$root/usr/bin/rollmat" --version) || fail "rollmat --version failed"
[[ $got == "rollmat $version" ]] || fail "rollmat --version: '$got', package $version"
got=$("$root/usr/bin/rollmatd" --version) || fail "rollmatd --version failed"
[[ $got == "rollmatd $version" ]] || fail "rollmatd --version: '$got'"
"${dpkg[@]}" -r rollmat > "$tmp/dpkg.log" 2>&1 || fail "dpkg -r: $(cat "$tmp/dpkg.log")"
[[ ! -e $root/usr/bin/rollmat && ! -e $root/usr/share/man/man1/rollmat.1 ]] || fail "files left"
"${dpkg[@]}" -s rollmat 2>/dev/null | grep -q "Status: install ok installed" && fail "still installed"
left=$(find "$root" -type f ! -path "$root/var/lib/dpkg/*")
[[ -z $left ]] || fail "left after removal: $left"
echo "ok: $(basename "$deb")"
