#!/bin/bash
# Fragment of mealie-recipes/mealie docker/entry.sh
init() {
    cd /app
    . /opt/pysetup/.venv/bin/activate
}

init

exec python /app/mealie/main.py
