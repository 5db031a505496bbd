from alembic.command import upgrade
from alembic.config import Config


def upgrade_to_head() -> None:
    upgrade(Config("alembic.ini"), "head")
