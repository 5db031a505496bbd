# Fragment of mealie-recipes/mealie mealie/app.py
from contextlib import asynccontextmanager

from fastapi import FastAPI

settings = object()


@asynccontextmanager
async def lifespan_fn(_: FastAPI):
    import mealie.db.init_db as init_db

    init_db.main()
    yield


app = FastAPI(lifespan=lifespan_fn)
