FROM python:3.12
WORKDIR /code
COPY . .
ENTRYPOINT ["./docker/entrypoint.sh"]
CMD ["gunicorn", "app.wsgi"]
