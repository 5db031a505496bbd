from sqlalchemy import create_engine

from app import checks
from .settings import DATABASE_URL

engine = create_engine(DATABASE_URL)
application = None
