// Command goclient drives the official Dapr Go SDK (github.com/dapr/go-sdk, unmodified) against
// a sidecar, for test/e2e/go-sdk.test.ts: one scenario per run, one JSON line on stdout.
//
//	goclient [-token T] [-app-id ID] <scenario> <host:port>
//
// The address is always given on the command line: the SDK's defaults (DAPR_GRPC_ENDPOINT,
// DAPR_GRPC_PORT, else 127.0.0.1:50001) are never consulted. The token takes the two routes
// users take: the SDK itself reads DAPR_API_TOKEN from the environment when the client is
// built; -token (also -token= with nothing) then calls the SDK's WithAuthToken, which replaces
// that token (the empty string clears it).
//
// stdout: {"scenario":…,"ok":true,"result":{…}} or {"scenario":…,"ok":false,"error":{…}};
// exit code 0 or 1 accordingly, 2 for a bad command line. The SDK's own log lines go to stderr.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	dapr "github.com/dapr/go-sdk/client"
)

// options are what a scenario may need besides the client.
type options struct {
	appID string
}

type scenario func(ctx context.Context, c dapr.Client, o options) (any, error)

var scenarios = map[string]scenario{
	"state":              stateScenario,
	"secrets":            secretsScenario,
	"metadata":           metadataScenario,
	"publish":            publishScenario,
	"invoke":             invokeScenario,
	"subscribe":          subscribeScenario,
	"subscribe-statuses": subscribeStatusesScenario,
}

type output struct {
	Scenario string    `json:"scenario"`
	OK       bool      `json:"ok"`
	Result   any       `json:"result,omitempty"`
	Error    *rpcError `json:"error,omitempty"`
}

func main() {
	token := flag.String("token", "", "call WithAuthToken with this value after the client is built (replaces DAPR_API_TOKEN)")
	appID := flag.String("app-id", "", "the app to invoke (scenario invoke)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: goclient [-token T] [-app-id ID] <%s> <host:port>\n", strings.Join(names(), "|"))
	}
	flag.Parse()
	tokenGiven := false
	flag.Visit(func(f *flag.Flag) { tokenGiven = tokenGiven || f.Name == "token" })
	if flag.NArg() != 2 || scenarios[flag.Arg(0)] == nil {
		flag.Usage()
		os.Exit(2)
	}
	name, address := flag.Arg(0), flag.Arg(1)

	// The SDK logs to stdout by default; stdout carries only the JSON line.
	dapr.SetLogger(log.New(os.Stderr, "[go-sdk] ", 0))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := output{Scenario: name}
	// NewClientWithAddressContext dials with grpc.WithBlock: it returns once the HTTP/2
	// connection is up (or fails after DAPR_CLIENT_TIMEOUT_SECONDS, default 5 s). It makes no
	// API call, so a wrong token cannot fail it: the first call does.
	c, err := dapr.NewClientWithAddressContext(ctx, address)
	if err != nil {
		out.Error = toRPCError(err)
		out.Error.Stage = "connect"
	} else {
		defer c.Close()
		if tokenGiven {
			c.WithAuthToken(*token)
		}
		out.Result, err = scenarios[name](ctx, c, options{appID: *appID})
		if err != nil {
			out.Result = nil
			out.Error = toRPCError(err)
		}
	}
	out.OK = out.Error == nil
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
	if !out.OK {
		os.Exit(1)
	}
}

func names() []string {
	n := make([]string, 0, len(scenarios))
	for k := range scenarios {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
