package main

import (
	"context"
	"errors"

	dapr "github.com/dapr/go-sdk/client"
)

const (
	secretStore = "localsecrets"
	pubsub      = "pubsub"
	// the topic the e2e test's app subscribes to
	topic = "go-orders"
	// a topic nobody subscribes to through the app: the streaming subscription's
	streamTopic = "go-stream"
)

type secretsResult struct {
	Secret      map[string]string            `json:"secret"`
	Nested      map[string]string            `json:"nested"`
	Bulk        map[string]map[string]string `json:"bulk"`
	MissingKey  *rpcError                    `json:"missingKey"`
	NoSuchStore *rpcError                    `json:"noSuchStore"`
}

func secretsScenario(ctx context.Context, c dapr.Client, _ options) (any, error) {
	var r secretsResult
	var err error
	if r.Secret, err = c.GetSecret(ctx, secretStore, "db-password", nil); err != nil {
		return nil, err
	}
	if r.Nested, err = c.GetSecret(ctx, secretStore, "nested:user", nil); err != nil {
		return nil, err
	}
	if r.Bulk, err = c.GetBulkSecret(ctx, secretStore, nil); err != nil {
		return nil, err
	}
	_, err = c.GetSecret(ctx, secretStore, "no-such-secret", nil)
	r.MissingKey = outcome(err)
	_, err = c.GetSecret(ctx, "no-such-store", "db-password", nil)
	r.NoSuchStore = outcome(err)
	return r, nil
}

type component struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

type metadataResult struct {
	ID         string            `json:"id"`
	Components []component       `json:"components"`
	Extended   map[string]string `json:"extended"`
}

func metadataScenario(ctx context.Context, c dapr.Client, _ options) (any, error) {
	md, err := c.GetMetadata(ctx)
	if err != nil {
		return nil, err
	}
	r := metadataResult{ID: md.ID, Components: []component{}, Extended: md.ExtendedMetadata}
	for _, x := range md.RegisteredComponents {
		r.Components = append(r.Components, component{Name: x.Name, Type: x.Type, Version: x.Version})
	}
	return r, nil
}

type publishResult struct {
	// PublishEvent of a struct (the SDK sends JSON, application/json)
	JSON *rpcError `json:"json"`
	// PublishEvent of a string with PublishEventWithContentType("text/plain")
	Text *rpcError `json:"text"`
	// PublishEvents (BulkPublishEventAlpha1) of two events: error and how many failed
	Bulk       *rpcError `json:"bulk"`
	BulkFailed int       `json:"bulkFailed"`
	// PublishEvent to a pub/sub that does not exist
	NoSuchPubsub *rpcError `json:"noSuchPubsub"`
}

func publishScenario(ctx context.Context, c dapr.Client, _ options) (any, error) {
	var r publishResult
	order := struct {
		ID   int    `json:"id"`
		From string `json:"from"`
	}{42, "go-sdk"}
	r.JSON = outcome(c.PublishEvent(ctx, pubsub, topic, order))
	r.Text = outcome(c.PublishEvent(ctx, pubsub, topic, "plain words", dapr.PublishEventWithContentType("text/plain")))
	res := c.PublishEvents(ctx, pubsub, topic, []any{map[string]int{"bulk": 1}, map[string]int{"bulk": 2}})
	r.Bulk, r.BulkFailed = outcome(res.Error), len(res.FailedEvents)
	r.NoSuchPubsub = outcome(c.PublishEvent(ctx, "no-such-pubsub", topic, order))
	return r, nil
}

type invokeResult struct {
	// InvokeMethodWithContent POST orders/42?source=go with a JSON body: the app's answer
	Post string `json:"post"`
	// InvokeMethod GET ping: the app's answer
	Get string `json:"get"`
}

func invokeScenario(ctx context.Context, c dapr.Client, o options) (any, error) {
	if o.appID == "" {
		return nil, errors.New("scenario invoke needs -app-id")
	}
	post, err := c.InvokeMethodWithContent(ctx, o.appID, "orders/42?source=go", "POST",
		&dapr.DataContent{ContentType: "application/json", Data: []byte(`{"order":42}`)})
	if err != nil {
		return nil, err
	}
	get, err := c.InvokeMethod(ctx, o.appID, "ping", "GET")
	if err != nil {
		return nil, err
	}
	return invokeResult{Post: string(post), Get: string(get)}, nil
}

type subscribeResult struct {
	Topic string `json:"topic"`
	Data  any    `json:"data"`
}

// subscribeScenario is the SDK's streaming call: Subscribe opens the bidirectional
// SubscribeTopicEventsAlpha1 stream (through the SDK's stream interceptor, which adds the
// token) and waits for the sidecar's initial response; then one event is published to the
// topic and received on the stream. A sidecar that refuses the stream fails Subscribe with
// the stream's status.
func subscribeScenario(ctx context.Context, c dapr.Client, _ options) (any, error) {
	sub, err := c.Subscribe(ctx, dapr.SubscriptionOptions{PubsubName: pubsub, Topic: streamTopic})
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	if err := c.PublishEvent(ctx, pubsub, streamTopic, map[string]string{"via": "stream"}); err != nil {
		return nil, err
	}
	msg, err := sub.Receive()
	if err != nil {
		return nil, err
	}
	if err := msg.Success(); err != nil {
		return nil, err
	}
	return subscribeResult{Topic: msg.Topic, Data: msg.Data}, nil
}
