# Reads the revision; applies nothing.
from alembic import command
from alembic.config import Config


def current() -> None:
    command.current(Config("alembic.ini"))
    print("run `alembic upgrade head` by hand")
