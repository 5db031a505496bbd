package main

import (
	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/postgres"
)

func main() {
	m, _ := migrate.New("file://db/migrations", "postgres://...")
	m.Up()
}
