package main

import (
	"context"

	dapr "github.com/dapr/go-sdk/client"
)

const stateStore = "statestore"

// item is a state entry as read back: value as text, ETag, per-key error (bulk reads).
type item struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Etag  string `json:"etag"`
	Error string `json:"error,omitempty"`
}

type stateResult struct {
	// SaveState, then GetState
	First item `json:"first"`
	// SaveStateWithETag with the ETag just read (first-write): nil when accepted
	ETagSave *rpcError `json:"etagSave"`
	// GetState after it: the new value under a new ETag
	Second item `json:"second"`
	// SaveStateWithETag with the first, now stale, ETag
	StaleETagSave *rpcError `json:"staleEtagSave"`
	// DeleteStateWithETag with the stale ETag
	StaleETagDelete *rpcError `json:"staleEtagDelete"`
	// SaveBulkState of two keys, then GetBulkState of those, the first key and a key never written
	Bulk []item `json:"bulk"`
	// ExecuteStateTransaction (upsert one key, delete another), then GetBulkState of both
	AfterTransaction []item `json:"afterTransaction"`
	// DeleteState of the first key and DeleteBulkState of the rest, then GetBulkState of all
	AfterDelete []item `json:"afterDelete"`
}

func stateScenario(ctx context.Context, c dapr.Client, _ options) (any, error) {
	var r stateResult
	a, b, cc, d := "go-a", "go-b", "go-c", "go-d"

	if err := c.SaveState(ctx, stateStore, a, []byte(`{"n":1}`), nil); err != nil {
		return nil, err
	}
	first, err := c.GetState(ctx, stateStore, a, nil)
	if err != nil {
		return nil, err
	}
	r.First = item{Key: a, Value: string(first.Value), Etag: first.Etag}

	firstWrite := dapr.WithConcurrency(dapr.StateConcurrencyFirstWrite)
	r.ETagSave = outcome(c.SaveStateWithETag(ctx, stateStore, a, []byte(`{"n":2}`), first.Etag, nil, firstWrite))
	second, err := c.GetState(ctx, stateStore, a, nil)
	if err != nil {
		return nil, err
	}
	r.Second = item{Key: a, Value: string(second.Value), Etag: second.Etag}
	r.StaleETagSave = outcome(c.SaveStateWithETag(ctx, stateStore, a, []byte(`{"n":3}`), first.Etag, nil, firstWrite))
	r.StaleETagDelete = outcome(c.DeleteStateWithETag(ctx, stateStore, a, &dapr.ETag{Value: first.Etag}, nil, nil))

	if err := c.SaveBulkState(ctx, stateStore,
		&dapr.SetStateItem{Key: b, Value: []byte("bee")},
		&dapr.SetStateItem{Key: cc, Value: []byte(`["c"]`)},
	); err != nil {
		return nil, err
	}
	if r.Bulk, err = bulk(ctx, c, a, b, cc, "go-never-written"); err != nil {
		return nil, err
	}

	if err := c.ExecuteStateTransaction(ctx, stateStore, nil, []*dapr.StateOperation{
		{Type: dapr.StateOperationTypeUpsert, Item: &dapr.SetStateItem{Key: d, Value: []byte("dee")}},
		{Type: dapr.StateOperationTypeDelete, Item: &dapr.SetStateItem{Key: b}},
	}); err != nil {
		return nil, err
	}
	if r.AfterTransaction, err = bulk(ctx, c, b, d); err != nil {
		return nil, err
	}

	if err := c.DeleteState(ctx, stateStore, a, nil); err != nil {
		return nil, err
	}
	if err := c.DeleteBulkState(ctx, stateStore, []string{cc, d}, nil); err != nil {
		return nil, err
	}
	if r.AfterDelete, err = bulk(ctx, c, a, cc, d); err != nil {
		return nil, err
	}
	return r, nil
}

func bulk(ctx context.Context, c dapr.Client, keys ...string) ([]item, error) {
	got, err := c.GetBulkState(ctx, stateStore, keys, nil, 0)
	if err != nil {
		return nil, err
	}
	out := make([]item, 0, len(got))
	for _, g := range got {
		out = append(out, item{Key: g.Key, Value: string(g.Value), Etag: g.Etag, Error: g.Error})
	}
	return out, nil
}
