# Fragment of mealie-recipes/mealie mealie/db/init_db.py
import os

from alembic import command
from alembic.config import Config


def main():
    alembic_cfg = Config(os.getenv("ALEMBIC_CONFIG_FILE", "alembic.ini"))
    command.upgrade(alembic_cfg, "head")
