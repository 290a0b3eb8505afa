#!/bin/sh
# Set up cve-bin-tool (GPL-3.0) for benchmarks/bench_truth.py only: its own virtualenv, run as
# a separate program, never imported by Assay.
#
# cve-bin-tool will not scan without an NVD database, and this machine is offline. Its version
# scanning (the part compared here) does not use the CVE data, so an empty database with one
# placeholder record is made with cve-bin-tool's own schema; the sqlite checker's version map
# (fetched from sqlite.org when it is older than 30 days) is stamped fresh and left empty, so
# that checker only reads "SQLite version" strings. Both are said in the benchmark's output.
#
# Usage: sh benchmarks/setup_cve_bin_tool.sh [DIR]   (default ~/.cache/assay-bench)
set -eu
DIR=${1:-$HOME/.cache/assay-bench}
python3 -m venv "$DIR/cve-bin-tool-venv"
"$DIR/cve-bin-tool-venv/bin/pip" install -q cve-bin-tool
CACHE="$DIR/cve-bin-tool-home/.cache/cve-bin-tool"
mkdir -p "$CACHE"
HOME="$DIR/cve-bin-tool-home" "$DIR/cve-bin-tool-venv/bin/python" -c \
  "from cve_bin_tool.cvedb import CVEDB; CVEDB().init_database()"
"$DIR/cve-bin-tool-venv/bin/python" - "$CACHE" <<'PY'
import sqlite3, sys, time
cache = sys.argv[1]
db = sqlite3.connect(f"{cache}/cve.db")
db.execute(
    "INSERT OR REPLACE INTO cve_severity (cve_number, severity, description, score, "
    "cvss_version, cvss_vector, data_source, last_modified) VALUES "
    "('CVE-0000-0000', 'LOW', 'placeholder (offline benchmark)', 0, 3, '', 'NVD', '2000-01-01')"
)
db.commit()
vm = sqlite3.connect(f"{cache}/version_map.db")
vm.execute("CREATE TABLE IF NOT EXISTS sqlite(version TEXT, sourceId TEXT PRIMARY KEY)")
vm.execute("CREATE TABLE IF NOT EXISTS latest_update_sqlite (datestamp DATETIME PRIMARY KEY)")
vm.execute("DELETE FROM latest_update_sqlite")
vm.execute("INSERT INTO latest_update_sqlite VALUES (?)", (int(time.time()),))
vm.commit()
PY
echo "cve-bin-tool ready: $DIR/cve-bin-tool-venv/bin/cve-bin-tool (HOME=$DIR/cve-bin-tool-home)"
