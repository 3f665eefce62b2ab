#!/usr/bin/env bash
# Fetches Swagger UI, the renderer `GET /docs` serves (version 5: our document is OpenAPI 3.1,
# which Swagger UI 4 cannot read), from PyPI's swagger-ui-bundle-v2 wheel, checks the wheel's
# SHA-256 and unpacks the files /docs serves into $SWAGGER_UI_DIR (default .build/swagger-ui).
# Fetched, never committed; once per clone. Debian's python3 and venv come from apt.
# Usage: scripts/install-swagger-ui.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version=5.31.0
sha256=ad8484399c8da2868db86080bcd89bd3209d8efb69159a2c0145766da8968112
out=${SWAGGER_UI_DIR:-$PWD/.build/swagger-ui}
[ -f "$out/.swagger-ui-$version" ] && exit 0
/usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || scripts/install-deps.sh python3 python3-venv >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  -d "$tmp" "swagger-ui-bundle-v2==$version" >&2
wheel="$tmp/swagger_ui_bundle_v2-$version-py3-none-any.whl"
echo "$sha256  $wheel" | sha256sum -c --quiet - \
  || { echo "$wheel is not the swagger-ui-bundle-v2 $version this project pins" >&2; exit 1; }
mkdir -p "$out"
/usr/bin/python3 - "$wheel" "$out" "$version" <<'PY'
import sys, zipfile
wheel, out, version = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive:
    for name in ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]:
        with open(f"{out}/{name}", "wb") as target:
            target.write(archive.read(f"swagger_ui_bundle/vendor/swagger-ui-{version}/{name}"))
    with open(f"{out}/LICENSE", "wb") as target:
        target.write(archive.read(f"swagger_ui_bundle_v2-{version}.dist-info/licenses/LICENSE"))
PY
touch "$out/.swagger-ui-$version"
echo "Swagger UI $version in $out" >&2
