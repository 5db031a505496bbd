from contextlib import asynccontextmanager

from fastapi import FastAPI

from .migrations import upgrade_to_head


@asynccontextmanager
async def lifespan(app: FastAPI):
    upgrade_to_head()
    yield


app = FastAPI(lifespan=lifespan)
