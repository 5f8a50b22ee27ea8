# packaging/71-rollmat-serial.rules: one rule, for a tty, matching a USB
# serial number, with the access of the USB mat's rule and the
# /dev/rollmat-mat link that the docs and the device spec use.
set -euo pipefail
rules=$(grep -v '^#' "$ROLLMAT_SOURCE_DIR/packaging/71-rollmat-serial.rules" | grep -v '^$')
[[ $(wc -l <<< "$rules") -eq 1 ]] || { echo "FAIL: expected one rule"; exit 1; }
for want in 'SUBSYSTEM=="tty"' 'ATTRS{idVendor}==' 'ATTRS{idProduct}==' 'ATTRS{serial}==' \
            'MODE="0660"' 'GROUP="plugdev"' 'TAG+="uaccess"' 'SYMLINK+="rollmat-mat"'; do
    grep -qF "$want" <<< "$rules" || { echo "FAIL: rule lacks $want"; exit 1; }
done
# Every key=value pair is well formed (udev ignores a rule it cannot parse).
rest=$(sed -E 's/(^|, )[A-Z_]+(\{[a-zA-Z_]+\})?(==|\+=|=)"[^"]*"//g' <<< "$rules")
[[ -z "$rest" ]] || { echo "FAIL: cannot parse: $rest"; exit 1; }
grep -q 'serial:/dev/rollmat-mat' "$ROLLMAT_SOURCE_DIR/docs/build-a-mat.md" ||
    { echo "FAIL: docs/build-a-mat.md does not use the link"; exit 1; }
echo ok
