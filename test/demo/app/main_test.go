package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMigrateAppendsOneLinePerRunAndFailsWithoutTouchingData(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 2; i++ {
		if err := migrate(dir, false, now); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "schema"))
	lines := strings.Split(strings.TrimSpace(string(before)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "run=2") {
		t.Fatalf("schema after two runs: %q", before)
	}
	err := migrate(dir, true, now)
	if err == nil || !strings.Contains(err.Error(), "DEMO_FAIL_MIGRATION=1") {
		t.Fatalf("failing migration: err = %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "schema"))
	if string(after) != string(before) {
		t.Fatalf("failed migration changed data: %q -> %q", before, after)
	}
}

func TestConfigureIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		if err := configure(dir); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "configured"))
	if err != nil || !strings.HasPrefix(string(data), "configured by ") {
		t.Fatalf("marker: %q, %v", data, err)
	}
}
