import sys

from alembic import command
from alembic.config import Config

if sys.argv[1] == "upgrade":
    command.upgrade(Config("alembic.ini"), "head")
