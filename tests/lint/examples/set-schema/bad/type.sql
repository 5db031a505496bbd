ALTER TYPE mood SET SCHEMA archive;
