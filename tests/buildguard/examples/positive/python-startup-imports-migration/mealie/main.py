# Fragment of mealie-recipes/mealie mealie/main.py
import uvicorn

from mealie.app import settings


def main():
    uvicorn.run("app:app", host=settings.API_HOST, port=settings.API_PORT)


if __name__ == "__main__":
    main()
