package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/errata-tool/errata/store"
	"github.com/errata-tool/errata/store/storetest"
)

func TestPipelineStateRoundTrip(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := s.PipelineStateGet(ctx, "classify"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("PipelineStateGet on a new store: err = %v, want ErrNotFound", err)
	}
	loc := time.FixedZone("east", 3*3600)
	started := time.Date(2026, 3, 1, 10, 0, 0, 0, loc)
	for i, detail := range []string{`{"rules": "a"}`, `{"rules": "b", "changed": true}`} {
		fin := started.Add(time.Duration(i+1) * time.Minute)
		if err := s.PipelineStateSet(ctx, store.PipelineState{Stage: "classify", StartedAt: started, FinishedAt: fin, Detail: json.RawMessage(detail)}); err != nil {
			t.Fatal(err)
		}
		got, err := s.PipelineStateGet(ctx, "classify")
		if err != nil {
			t.Fatal(err)
		}
		if !got.StartedAt.Equal(started) || got.StartedAt.Location() != time.UTC || !got.FinishedAt.Equal(fin) {
			t.Fatalf("times = %v, %v; want %v, %v in UTC", got.StartedAt, got.FinishedAt, started, fin)
		}
		var want, have map[string]any
		_ = json.Unmarshal([]byte(detail), &want)
		if err := json.Unmarshal(got.Detail, &have); err != nil || len(have) != len(want) || have["rules"] != want["rules"] {
			t.Fatalf("detail = %s, want %s", got.Detail, detail)
		}
	}
}

func TestPipelineRunAndChanges(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	if at, err := s.ChangeLatestGet(ctx); err != nil || !at.IsZero() {
		t.Fatalf("ChangeLatestGet on an empty store = %v, %v; want zero", at, err)
	}
	before, err := s.WatermarkGet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := s.IssueUpsertMany(ctx, nil, []store.Issue{{Repository: "acme/app", Number: 1, State: "open", Title: "t",
		HTMLURL: "https://github.com/acme/app/issues/1", CreatedAt: now, UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	latest, err := s.ChangeLatestGet(ctx)
	if err != nil || latest.Before(before) {
		t.Fatalf("ChangeLatestGet = %v, %v; want at or after the watermark %v", latest, err, before)
	}
	p, err := s.ChangePendingGet(ctx, before.Add(-time.Second))
	if err != nil || p.Issues != 1 || !p.Oldest.Equal(latest) {
		t.Fatalf("ChangePendingGet = %+v, %v; want 1 issue changed at %v", p, err, latest)
	}
	if p, err := s.ChangePendingGet(ctx, latest); err != nil || p.Issues != 0 || !p.Oldest.IsZero() {
		t.Fatalf("ChangePendingGet after the change = %+v, %v; want none", p, err)
	}

	id, err := s.PipelineRunCreate(ctx, "run", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PipelineRunFinish(ctx, store.PipelineRunFinish{ID: id, FinishedAt: now.Add(time.Second), ExitCode: 3,
		Stages: json.RawMessage(`[{"stage": "sync"}]`)}); err != nil {
		t.Fatal(err)
	}
	var code int
	var stages string
	if err := storetest.Pool(s).QueryRow(ctx, `SELECT exit_code, stages->0->>'stage' FROM pipeline_runs WHERE id = $1`, id).Scan(&code, &stages); err != nil {
		t.Fatal(err)
	}
	if code != 3 || stages != "sync" {
		t.Fatalf("run row = %d, %q; want 3, sync", code, stages)
	}
}

func TestLockTryNamesTheHolder(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := context.Background()
	const key = 0x7465737400000001
	held, holder, err := s.LockTry(ctx, key)
	if err != nil || held == nil || holder != "" {
		t.Fatalf("first LockTry = %v, %q, %v; want the lock", held, holder, err)
	}
	again, holder, err := s.LockTry(ctx, key)
	if err != nil || again != nil {
		t.Fatalf("second LockTry = %v, %v; want busy", again, err)
	}
	if !strings.HasPrefix(holder, "database session pid ") {
		t.Fatalf("holder = %q, want the holding session", holder)
	}
	held.Release()
	held.Release() // safe twice
	wait, err := s.LockWait(ctx, key)
	if err != nil {
		t.Fatalf("LockWait after release: %v", err)
	}
	wait.Release()
	if l, _, err := s.LockTry(ctx, key); err != nil || l == nil {
		t.Fatalf("LockTry after LockWait's release = %v, %v; want the lock", l, err)
	} else {
		l.Release()
	}
}
