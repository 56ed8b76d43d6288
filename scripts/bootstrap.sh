#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine (root): PostgreSQL 15 with pg_cron,
# pgTAP and plpgsql_check from Debian's packages, and the npm packages from package-lock.json. Does
# nothing when all of it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in postgresql-15 postgresql-15-cron postgresql-15-pgtap postgresql-15-plpgsql-check libtap-parser-sourcehandler-pgtap-perl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system-wide cluster on 5432; the project runs its own on 54322 instead.
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1, $2}' | while read -r version name; do
      pg_ctlcluster "$version" "$name" stop || true
    done
  fi
fi

if [ ! -x node_modules/.bin/deno ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm packages ..." >&2
  # Not `npm ci`: it refuses this lock file because some packages list optional binaries for other
  # platforms that the registry does not serve. `npm install` installs exactly the locked versions.
  npm install --no-audit --no-fund --loglevel=error >&2
fi
