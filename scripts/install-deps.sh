#!/usr/bin/env bash
# Installs, from Debian, what building, testing and running need, when it is missing.
# Usage: scripts/install-deps.sh [extra-package ...]
set -euo pipefail
packages=(libpq-dev libssl-dev postgresql postgresql-contrib libphonenumber-dev pkg-config "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
