#!/usr/bin/env bash
# test_report_browser.sh: the HTML report of a constructed session opened in
# headless Chromium. The session (bench/gen_session.c, 1 h at 1 Hz, 60
# channels) has steps, hourly heat with thermal throttle reasons, a cooling
# break and a collapse. Checks: the file is self-contained (no external
# script, style or image) and under 5 MB; the page runs with no console
# message at all (an uncaught error or console.error would show); every
# chart is drawn (data-charts on <body> equals the charts in the data, no
# chart errors, a uPlot canvas per chart in the DOM); and a screenshot shows
# the charts (pixels in the series colours, many colours). Skips (77)
# without Chromium (Debian package "chromium": scripts/install-deps.sh test).
set -euo pipefail
: "${HEADROOM:?set by ctest}" "${HR_BUILD_DIR:?set by ctest}"

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "skip: chromium is not installed (scripts/install-deps.sh test)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "test_report_browser: $*" >&2
    exit 1
}

cmake --build "$HR_BUILD_DIR" --target gen_session >/dev/null
"$HR_BUILD_DIR/bench/gen_session" "$tmp/s.db" --hours 1 --hz 1 >/dev/null
"$HEADROOM" report "$tmp/s.db" -o "$tmp/r.html" 2>"$tmp/report.err" ||
    fail "headroom report failed: $(cat "$tmp/report.err")"
size=$(stat -c %s "$tmp/r.html")
[ "$size" -lt 5242880 ] || fail "HTML is $size bytes (limit 5 MB)"
if grep -Eiq '<(script|link|img|iframe)[^>]*(src|href)=' "$tmp/r.html"; then
    fail "the HTML refers to an outside resource"
fi
charts=$(python3 - "$tmp/r.html" <<'PY'
import json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
d = json.loads(re.search(r'<script type="application/json" id="hr-data">(.*?)</script>', h, re.S).group(1))
print(len(d["time"]) + (1 if d["steps"] else 0) + len(d["scatter"]))
PY
)
[ "$charts" -ge 10 ] || fail "only $charts charts in the data"

flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-component-update --disable-sync --no-first-run --hide-scrollbars
       --virtual-time-budget=15000)
timeout 120 "$chromium" "${flags[@]}" --user-data-dir="$tmp/p1" --enable-logging=stderr --v=0 \
    --dump-dom "file://$tmp/r.html" >"$tmp/dom.html" 2>"$tmp/console.log" ||
    fail "chromium --dump-dom failed: $(tail -5 "$tmp/console.log")"
if grep -E 'CONSOLE.*source: file://' "$tmp/console.log"; then
    fail "the page wrote to the console (above)"
fi
grep -q "data-charts=\"$charts\"" "$tmp/dom.html" ||
    fail "expected data-charts=\"$charts\", got: $(grep -o '<body[^>]*>' "$tmp/dom.html")"
grep -q 'data-chart-errors="0"' "$tmp/dom.html" || fail "a chart failed to draw"
canvases=$(grep -o '<canvas' "$tmp/dom.html" | wc -l)
[ "$canvases" -ge "$charts" ] || fail "$canvases canvases for $charts charts"

timeout 120 "$chromium" "${flags[@]}" --user-data-dir="$tmp/p2" --window-size=1200,2600 \
    --screenshot="$tmp/shot.png" "file://$tmp/r.html" >/dev/null 2>&1 ||
    fail "chromium --screenshot failed"
[ -s "$tmp/shot.png" ] || fail "no screenshot"
python3 - "$tmp/shot.png" <<'PY' || fail "the screenshot does not show the charts"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n = struct.unpack(">I", data[pos:pos + 4])[0]
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
    pos += 12 + n
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
assert depth == 8 and ctype in (2, 6), f"PNG type {ctype}/{depth}"
bpp = 4 if ctype == 6 else 3
raw, stride = zlib.decompress(idat), w * bpp
prev, i, colours, blue, ink = bytearray(stride), 0, set(), 0, 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y < h // 3:
        continue  # the charts are below the findings
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        colours.add((r >> 3, g >> 3, bl >> 3))
        if abs(r - 31) < 40 and abs(g - 119) < 40 and abs(bl - 180) < 40:
            blue += 1  # the first series' stroke, #1f77b4
        if r + g + bl < 600:
            ink += 1
print(f"screenshot {w}x{h}: {len(colours)} colours, {blue} series pixels, {ink} dark pixels")
assert len(colours) >= 40, "too few colours: a blank page?"
assert blue >= 3000, "the series colour is missing: charts not drawn?"
assert ink >= 20000, "almost nothing drawn"
PY
echo "test_report_browser: $charts charts drawn, no console output, screenshot ok ($size bytes)"
