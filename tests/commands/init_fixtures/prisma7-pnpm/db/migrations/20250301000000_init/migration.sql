CREATE TABLE "Entry" (
    "id" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    CONSTRAINT "Entry_pkey" PRIMARY KEY ("id")
);
