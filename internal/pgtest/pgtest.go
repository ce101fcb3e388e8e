// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the server STAGEHAND_TEST_DATABASE_URL names, dropped after the
// test. Without that variable the test is skipped, and says how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the test PostgreSQL server.
const Env = "STAGEHAND_TEST_DATABASE_URL"

// Schema creates a schema for tb and returns the database URL with its
// search_path pointing there.
func Schema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(Env)
	if base == "" {
		tb.Skip("PostgreSQL skipped: set " + Env + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run it")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", Env, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "stagehand_test_" + hex.EncodeToString(b)
	if err := exec(base, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Error(err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(base, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connect %s: %w", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
