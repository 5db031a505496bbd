FROM node:20
WORKDIR /app
COPY . .
CMD npx prisma migrate deploy && node server.js
