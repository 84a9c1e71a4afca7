package main

import (
	"context"
	"errors"

	dapr "github.com/dapr/go-sdk/client"
)

type subscribeStatusesResult struct {
	SameIDAfterRetry bool      `json:"sameIdAfterRetry"`
	RetriedData      any       `json:"retriedData"`
	DeadLetterTopic  string    `json:"deadLetterTopic"`
	DeadLetterSameID bool      `json:"deadLetterSameId"`
	DeadLetterData   any       `json:"deadLetterData"`
	NoSuchPubsub     *rpcError `json:"noSuchPubsub"`
}

// subscribeStatusesScenario: the answers a streaming subscriber gives. Retry brings the same
// event back on the stream; Drop sends it to the subscription's dead-letter topic, received on
// a second stream; a stream for a pubsub that does not exist fails Subscribe with the status.
func subscribeStatusesScenario(ctx context.Context, c dapr.Client, _ options) (any, error) {
	const (
		retryTopic = "go-stream-statuses"
		deadTopic  = "go-stream-statuses-dead"
	)
	var r subscribeStatusesResult
	dead, err := c.Subscribe(ctx, dapr.SubscriptionOptions{PubsubName: pubsub, Topic: deadTopic})
	if err != nil {
		return nil, err
	}
	defer dead.Close()
	deadLetter := deadTopic
	sub, err := c.Subscribe(ctx, dapr.SubscriptionOptions{PubsubName: pubsub, Topic: retryTopic, DeadLetterTopic: &deadLetter})
	if err != nil {
		return nil, err
	}
	defer sub.Close()

	// Retry, then Success: the same event comes back.
	if err := c.PublishEvent(ctx, pubsub, retryTopic, map[string]int{"n": 1}); err != nil {
		return nil, err
	}
	first, err := sub.Receive()
	if err != nil {
		return nil, err
	}
	if err := first.Retry(); err != nil {
		return nil, err
	}
	again, err := sub.Receive()
	if err != nil {
		return nil, err
	}
	r.SameIDAfterRetry = again.ID == first.ID
	r.RetriedData = again.Data
	if err := again.Success(); err != nil {
		return nil, err
	}

	// Drop: dead-lettered, received on the other stream.
	if err := c.PublishEvent(ctx, pubsub, retryTopic, map[string]int{"n": 2}); err != nil {
		return nil, err
	}
	doomed, err := sub.Receive()
	if err != nil {
		return nil, err
	}
	if err := doomed.Drop(); err != nil {
		return nil, err
	}
	dl, err := dead.Receive()
	if err != nil {
		return nil, err
	}
	r.DeadLetterTopic = dl.Topic
	r.DeadLetterSameID = dl.ID == doomed.ID
	r.DeadLetterData = dl.Data
	if err := dl.Success(); err != nil {
		return nil, err
	}

	// Refused: Subscribe returns the stream's status (INVALID_ARGUMENT, ERR/DAPR_PUBSUB_NOT_FOUND).
	if s, err := c.Subscribe(ctx, dapr.SubscriptionOptions{PubsubName: "no-such-pubsub", Topic: retryTopic}); err == nil {
		s.Close()
		return nil, errors.New("Subscribe to an unknown pubsub succeeded")
	} else {
		r.NoSuchPubsub = toRPCError(err)
	}
	return r, nil
}
